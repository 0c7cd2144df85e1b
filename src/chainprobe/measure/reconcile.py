"""The black-box SLI against the metric-math SLI over the same window, the gap explained by failure class.

``gap = black-box availability - metric-math availability`` (negative: the metric math is the more
optimistic). The metric-math side is the spec's own expression on the window's sums
(``chainprobe.measure.window_sli``). Each failure class the black box found is then matched with
the metrics its orders move, read from :data:`CLASS_EFFECTS`, a table: ``http_5xx`` moves API
Gateway 5XXError and, when the handler raised, Lambda Errors as well (the design's formula adds
both, so such an order counts twice: a property of the formula, not a measurement error);
``event_missing``, ``event_duplicate``, ``db_*`` and ``http_2xx_error_body`` move nothing the
expression reads (invisible to it); ``http_4xx`` only the request count (the denominator);
``api_timeout`` and ``connection_error`` maybe not even that.

Per class: how many orders the black box called bad, how many failures the metric math counted
for them, the class's share of the gap ``(metric_math - black_box) / requests``, ``explained`` and a
one-line reason. The measured counters are attributed to classes in two passes: first to the
classes that always move a counter (one per order), then to those that may (at most one per
order); what is left is counted by the metric math and explained by no class: other users'
failures, or an effect the table does not know. ``unexplained`` is the gap the classes leave,
which also holds the dilution by other traffic: the metric math's denominator counts every
request in the window, not only the canary's (``requests`` against ``orders_sent``).

Example::

    result = reconcile_run(spec=spec.metric_math, orders=orders, sli=sli, ended_at=run.ended_at,
                           get_metric_data=cloudwatch.get_metric_data)
    gap = result.reconciliation.gap
    classes = [(c.failure, c.black_box, c.metric_math) for c in result.reconciliation.by_class]

Limitations: the table knows API Gateway, Lambda and EventBridge metrics by namespace and name (a
counter of another service in the expression is attributed to no class); attribution cannot tell
the canary's failures from other users' in the same window, so foreign failures of a kind a class
may produce (a foreign Lambda error) can be attributed to that class.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from chainprobe.ledger.model import FailureClass, OrderRecord
from chainprobe.measure.metricmath import MetricMathError
from chainprobe.measure.sli import SliResult
from chainprobe.measure.window_sli import (
    DEFAULT_POLL_S,
    DEFAULT_WAIT_S,
    Expectation,
    GetMetricData,
    MetricRef,
    Roles,
    RunWindow,
    WindowReading,
    read_window_sli,
    roles_of,
    spec_period,
)
from chainprobe.spec.model import MetricMathSpec

__all__ = [
    "CLASS_EFFECTS",
    "ClassEffect",
    "ClassGap",
    "Reconciliation",
    "RunReconciliation",
    "expectation",
    "reconcile",
    "reconcile_run",
]

API_5XX = MetricRef("AWS/ApiGateway", "5XXError")
LAMBDA_ERRORS = MetricRef("AWS/Lambda", "Errors")

_INVISIBLE = "invisible to the expression"


@dataclass(frozen=True, kw_only=True)
class ClassEffect:
    """What an order of one failure class does to the AWS metrics.

    ``counts``: each such order adds one to these; ``may_count``: some do (the counters say how
    many); ``blind``: what the metric math makes of it when the expression reads none of them, and
    ``why``, in a clause.
    """

    counts: tuple[MetricRef, ...] = ()
    may_count: tuple[MetricRef, ...] = ()
    blind: str = _INVISIBLE
    why: str


CLASS_EFFECTS: Mapping[FailureClass, ClassEffect] = MappingProxyType(
    {
        FailureClass.HTTP_5XX: ClassEffect(
            counts=(API_5XX,),
            may_count=(LAMBDA_ERRORS,),
            why="the gateway answered 5xx; Lambda Errors rises only when the handler raised or timed out",
        ),
        FailureClass.HTTP_4XX: ClassEffect(
            blind="in the denominator only",
            why="a 4xx is the client's error to every AWS metric, a success to the formula",
        ),
        FailureClass.HTTP_2XX_ERROR_BODY: ClassEffect(
            why="a 2xx whose body reports an error is a success to every AWS metric"
        ),
        FailureClass.API_TIMEOUT: ClassEffect(
            may_count=(API_5XX, LAMBDA_ERRORS),
            blind="maybe not even in the denominator",
            why="the client gave up first: the gateway counts it later (a 504, or a success) or not at all",
        ),
        FailureClass.CONNECTION_ERROR: ClassEffect(
            blind="maybe not even in the denominator",
            why="the request may never have reached the gateway",
        ),
        FailureClass.DB_MISSING: ClassEffect(
            why="the API answered 2xx and no metric of the expression looks into the table"
        ),
        FailureClass.DB_MISMATCH: ClassEffect(
            why="the item was written, with the wrong content: a success to every metric"
        ),
        FailureClass.EVENT_MISSING: ClassEffect(
            why=(
                "a failed PutEvents entry moves only the account-wide PutEventsFailedEntriesCount "
                "(FailedInvocations counts rule targets) and the API answered 2xx"
            )
        ),
        FailureClass.EVENT_DUPLICATE: ClassEffect(why="a duplicate event is two successes to every metric"),
    }
)


@dataclass(frozen=True, kw_only=True)
class ClassGap:
    """One failure class: orders the black box called bad, failures the metric math counted for them,
    their share of the gap (``None`` without requests), whether the table explains it, and why."""

    failure: FailureClass
    black_box: int
    metric_math: int
    gap: float | None
    explained: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class Reconciliation:
    """The gap, its classes, and what they leave: ``unexplained`` (share of the gap) and
    ``unexplained_failures`` (failures counted that no class explains); ``requests`` is the
    metric math's denominator over the window, ``orders_sent`` the canary's."""

    gap: float | None
    by_class: tuple[ClassGap, ...]
    unexplained: float | None
    unexplained_failures: int
    requests: int | None
    orders_sent: int

    @property
    def other_requests(self) -> int | None:
        """Requests in the denominator that are not the canary's orders (negative: some are missing)."""
        return None if self.requests is None else self.requests - self.orders_sent


@dataclass(frozen=True, kw_only=True)
class RunReconciliation:
    """The metric-math reading over a run's window and its reconciliation with the black box."""

    reading: WindowReading
    reconciliation: Reconciliation


def reconcile_run(
    *,
    spec: MetricMathSpec,
    orders: Sequence[OrderRecord],
    sli: SliResult,
    ended_at: float | None,
    get_metric_data: GetMetricData,
    wait_s: float = DEFAULT_WAIT_S,
    poll_s: float = DEFAULT_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RunReconciliation | None:
    """Reads the run's window (waiting for the counts to catch up) and reconciles; ``None`` when no
    order was sent. Never raises for what GetMetricData does (see ``read_window_sli``)."""
    window = RunWindow.around(orders, ended_at=ended_at, period=spec_period(spec))
    if window is None:
        return None
    try:
        roles = roles_of(spec)
    except MetricMathError:  # read_window_sli notes it on the reading
        roles = Roles(metrics={})
    reading = read_window_sli(
        spec,
        window,
        get_metric_data,
        expect=expectation(orders, sli, roles),
        wait_s=wait_s,
        poll_s=poll_s,
        sleep=sleep,
        clock=clock,
    )
    return RunReconciliation(reading=reading, reconciliation=reconcile(reading, sli, roles))


def expectation(orders: Sequence[OrderRecord], sli: SliResult, roles: Roles) -> Expectation:
    """What a complete window holds: every order the API answered in the request counters, and each
    failure counter at least the orders of the classes that always move it."""
    floors: dict[str, int] = {}
    for query_id in roles.failures:
        metric = roles.metrics[query_id]
        floors[query_id] = sum(
            n for failure, n in sli.chain.by_class.items() if metric in _effect(failure).counts
        )
    answered = sum(1 for order in orders if order.api_status is not None)
    return Expectation(requests=answered, failures={k: v for k, v in floors.items() if v})


def reconcile(reading: WindowReading, sli: SliResult, roles: Roles) -> Reconciliation:
    """The gap between ``sli``'s chain availability and ``reading``, class by class."""
    counts = {
        failure: sli.chain.by_class[failure] for failure in FailureClass if failure in sli.chain.by_class
    }
    attributed, left = _attribute(counts, reading.sums, roles)
    requests = reading.requests if reading.requests else None
    by_class = tuple(
        _class_gap(failure, n, attributed[failure], requests, roles) for failure, n in counts.items()
    )
    gap = _difference(sli.chain.availability, reading.availability)
    shares = [item.gap for item in by_class]
    unexplained = None
    if gap is not None and None not in shares:
        unexplained = gap - math.fsum(share for share in shares if share is not None)
    return Reconciliation(
        gap=gap,
        by_class=by_class,
        unexplained=unexplained,
        unexplained_failures=left,
        requests=None if reading.requests is None else round(reading.requests),
        orders_sent=sli.sent,
    )


def _effect(failure: FailureClass) -> ClassEffect:
    return CLASS_EFFECTS.get(failure) or ClassEffect(why=f"{failure.value} is not in the class table")


def _attribute(
    counts: Mapping[FailureClass, int], sums: Mapping[str, float], roles: Roles
) -> tuple[dict[FailureClass, dict[str, int]], int]:
    """Each failure counter's window count shared out to the classes (``always`` first, then ``may``);
    returns the share per class and query id, and what no class took."""
    attributed: dict[FailureClass, dict[str, int]] = {failure: {} for failure in counts}
    left_over = 0
    for query_id in roles.failures:
        metric = roles.metrics[query_id]
        left = round(sums.get(query_id, 0.0))
        for always in (True, False):
            for failure, n in counts.items():
                effect = _effect(failure)
                if metric in (effect.counts if always else effect.may_count):
                    take = min(n, left)
                    attributed[failure][query_id] = take
                    left -= take
        left_over += left
    return attributed, left_over


def _class_gap(
    failure: FailureClass, n: int, taken: Mapping[str, int], requests: float | None, roles: Roles
) -> ClassGap:
    counted = sum(taken.values())
    explained, reason = _verdict(_effect(failure), n, taken, roles)
    return ClassGap(
        failure=failure,
        black_box=n,
        metric_math=counted,
        gap=None if requests is None else (counted - n) / requests,
        explained=explained,
        reason=reason,
    )


def _verdict(effect: ClassEffect, n: int, taken: Mapping[str, int], roles: Roles) -> tuple[bool, str]:
    """Whether the table explains what the counters did for ``n`` orders of this class, and why."""
    if not roles.known:
        return False, "no attribution: the expression is not of the shape failures / requests"
    always = [query_id for query_id in roles.failures if roles.metrics[query_id] in effect.counts]
    maybe = [query_id for query_id in roles.failures if roles.metrics[query_id] in effect.may_count]
    if not always and not any(taken.get(query_id) for query_id in maybe):
        return True, f"{effect.blind}: {effect.why}"
    parts = [_always_part(query_id, taken.get(query_id, 0), n, roles) for query_id in always]
    parts += [f"{_named(query_id, roles)} for {taken[query_id]}" for query_id in maybe if taken.get(query_id)]
    reason = ", and by ".join(parts)
    if sum(taken.values()) > n:
        reason += "; the formula adds them, so one order counts more than once"
    return all(taken.get(query_id, 0) >= n for query_id in always), f"counted by {reason}"


def _always_part(query_id: str, counted: int, n: int, roles: Roles) -> str:
    if counted >= n:
        return f"{_named(query_id, roles)} for all {n}"
    return f"{_named(query_id, roles)} for only {counted} of {n} (late or lost datapoints)"


def _named(query_id: str, roles: Roles) -> str:
    return f"{query_id} ({roles.metrics[query_id]})"


def _difference(black_box: float | None, metric_math: float | None) -> float | None:
    if black_box is None or metric_math is None:
        return None
    return black_box - metric_math
