"""A suggested metric-math SLI: what the spec's expression would need to count what the black box saw.

Built from a run's reconciliation (``measure.reconcile``): for each failure class whose orders the
metric math did not count as the black box did, one change to the ``Metrics`` block, and what the
changed expression would still miss, said plainly:

================================  ==================================================================
class (metric math vs black box)  change
================================  ==================================================================
``event_missing``, fewer          add ``AWS/Events PutEventsFailedEntriesCount`` (no dimensions) to
                                  the failures. Account-wide: failed entries on every bus of the
                                  account and region count, not only this chain's.
``http_5xx``, more (counted       drop ``AWS/Lambda Errors`` from the failures: a handler that raised
twice)                            already became the gateway's 5XXError. Lambda errors that never
                                  reached the gateway (an async or retried invocation) no longer count.
any other class, fewer            add the canary's own published ``OrdersBad`` for that class
                                  (``cloudwatch_publish``, dimension ``FailureClass``): sees the
                                  canary's orders only, counted when a run ends, not per minute.
                                  Without ``cloudwatch_publish`` no change is offered.
================================  ==================================================================

The suggested expression is written ``1 - ((FILL(f1,0) + ...) / MAX([r1 + ...], 1))`` over the
failure and request queries of the spec's own (``window_sli.roles_of``), changed as above, under the
spec's own availability id (a drop-in ``Metrics`` block); a dropped query goes, every other query is
kept as it is. Example::

    suggestion = suggest(spec.metric_math, reconciliation, blackbox=("Chainprobe", {"Probe": "orders"}))
    suggestion.changes[0].change   # 'add AWS/Events PutEventsFailedEntriesCount ...'
    suggestion.metric_math()       # a MetricMathSpec: evaluate it over the same window

No change (``changes`` empty) when the reconciliation found nothing to close, or when the spec's
expression has no ``failures / requests`` shape to change (``unchanged_because`` says which).
Limitation: a dropped query that another expression of the spec still references leaves that
expression invalid (CloudWatch says so on the first read).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainprobe.ledger.model import FailureClass
from chainprobe.measure.metricmath import MetricMathError
from chainprobe.measure.reconcile import API_5XX, LAMBDA_ERRORS, Reconciliation
from chainprobe.measure.window_sli import MetricRef, roles_of, spec_period
from chainprobe.spec.model import MetricMathSpec

__all__ = ["PUT_EVENTS_FAILED_ENTRIES", "ClassChange", "Suggestion", "suggest"]

PUT_EVENTS_FAILED_ENTRIES = MetricRef("AWS/Events", "PutEventsFailedEntriesCount")
ORDERS_BAD = "OrdersBad"
FAILURE_CLASS_DIMENSION = "FailureClass"


@dataclass(frozen=True, kw_only=True)
class ClassChange:
    """One failure class: the change to the ``Metrics`` block, and what the result still misses."""

    failure: FailureClass
    change: str
    still_misses: str


@dataclass(frozen=True, kw_only=True)
class Suggestion:
    """The changes, the suggested ``Metrics`` block and its availability id (see the module docstring)."""

    changes: tuple[ClassChange, ...]
    metrics: tuple[Mapping[str, Any], ...]
    availability_id: str
    unchanged_because: str | None = None

    def metric_math(self) -> MetricMathSpec:
        return MetricMathSpec(metrics=self.metrics, availability_id=self.availability_id)

    def block(self) -> dict[str, Any]:
        """The spec's ``metric_math`` section, as it would be pasted in."""
        return {
            "availability_id": self.availability_id,
            "Metrics": [copy.deepcopy(dict(q)) for q in self.metrics],
        }


def suggest(
    spec: MetricMathSpec,
    reconciliation: Reconciliation,
    *,
    blackbox: tuple[str, Mapping[str, str]] | None = None,
) -> Suggestion:
    """The suggestion for ``reconciliation``; ``blackbox`` is ``(namespace, dimensions)`` the canary
    publishes to, ``None`` without ``cloudwatch_publish``."""
    unchanged = Suggestion(changes=(), metrics=spec.metrics, availability_id=spec.availability_id)
    try:
        roles = roles_of(spec)
    except MetricMathError as error:
        return _unchanged(unchanged, f"the spec's queries are not valid metric math: {error}")
    if not roles.known:
        return _unchanged(unchanged, "the availability expression has no failures / requests shape to change")
    failures = list(roles.failures)
    added: list[dict[str, Any]] = []
    changes: list[ClassChange] = []
    period = spec_period(spec)
    taken = {str(query["Id"]) for query in spec.metrics}
    for item in reconciliation.by_class:
        if item.black_box == item.metric_math:
            continue
        if item.failure is FailureClass.HTTP_5XX and item.metric_math > item.black_box:
            doubled = [qid for qid in failures if roles.metrics[qid] == LAMBDA_ERRORS]
            if doubled and any(roles.metrics[qid] == API_5XX for qid in failures):
                failures = [qid for qid in failures if qid not in doubled]
                changes.append(_lambda_dropped(doubled))
            continue
        if item.metric_math > item.black_box:
            continue
        if item.failure is FailureClass.EVENT_MISSING:
            if not any(roles.metrics[qid] == PUT_EVENTS_FAILED_ENTRIES for qid in failures):
                query_id = _free("putEventsFailedEntries", taken)
                added.append(_metric_stat(query_id, PUT_EVENTS_FAILED_ENTRIES, {}, period))
                failures.append(query_id)
                changes.append(_put_events_added(query_id))
            continue
        if blackbox is None:
            changes.append(_no_metric(item.failure))
            continue
        query_id = _free(f"canaryBad{_camel(item.failure.value)}", taken)
        namespace, dimensions = blackbox
        by_class = {**dimensions, FAILURE_CLASS_DIMENSION: item.failure.value}
        added.append(_metric_stat(query_id, MetricRef(namespace, ORDERS_BAD), by_class, period))
        failures.append(query_id)
        changes.append(_canary_added(item.failure, query_id))
    if not added and failures == list(roles.failures):
        return Suggestion(
            changes=tuple(changes),
            metrics=spec.metrics,
            availability_id=spec.availability_id,
            unchanged_because=None if changes else "the metric math counted every class as the black box did",
        )
    dropped = set(roles.failures) - set(failures)
    metrics: list[Mapping[str, Any]] = []
    for query in spec.metrics:
        if query["Id"] == spec.availability_id:
            replaced = {**copy.deepcopy(dict(query)), "Expression": _expression(failures, roles.requests)}
            metrics.extend([*added, replaced])
        elif query["Id"] not in dropped:
            metrics.append(copy.deepcopy(dict(query)))
    return Suggestion(changes=tuple(changes), metrics=tuple(metrics), availability_id=spec.availability_id)


def _unchanged(suggestion: Suggestion, why: str) -> Suggestion:
    return Suggestion(
        changes=(),
        metrics=suggestion.metrics,
        availability_id=suggestion.availability_id,
        unchanged_because=why,
    )


def _expression(failures: Sequence[str], requests: Sequence[str]) -> str:
    bad = " + ".join(f"FILL({qid},0)" for qid in failures) or "0"
    total = " + ".join(requests)
    return f"1 - (({bad}) / MAX([{total}], 1))"


def _metric_stat(
    query_id: str, metric: MetricRef, dimensions: Mapping[str, str], period: int
) -> dict[str, Any]:
    stat: dict[str, Any] = {"Namespace": metric.namespace, "MetricName": metric.name}
    if dimensions:
        stat["Dimensions"] = [{"Name": name, "Value": value} for name, value in dimensions.items()]
    return {
        "Id": query_id,
        "MetricStat": {"Metric": stat, "Period": period, "Stat": "Sum"},
        "ReturnData": False,
    }


def _put_events_added(query_id: str) -> ClassChange:
    return ClassChange(
        failure=FailureClass.EVENT_MISSING,
        change=f"add {PUT_EVENTS_FAILED_ENTRIES} ({query_id}, no dimensions) to the failures",
        still_misses=(
            "nothing of this class, but it is account-wide: failed PutEvents entries of every bus in the "
            "account and region count against this chain, and an entry is not a request (a request that "
            "put several entries can count several times)"
        ),
    )


def _lambda_dropped(doubled: Sequence[str]) -> ClassChange:
    return ClassChange(
        failure=FailureClass.HTTP_5XX,
        change=f"drop {LAMBDA_ERRORS} ({', '.join(doubled)}) from the failures: a handler that raised is "
        f"already the gateway's {API_5XX.name}",
        still_misses=(
            "Lambda errors that never became a gateway 5xx (an asynchronous or retried invocation, a "
            "timeout the gateway answered as a success) no longer count"
        ),
    )


def _canary_added(failure: FailureClass, query_id: str) -> ClassChange:
    return ClassChange(
        failure=failure,
        change=f"add the canary's published {ORDERS_BAD} with {FAILURE_CLASS_DIMENSION}={failure.value} "
        f"({query_id}) to the failures",
        still_misses=(
            f"every {failure.value} failure of traffic that is not the canary's: no AWS metric counts them, "
            "and the canary's own are counted when its run ends, not in the minute they happened"
        ),
    )


def _no_metric(failure: FailureClass) -> ClassChange:
    return ClassChange(
        failure=failure,
        change="none: no AWS metric counts this class and the spec has no cloudwatch_publish",
        still_misses=f"every {failure.value} failure (publish the canary's results to count its own)",
    )


def _free(wanted: str, taken: set[str]) -> str:
    candidates = (wanted, *(f"{wanted}{n}" for n in range(2, len(taken) + 3)))
    chosen = next(name for name in candidates if name not in taken)
    taken.add(chosen)
    return chosen


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)
