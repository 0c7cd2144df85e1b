"""Where an alarm's error rate comes from: an availability expression that can be read over any window.

Two sources, one shape (``availability`` is a metric-math expression over ``MetricStat`` queries; the
error rate is ``1 - availability``):

- ``sli``: the spec's own ``metric_math`` queries, verbatim, cut down to what the ``availability_id``
  expression needs (the queries it references, directly or through other expressions; every
  ``MetricStat`` when it calls ``METRICS()``).
- ``blackbox``: what ``chainprobe canary --publish-metrics`` publishes (``chainprobe.report.cloudwatch``):
  ``SUM(OrdersGood) / (SUM(OrdersGood) + SUM(OrdersBad))`` in the spec's namespace and dimensions.

``SliSource.error_rate_queries(period_s, label=...)`` gives an alarm's ``Metrics``: every ``MetricStat``
(and any expression's own ``Period``) set to the window, each query ``ReturnData: false`` but one added
expression, ``errorRate = 1 - <availability id>``; with ``min_requests`` (the windows file's
minimum-traffic guard) and a source whose requests are known, ``errorRate = IF(FILL(r1,0) + ... >= N,
1 - <availability id>, 0)``: a window holding fewer than N requests reads 0 and never breaches (one error
among three requests is no evidence of a burn; ``chainprobe budget`` replays the same rule).
With the period as long as the window, each ``Sum`` *is* the window's sum, so the one datapoint the
alarm evaluates is the error rate over the window: a ratio of sums, never a mean of per-minute
ratios. Example::

    >>> source = blackbox_source("Chainprobe", {"Probe": "orders"})
    >>> [q["Id"] for q in source.error_rate_queries(3600, label="over 1h")]
    ['blackboxGood', 'blackboxBad', 'blackboxAvailability', 'errorRate']

Missing data (``MissingData``) is chosen per source and documented where it is chosen, below.
Raises ``InvalidSliError`` when the spec's queries do not validate as metric math (a syntax error, an
unknown id, a cycle); a function chainprobe's evaluator does not know is let through (CloudWatch may
know it) and left to the validate stage to note.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chainprobe.measure.metricmath import MetricMathError, UnsupportedFunctionError, validate
from chainprobe.measure.metricmath.parser import ArrayLiteral, Binary, Call, Node, Reference, Unary, parse
from chainprobe.measure.window_sli import roles_of
from chainprobe.report.alarms.exceptions import InvalidSliError
from chainprobe.spec.model import MetricMathSpec

__all__ = [
    "BLACKBOX_LATENCY",
    "BLACKBOX_METRICS",
    "MissingData",
    "SliSource",
    "TreatMissingData",
    "blackbox_source",
    "metric_math_source",
    "queries_under",
]

ERROR_RATE_ID = "errorRate"
BLACKBOX_METRICS = {"good": "OrdersGood", "bad": "OrdersBad"}
"""The black-box counts the alarms and dashboard read (published by ``report.cloudwatch``)."""
BLACKBOX_LATENCY = "Latency"
"""The black-box API latency the canary publishes as raw values: any ``pNN`` over any period is true."""


class TreatMissingData(StrEnum):
    """CloudWatch's ``TreatMissingData`` values."""

    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"
    IGNORE = "ignore"
    MISSING = "missing"


@dataclass(frozen=True, kw_only=True)
class MissingData:
    """How an alarm treats a window without a datapoint, and why (the reason goes into its description)."""

    treat: TreatMissingData
    why: str


SLI_MISSING_DATA = MissingData(
    treat=TreatMissingData.NOT_BREACHING,
    why=(
        "no datapoint means none of the SLI's metrics had data in the window, i.e. no requests and no "
        "errors (AWS publishes some failure metrics only when non-zero, e.g. Events FailedInvocations; "
        "the expression's FILL(..., 0) already reads those gaps as 0)"
    ),
)
BLACKBOX_MISSING_DATA = MissingData(
    treat=TreatMissingData.NOT_BREACHING,
    why=(
        "no datapoint means no canary run ended in the window (each run publishes once, at its end): "
        "no verdicts, no evidence of errors; a canary that stopped running is not caught here"
    ),
)


@dataclass(frozen=True, kw_only=True)
class SliSource:
    """An availability expression and the queries under it, as one kind of alarm input.

    ``key`` (``sli`` or ``blackbox``) goes into alarm names, ``title`` into descriptions.
    """

    key: str
    title: str
    queries: tuple[Mapping[str, Any], ...]
    availability_id: str
    missing_data: MissingData
    requests_ids: tuple[str, ...] = ()
    """The ``MetricStat`` queries whose sum is the SLI's requests (empty: none known, no traffic guard)."""

    @property
    def error_rate_id(self) -> str:
        """The id of the added ``1 - availability`` expression (``errorRate`` unless the spec uses it)."""
        taken = {str(query["Id"]) for query in self.queries}
        candidates = (ERROR_RATE_ID, *(f"{ERROR_RATE_ID}{n}" for n in range(2, len(taken) + 3)))
        return next(name for name in candidates if name not in taken)

    def error_rate_expression(self, min_requests: int = 0) -> str:
        """``1 - availability``; with a traffic guard ``IF(requests >= N, 1 - availability, 0)``."""
        error_rate = f"1 - {self.availability_id}"
        if min_requests <= 0 or not self.requests_ids:
            return error_rate
        requests = " + ".join(f"FILL({query_id},0)" for query_id in self.requests_ids)
        return f"IF({requests} >= {min_requests}, {error_rate}, 0)"

    def error_rate_queries(self, period_s: int, *, label: str, min_requests: int = 0) -> list[dict[str, Any]]:
        """An alarm's ``Metrics``: the queries at ``period_s``, returning only the error rate."""
        queries = []
        for original in self.queries:
            query = copy.deepcopy(dict(original))
            query["ReturnData"] = False
            if "MetricStat" in query:
                query["MetricStat"]["Period"] = period_s
            elif "Period" in query:
                query["Period"] = period_s
            queries.append(query)
        queries.append(
            {
                "Id": self.error_rate_id,
                "Expression": self.error_rate_expression(min_requests),
                "Label": label,
                "ReturnData": True,
            }
        )
        return queries

    def metric_stat_queries(self) -> tuple[Mapping[str, Any], ...]:
        """The ``MetricStat`` queries, as given."""
        return tuple(query for query in self.queries if "MetricStat" in query)


def metric_math_source(metric_math: MetricMathSpec) -> SliSource:
    """The spec's metric-math SLI, cut down to the ``availability_id`` expression and what it uses."""
    queries = metric_math.queries()
    try:
        validate(queries)
    except UnsupportedFunctionError:
        pass  # CloudWatch may know it; the validate stage notes it
    except MetricMathError as error:
        raise InvalidSliError(f"metric_math: {error}") from error
    kept = queries_under(queries, metric_math.availability_id)
    try:
        requests = roles_of(metric_math).requests
    except MetricMathError:
        requests = ()  # a function chainprobe does not know: no guard, as without a failures / requests shape
    return SliSource(
        key="sli",
        title="metric-math SLI",
        queries=kept,
        availability_id=metric_math.availability_id,
        missing_data=SLI_MISSING_DATA,
        requests_ids=tuple(requests),
    )


def blackbox_source(namespace: str, dimensions: Mapping[str, str]) -> SliSource:
    """The black-box SLI: ``good / (good + bad)`` over the canary's published ``OrdersGood``/``OrdersBad``."""
    return SliSource(
        key="blackbox",
        title="black-box SLI (canary verdicts)",
        queries=(
            blackbox_query(
                "blackboxGood", namespace, BLACKBOX_METRICS["good"], dimensions, label="Orders good"
            ),
            blackbox_query("blackboxBad", namespace, BLACKBOX_METRICS["bad"], dimensions, label="Orders bad"),
            {
                "Id": "blackboxAvailability",
                "Expression": "blackboxGood / (blackboxGood + blackboxBad)",
                "Label": "Chain availability (black-box)",
                "ReturnData": False,
            },
        ),
        availability_id="blackboxAvailability",
        missing_data=BLACKBOX_MISSING_DATA,
        requests_ids=("blackboxGood", "blackboxBad"),
    )


def blackbox_query(
    query_id: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, str],
    *,
    label: str,
    stat: str = "Sum",
    period_s: int = 60,
) -> dict[str, Any]:
    """A ``MetricStat`` query on one of chainprobe's published metrics."""
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
            },
            "Period": period_s,
            "Stat": stat,
        },
        "Label": label,
        "ReturnData": False,
    }


def queries_under(queries: Sequence[Mapping[str, Any]], root: str) -> tuple[dict[str, Any], ...]:
    """The queries ``root`` needs (itself included), in their given order, as copies.

    An expression needs the ids it references, recursively; one that calls ``METRICS()`` needs every
    ``MetricStat``. Raises ``InvalidSliError`` for an expression that does not parse.
    """
    try:
        needed = _closure(queries, root)
    except MetricMathError as error:
        raise InvalidSliError(f"metric_math: {error}") from error
    return tuple(copy.deepcopy(dict(query)) for query in queries if query["Id"] in needed)


def _closure(queries: Sequence[Mapping[str, Any]], root: str) -> set[str]:
    by_id = {str(query["Id"]): query for query in queries}
    needed: set[str] = set()
    pending = [root]
    while pending:
        current = pending.pop()
        if current in needed:
            continue
        needed.add(current)
        expression = by_id[current].get("Expression")
        if expression is None:
            continue
        nodes = list(_walk(parse(str(expression))))
        if any(isinstance(node, Call) and node.name.upper() == "METRICS" for node in nodes):
            pending.extend(qid for qid, query in by_id.items() if "MetricStat" in query)
        pending.extend(node.id for node in nodes if isinstance(node, Reference) and node.id in by_id)
    return needed


def _walk(node: Node) -> Iterator[Node]:
    yield node
    children: tuple[Node, ...] = ()
    if isinstance(node, Unary):
        children = (node.operand,)
    elif isinstance(node, Binary):
        children = (node.left, node.right)
    elif isinstance(node, Call):
        children = node.args
    elif isinstance(node, ArrayLiteral):
        children = node.items
    for child in children:
        yield from _walk(child)
