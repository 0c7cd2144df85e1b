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

Per class: how many orders the black box called bad, how many of the run's failures the metric
math counted for them, the class's share of the gap ``(metric_math - black_box) / judged`` (judged:
the black box's good + bad orders), ``explained`` and a one-line reason. Whose each counted failure
is comes from ``chainprobe.measure.attribution``, period by period against the ledger's own
requests (``chainprobe.measure.run_traffic``): a class is credited only with the run's failures,
never with another run's or another user's; in a period shared with traffic that could have failed
the same way, what either could have produced is ``undetermined``. ``undetermined`` is also the part
of the gap those failures make, on their own: the run's figure with them minus without them (they may
be the run's, so they are never charged to other traffic). ``other_traffic`` is the part the other
requests in the window make (their dilution and the failures that are surely theirs), and
``unexplained`` what is left: ``gap = Σ by_class + undetermined + other_traffic + unexplained``, zero
unexplained when the table explains every failure of the run.

Example::

    result = reconcile_run(spec=spec.metric_math, orders=orders, sli=sli, ended_at=run.ended_at,
                           get_metric_data=cloudwatch.get_metric_data)
    gap = result.reconciliation.gap
    classes = [(c.failure, c.black_box, c.metric_math) for c in result.reconciliation.by_class]

Limitations: the table knows API Gateway, Lambda and EventBridge metrics by namespace and name (a
counter of another service in the expression is attributed to no class); the run's own figure
needs a single request counter; a late datapoint of the run's in a period it shares with traffic
chainprobe did not send can be masked by that traffic's count (other runs in the same ledger are
known and cannot mask it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from chainprobe.ledger.model import FailureClass, OrderRecord
from chainprobe.measure.attribution import Attribution, SegmentShare, attribute
from chainprobe.measure.metricmath import MetricMathError, Series
from chainprobe.measure.run_traffic import ledger_requests, segments_of
from chainprobe.measure.sli import SliResult
from chainprobe.measure.window_sli import (
    DEFAULT_POLL_S,
    DEFAULT_WAIT_S,
    GetMetricData,
    MetricRef,
    Roles,
    RunWindow,
    WindowReading,
    expression_on_sums,
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
    """The gap, its classes, other traffic's part and what they leave.

    ``gap = by_class shares + undetermined + other_traffic + unexplained``, each a share of the black
    box's judged orders or a difference of two availabilities, so none can pass ±100 pp. Each is
    ``None`` when the reading cannot be trusted (``notes`` say why): the run's own requests not all
    counted (late datapoints, a restarted stack's lost metrics), or an expression value that is no
    availability. ``undetermined`` is the expression over the run's own counts minus the same with
    the undetermined failures added to them (the run's or other traffic's: the counts cannot tell);
    ``other_traffic`` the latter minus the metric math over the window (dilution by other requests
    and the failures surely theirs).
    ``requests`` is the window's denominator, ``own_requests`` the run's requests counted in it.
    """

    gap: float | None
    by_class: tuple[ClassGap, ...]
    unexplained: float | None
    unexplained_failures: int
    requests: int | None
    orders_sent: int
    own_requests: int | None = None
    other_traffic: float | None = None
    other_failures: int = 0
    undetermined: float | None = None
    undetermined_failures: int = 0
    segments: tuple[SegmentShare, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def other_requests(self) -> int | None:
        """Requests in the denominator that are not the run's (``None`` without a count)."""
        if self.requests is None:
            return None
        own = self.orders_sent if self.own_requests is None else self.own_requests
        return self.requests - own


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
    neighbours: Sequence[OrderRecord] = (),
    wait_s: float = DEFAULT_WAIT_S,
    poll_s: float = DEFAULT_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
) -> RunReconciliation | None:
    """Reads the run's window (waiting until the run's own requests are all counted) and reconciles;
    ``None`` when no order was sent. ``neighbours`` are other runs' orders from the same ledger (their
    requests in a shared period are then known, not only counted). Never raises for what
    GetMetricData does (see ``read_window_sli``)."""
    window = RunWindow.around(orders, ended_at=ended_at, period=spec_period(spec))
    if window is None:
        return None
    try:
        roles = roles_of(spec)
    except MetricMathError:  # read_window_sli notes it on the reading
        roles = Roles(metrics={})
    requests = [*ledger_requests(orders, own=True), *ledger_requests(neighbours, own=False)]
    segments = segments_of(window.start, window.seconds // window.period, window.period, requests)

    def attribution(series: Mapping[str, Series]) -> Attribution:
        failures = {query_id: roles.metrics[query_id] for query_id in roles.failures}
        return attribute(
            segments,
            series,
            requests=roles.requests,
            failures=failures,
            effect_of=_effects,
            period=window.period,
        )

    reading = read_window_sli(
        spec,
        window,
        get_metric_data,
        shortfall=lambda series: attribution(series).shortfall if roles.known else None,
        wait_s=wait_s,
        poll_s=poll_s,
        sleep=sleep,
        clock=clock,
        now=now,
    )
    shares = attribution(reading.series) if roles.known else None
    reconciliation = reconcile(reading, sli, roles, shares, spec=spec)
    return RunReconciliation(reading=reading, reconciliation=reconciliation)


def reconcile(
    reading: WindowReading,
    sli: SliResult,
    roles: Roles,
    attribution: Attribution | None,
    *,
    spec: MetricMathSpec,
) -> Reconciliation:
    """The gap between ``sli``'s chain availability and ``reading``, class by class and other traffic."""
    counts = {
        failure: sli.chain.by_class[failure] for failure in FailureClass if failure in sli.chain.by_class
    }
    credited = attribution.credited if attribution is not None else {}
    notes = _distrust(reading, attribution)
    comparable = reading.availability is not None and not notes  # no figure: the reading's notes say why
    judged = sli.chain.verdicted if comparable and sli.chain.verdicted else None
    by_class = tuple(
        _class_gap(failure, n, credited.get(failure, {}), judged, roles) for failure, n in counts.items()
    )
    own_figure = _own_availability(spec, reading, roles, attribution) if judged else None
    maybe_own = _own_availability(spec, reading, roles, attribution, undetermined=True) if judged else None
    gap = _difference(sli.chain.availability, reading.availability) if judged else None
    not_the_classes = _difference(own_figure, reading.availability)
    shares = [item.gap for item in by_class]
    unexplained = None
    if gap is not None and not_the_classes is not None and None not in shares:
        unexplained = gap - not_the_classes - math.fsum(share for share in shares if share is not None)
    return Reconciliation(
        gap=gap,
        by_class=by_class,
        unexplained=unexplained,
        unexplained_failures=attribution.unexplained_failures if attribution else 0,
        requests=None if reading.requests is None else round(reading.requests),
        orders_sent=sli.sent,
        own_requests=attribution.own_requests if attribution else None,
        other_traffic=_difference(maybe_own, reading.availability),
        other_failures=attribution.other_failures if attribution else 0,
        undetermined=_difference(own_figure, maybe_own),
        undetermined_failures=attribution.undetermined_failures if attribution else 0,
        segments=attribution.segments if attribution else (),
        notes=notes,
    )


def _effect(failure: FailureClass) -> ClassEffect:
    return CLASS_EFFECTS.get(failure) or ClassEffect(why=f"{failure.value} is not in the class table")


def _effects(failure: FailureClass) -> tuple[tuple[MetricRef, ...], tuple[MetricRef, ...]]:
    effect = _effect(failure)
    return effect.counts, effect.may_count


def _distrust(reading: WindowReading, attribution: Attribution | None) -> tuple[str, ...]:
    """Why the reading's figure cannot be compared with the black box (empty: it can, or there is none)."""
    if reading.availability is None:
        return ()
    if not reading.complete and attribution is not None and attribution.shortfall is None:
        return (
            "no gap: the window was still open when read (its counts not final): it would compare unlike "
            "things",
        )
    if not reading.complete:
        own = "" if attribution is None else f" (counted for the run: {_own_counted(attribution)})"
        return (f"no gap: the run's own requests are not all counted{own}: it would compare unlike things",)
    if not 0.0 <= reading.availability <= 1.0:
        return (
            f"no gap: the expression gave {reading.availability:g}, not an availability "
            "(its failure counters add to more than its requests)",
        )
    return ()


def _own_counted(attribution: Attribution) -> str:
    counted = sum(min(share.requests, share.segment.own) for share in attribution.segments)
    return f"{counted} of {attribution.own_requests}"


def _own_availability(
    spec: MetricMathSpec,
    reading: WindowReading,
    roles: Roles,
    attribution: Attribution | None,
    *,
    undetermined: bool = False,
) -> float | None:
    """The expression over the run's own counts (its requests, the failures credited to it, and with
    ``undetermined`` the failures that may be its own as well)."""
    if attribution is None or len(roles.requests) != 1:
        return None
    sums = dict(reading.sums)
    sums[roles.requests[0]] = float(attribution.own_requests)
    for query_id in roles.failures:
        maybe = attribution.undetermined_on(query_id) if undetermined else 0
        sums[query_id] = float(attribution.own_failures(query_id) + maybe)
    value, _ = expression_on_sums(spec, reading.window.seconds, sums)
    return value if value is not None and 0.0 <= value <= 1.0 else None


def _class_gap(
    failure: FailureClass, n: int, taken: Mapping[str, int], judged: int | None, roles: Roles
) -> ClassGap:
    """``gap`` is ``(counted - n) / judged``: a class's orders are judged ones, and the table lets an
    order move at most two counters, so it lies within ±100 pp."""
    counted = sum(taken.values())
    explained, reason = _verdict(_effect(failure), n, taken, roles)
    return ClassGap(
        failure=failure,
        black_box=n,
        metric_math=counted,
        gap=None if judged is None else (counted - n) / judged,
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
