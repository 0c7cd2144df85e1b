"""The metric-math SLI over a run's window, read from CloudWatch: per period, and as one ratio of sums.

The spec's pasted ``Metrics:`` list stays the source of truth. It is sent to GetMetricData as is
(only ``ReturnData`` changes: true for the availability query and every ``MetricStat``, so the
per-period series and the counts under it come back together). The window-level figure is then the
user's own expression evaluated locally, by ``chainprobe.measure.metricmath``, on one period as
long as the window, each ``MetricStat`` standing for its aggregate over the window (its Sum).

Why one ratio over the window's sums and not the mean of the per-period ratios: the black-box SLI
is a ratio of orders (good / sent), so the comparable figure is a ratio of counts over the same
window. A mean of per-period ratios weighs a minute with one request as much as a minute with a
thousand, and a minute with no traffic at all comes out as 1.0 from the design's
``FILL(…, 0)`` and ``MAX([totalRequests], 1)``: two quiet minutes around one minute at 50% read
83%. The per-period series is reported as well, for the reader and for dashboards, never averaged.

Example::

    window = RunWindow.around(orders, ended_at=run.ended_at, period=spec_period(spec.metric_math))
    reading = read_window_sli(spec.metric_math, window, cloudwatch.get_metric_data,
                              shortfall=lambda series: None)
    reading.availability, reading.complete, [p.availability for p in reading.periods]

Waiting: metrics arrive late (the local stack flushes every 5 s; AWS publishes minutes late, best
effort). The window is read again every ``poll_s`` until ``shortfall`` (what the caller knows must
be counted: ``chainprobe.measure.attribution`` checks the run's own requests period by period) says
nothing is missing, or ``wait_s`` passed: then the reading says ``complete=False`` with a note.
A window is also complete only once it is **closed**: a read that began ``publish_lag_s`` after
its last period ended. Before that, traffic nobody knows of can still be counted in its periods
(and the run's own counters that move later), so counts that merely reached the known minimum are
no final figure: a read of an open period stood for one once, and shared a run's failures out over
a minute that went on filling. Once the counts caught up, the read waits for the close when the
close falls within ``wait_s``; otherwise it stops there, ``complete=False``, with a note saying
when the window closes (``chainprobe reconcile --run`` reads it then).
It never waits longer, and anything GetMetricData raises becomes a note on an empty reading (a
metric read never fails a run).

Which query counts what (``Roles``) is read from the availability expression: the ``MetricStat``
queries reachable under the divisor of its first division count requests, those under the dividend
count failures (the shape ``1 - failures / requests`` of the design). Limitations: an expression of
another shape gets no roles (no wait on counts, no per-class attribution; the figures still come
back); the window-level ratio is exact for Sum and SampleCount statistics (Minimum and Maximum
aggregate too; any other statistic leaves it ``None``); functions that depend on time (RATE, DIFF,
RUNNING_SUM, …) see the window as one period.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chainprobe.ledger.model import OrderRecord
from chainprobe.measure.metricmath import EvaluationResult, MetricMathError, Node, Series, evaluate, validate
from chainprobe.measure.metricmath.parser import ArrayLiteral, Binary, Call, Reference, Unary
from chainprobe.measure.metricmath.queries import ExpressionQuery, MetricQuery, Query
from chainprobe.spec.model import MetricMathSpec

__all__ = [
    "DEFAULT_POLL_S",
    "DEFAULT_PUBLISH_LAG_S",
    "DEFAULT_WAIT_S",
    "GetMetricData",
    "MetricRef",
    "PeriodPoint",
    "Roles",
    "RunWindow",
    "Shortfall",
    "WindowReading",
    "expression_on_sums",
    "read_window_sli",
    "roles_of",
    "spec_period",
]

type GetMetricData = Callable[..., Mapping[str, Any]]
"""CloudWatch's ``get_metric_data(**kwargs)``: a boto3 client's bound method, or a fake."""

type Shortfall = Callable[[Mapping[str, Series]], str | None]
"""What the series read so far (by query id) still miss, in words; ``None`` once nothing is missing."""

DEFAULT_WAIT_S = 90.0
DEFAULT_POLL_S = 2.5
DEFAULT_PUBLISH_LAG_S = 10.0  # two of the local stack's 5-second flushes after a period ends
_EPOCH = datetime.fromtimestamp(0, UTC)  # every window length divides it: the one-period grid starts here
_WINDOW_AGGREGATES: Mapping[str, Callable[[Sequence[float]], float]] = {
    "Sum": math.fsum,
    "SampleCount": math.fsum,
    "Maximum": max,
    "Minimum": min,
}


@dataclass(frozen=True)
class MetricRef:
    """A CloudWatch metric by namespace and name (dimensions aside): ``AWS/ApiGateway 5XXError``."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace} {self.name}"


@dataclass(frozen=True, kw_only=True)
class Roles:
    """What each ``MetricStat`` of the expression counts: ``failures`` and ``requests`` hold query ids."""

    metrics: Mapping[str, MetricRef]
    failures: tuple[str, ...] = ()
    requests: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        """Whether the expression has the ``failures / requests`` shape the roles were read from."""
        return bool(self.requests)


@dataclass(frozen=True, kw_only=True)
class RunWindow:
    """``[start, end)``, both on the period grid; ``period`` in seconds."""

    start: datetime
    end: datetime
    period: int

    @classmethod
    def around(
        cls, orders: Sequence[OrderRecord], *, ended_at: float | None, period: int
    ) -> RunWindow | None:
        """[the period of the first order sent, the period after the last verdict's], whole periods.

        Nothing of the run is counted before its first request leaves, so the window starts on the
        period that holds it (a period earlier would only add other traffic); it ends a period after
        the last verdict (``ended_at``, else the last stage observed), for what the chain counts
        later (a rule target failing after the API answered). ``None`` when no order was sent.
        """
        sent = [order.sent_at for order in orders if order.sent_at is not None]
        if not sent:
            return None
        seen = [at for order in orders for at in order.timeline().values()]
        last = ended_at if ended_at is not None else max(seen)
        start = math.floor(min(sent) / period) * period
        end = math.ceil((max(last, max(sent)) + period) / period) * period
        return cls(start=_at(start), end=_at(end), period=period)

    @property
    def seconds(self) -> int:
        return round((self.end - self.start).total_seconds())


@dataclass(frozen=True, kw_only=True)
class PeriodPoint:
    """One period of the window: the expression's value there and the requests it counted."""

    start: datetime
    availability: float | None
    requests: float | None


@dataclass(frozen=True, kw_only=True)
class WindowReading:
    """The metric-math SLI over a window.

    ``availability`` is the expression on the window's sums (``None``: not computable, see ``notes``);
    ``sums`` the window aggregate of each ``MetricStat`` query that has datapoints, ``series`` what
    was read per period (by query id); ``requests`` the sum of the request counters (``None``
    without roles); ``complete`` whether the counts caught up (the caller's ``shortfall``).
    """

    window: RunWindow
    availability: float | None
    complete: bool
    periods: tuple[PeriodPoint, ...] = ()
    sums: Mapping[str, float] = field(default_factory=dict)
    series: Mapping[str, Series] = field(default_factory=dict)
    requests: float | None = None
    notes: tuple[str, ...] = ()


def spec_period(spec: MetricMathSpec) -> int:
    """The request's period: the largest ``MetricStat`` Period of the spec (60 when there is none)."""
    periods = [int(query["MetricStat"]["Period"]) for query in spec.metrics if "MetricStat" in query]
    return max(periods, default=60)


def roles_of(spec: MetricMathSpec) -> Roles:
    """The roles of the spec's ``MetricStat`` queries in its availability expression."""
    queries = validate(spec.metrics)
    metrics = {
        query.id: MetricRef(
            query.metric_stat["Metric"].get("Namespace", ""), query.metric_stat["Metric"]["MetricName"]
        )
        for query in queries.values()
        if isinstance(query, MetricQuery)
    }
    division = _first_division(queries, spec.availability_id)
    if division is None:
        return Roles(metrics=metrics)
    failures = _metric_ids(division.left, queries)
    requests = _metric_ids(division.right, queries)
    if failures & requests:
        return Roles(metrics=metrics)
    return Roles(metrics=metrics, failures=_ordered(failures, metrics), requests=_ordered(requests, metrics))


def read_window_sli(
    spec: MetricMathSpec,
    window: RunWindow,
    get_metric_data: GetMetricData,
    *,
    shortfall: Shortfall,
    wait_s: float = DEFAULT_WAIT_S,
    poll_s: float = DEFAULT_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
    publish_lag_s: float = DEFAULT_PUBLISH_LAG_S,
) -> WindowReading:
    """Reads the window until ``shortfall`` finds nothing missing in a read that began once the window
    closed (``publish_lag_s`` after its end, by the wall clock ``now``), or ``wait_s`` passed, or the
    close lies past ``wait_s``; never raises for what GetMetricData does (the failure is a note on an
    empty reading)."""
    try:
        roles = roles_of(spec)
    except MetricMathError as error:
        note = f"the metric-math queries are not valid here: {error}"
        return WindowReading(window=window, availability=None, complete=False, notes=(note,))
    deadline = clock() + wait_s
    closes_at = window.end.timestamp() + publish_lag_s
    while True:
        read_at = now()
        try:
            series, notes = _fetch(spec, window, get_metric_data)
        except Exception as error:  # the caller's client: a metric read never fails the run
            return WindowReading(window=window, availability=None, complete=False, notes=(_failed(error),))
        sums = _sums(spec, series)
        missing = shortfall(series)
        still_open = read_at < closes_at
        if (missing is None and not still_open) or clock() >= deadline:
            break
        if missing is None:  # the counts caught up; the window is still open
            until_close = closes_at - now()
            if until_close > deadline - clock():  # it closes past the wait: no final figure now
                break
            sleep(max(0.0, until_close))
            continue
        sleep(max(0.0, min(poll_s, deadline - clock())))
    if missing is not None:
        notes = (*notes, f"incomplete after {wait_s:g} s: {missing}; metrics arrive late (best effort)")
    elif still_open:
        notes = (*notes, _open_note(window, read_at, publish_lag_s))
    availability, ratio_notes = expression_on_sums(spec, window.seconds, sums)
    return WindowReading(
        window=window,
        availability=availability,
        complete=missing is None and not still_open,
        periods=_periods(spec, roles, series),
        sums=sums,
        series=series,
        requests=_total(sums, roles.requests) if roles.known else None,
        notes=(*notes, *ratio_notes),
    )


# -- the roles ------------------------------------------------------------------------------------


def _first_division(queries: Mapping[str, Query], query_id: str) -> Binary | None:
    """The first ``/`` met walking from the availability query down through referenced expressions."""
    query = queries[query_id]
    if not isinstance(query, ExpressionQuery):
        return None
    for node in _walk(query.tree):
        if isinstance(node, Binary) and node.op == "/":
            return node
        if isinstance(node, Reference) and (found := _first_division(queries, node.id)) is not None:
            return found
    return None


def _metric_ids(node: Node, queries: Mapping[str, Query]) -> set[str]:
    """The ``MetricStat`` ids under ``node``, through referenced expressions."""
    found: set[str] = set()
    for inner in _walk(node):
        if not isinstance(inner, Reference):
            continue
        query = queries[inner.id]
        if isinstance(query, MetricQuery):
            found.add(query.id)
        else:
            found |= _metric_ids(query.tree, queries)
    return found


def _walk(node: Node) -> Iterator[Node]:
    yield node
    match node:
        case Unary(operand=operand):
            yield from _walk(operand)
        case Binary(left=left, right=right):
            yield from _walk(left)
            yield from _walk(right)
        case Call(args=children) | ArrayLiteral(items=children):
            for child in children:
                yield from _walk(child)
        case _:
            pass


def _ordered(ids: set[str], metrics: Mapping[str, MetricRef]) -> tuple[str, ...]:
    return tuple(query_id for query_id in metrics if query_id in ids)


# -- reading --------------------------------------------------------------------------------------


def _request(spec: MetricMathSpec) -> list[dict[str, Any]]:
    queries = spec.queries()
    for query in queries:
        query["ReturnData"] = "MetricStat" in query or query["Id"] == spec.availability_id
    return queries


def _fetch(
    spec: MetricMathSpec, window: RunWindow, get_metric_data: GetMetricData
) -> tuple[dict[str, Series], tuple[str, ...]]:
    """Every returned series by query id (pages followed), and a note per result not ``Complete``."""
    points: dict[str, dict[datetime, float]] = {}
    statuses: dict[str, str] = {}
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {
            "MetricDataQueries": _request(spec),
            "StartTime": window.start,
            "EndTime": window.end,
            "ScanBy": "TimestampAscending",
        }
        if token:
            kwargs["NextToken"] = token
        answer = get_metric_data(**kwargs)
        for result in answer.get("MetricDataResults", []):
            pairs = zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
            points.setdefault(result["Id"], {}).update((ts, float(value)) for ts, value in pairs)
            statuses[result["Id"]] = str(result.get("StatusCode", "Complete"))
        token = answer.get("NextToken")
        if not token:
            break
    series = {query_id: Series(window.period, found) for query_id, found in points.items()}
    notes = tuple(
        f"{query_id}: CloudWatch said {status}"
        for query_id, status in statuses.items()
        if status != "Complete"
    )
    return series, notes


def _sums(spec: MetricMathSpec, series: Mapping[str, Series]) -> dict[str, float]:
    """The window aggregate of each ``MetricStat`` query with datapoints (its statistic permitting)."""
    sums: dict[str, float] = {}
    for query in spec.metrics:
        found = series.get(query["Id"])
        aggregate = _WINDOW_AGGREGATES.get(str(query.get("MetricStat", {}).get("Stat")))
        if found is not None and len(found) and aggregate is not None:
            sums[query["Id"]] = aggregate(found.values)
    return sums


def _total(sums: Mapping[str, float], ids: Sequence[str]) -> float:
    return math.fsum(sums.get(query_id, 0.0) for query_id in ids)


def _open_note(window: RunWindow, read_at: float, publish_lag_s: float) -> str:
    """Why a reading whose counts caught up is still not complete: its window had not closed."""
    return (
        f"incomplete: read at {_at(read_at):%H:%M:%S} UTC, while the window was open (its last period "
        f"ends {window.end:%H:%M:%S} UTC, and its metrics arrive up to {publish_lag_s:g} s later): "
        "other traffic may still be counted in it (chainprobe reconcile --run reads it once closed)"
    )


def _failed(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, Mapping) and isinstance(response.get("Error"), Mapping):
        detail = response["Error"]
        return f"reading CloudWatch failed: AWS said {detail.get('Code')}: {detail.get('Message')}"
    return f"reading CloudWatch failed: {type(error).__name__}: {error}"


# -- the figures ----------------------------------------------------------------------------------


def expression_on_sums(
    spec: MetricMathSpec, length: int, sums: Mapping[str, float]
) -> tuple[float | None, tuple[str, ...]]:
    """The user's expression on one period ``length`` seconds long, each ``MetricStat`` standing for
    its aggregate ``sums[id]`` (no datapoint without one): the window's ratio of sums, or the same
    expression over a share of the counts (the run's own)."""
    stats = [str(query["MetricStat"].get("Stat")) for query in spec.metrics if "MetricStat" in query]
    odd = sorted({stat for stat in stats if stat not in _WINDOW_AGGREGATES})
    if odd:
        return None, (f"no window-level ratio: {', '.join(odd)} cannot be aggregated over the window",)
    queries = _request(spec)
    aggregates: list[tuple[Mapping[str, Any], Series]] = []
    for query in queries:
        if "Period" in query:
            query["Period"] = length
        if "MetricStat" in query:
            query["MetricStat"]["Period"] = length
            found = sums.get(query["Id"])
            aggregates.append((query["MetricStat"], Series(length, {} if found is None else {_EPOCH: found})))

    def fetch(metric_stat: Mapping[str, Any], _start: datetime, _end: datetime, _period: int) -> Series:
        return next(found for stat, found in aggregates if stat == metric_stat)

    try:
        result = evaluate(queries, start=_EPOCH, end=_EPOCH + timedelta(seconds=length), fetch=fetch)
    except MetricMathError as error:
        return None, (f"no window-level ratio: {error}",)
    return _single(result, spec.availability_id)


def _single(result: EvaluationResult, query_id: str) -> tuple[float | None, tuple[str, ...]]:
    found = result.for_id(query_id)
    if len(found) != 1 or found[0].status_code != "Complete" or len(found[0].values) != 1:
        return None, (f"no window-level ratio: {query_id} gave no single value over the window",)
    return found[0].values[0], ()


def _periods(spec: MetricMathSpec, roles: Roles, series: Mapping[str, Series]) -> tuple[PeriodPoint, ...]:
    availability = series.get(spec.availability_id, Series(1))
    requests = [series[query_id] for query_id in roles.requests if query_id in series]
    stamps = sorted(set(availability.timestamps).union(*(found.timestamps for found in requests)))
    return tuple(
        PeriodPoint(start=ts, availability=availability.get(ts), requests=_at_stamp(requests, ts))
        for ts in stamps
    )


def _at_stamp(requests: Sequence[Series], ts: datetime) -> float | None:
    values = [value for found in requests if (value := found.get(ts)) is not None]
    return math.fsum(values) if values else (0.0 if requests else None)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
