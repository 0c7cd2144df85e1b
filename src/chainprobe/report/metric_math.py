"""The metric-math side of a run report: the metric-math SLI over the run's window and its reconciliation
with the black box, as report summaries, JSON and the lines the human-readable writers show.

Built from ``chainprobe.measure.reconcile`` with :func:`summaries`; :meth:`MetricMathSummary.skipped`
records why nothing was measured (no ``metric_math`` in the spec, no CloudWatch, ``--no-metric-math``).

JSON (``metric_math``): ``availability`` (the expression on the window's sums, 6 decimals),
``complete`` (the window had closed and the counts caught up before the wait ended), ``window``
(``start``, ``end``, ``period_s``), ``periods`` (``start``, ``availability``, ``requests`` per
period) and ``notes``.
``reconciliation``: ``gap`` (black box - metric math; ``null`` when the reading cannot be trusted,
``notes`` say why), ``by_class`` (class -> ``black_box``, ``metric_math``: the run's failures
counted for it, ``gap``, ``explained``, ``reason``), ``undetermined`` (``gap``: what the failures
whose owner the counts cannot tell do to the run's figure, ``failures``: how many; never charged to
other traffic, they may be the run's), ``other_traffic`` (``gap``: what other requests and the
failures surely theirs do to the figure, ``failures``), ``unexplained`` (``gap``, ``failures``),
``requests`` (the metric math's denominator),
``own_requests`` (the run's, counted), ``orders_sent``, ``other_requests``, ``periods`` (per period,
or periods joined when an order may be counted in either: ``start``, ``end``, ``requests``,
``own_requests``, ``own_unanswered``, ``other_requests``, ``complete``, ``other_failures``,
``undetermined_failures``) and ``notes``. ``gap = Σ by_class + undetermined + other_traffic +
unexplained``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chainprobe.measure.attribution import SegmentShare
from chainprobe.measure.reconcile import ClassGap, RunReconciliation
from chainprobe.measure.window_sli import PeriodPoint, RunWindow
from chainprobe.report.formatting import percent

__all__ = [
    "PERIOD_HEADER",
    "MetricMathSummary",
    "ReconciliationSummary",
    "class_rows",
    "denominator_line",
    "empty_reconciliation_dict",
    "measured_text",
    "period_rows",
    "reconciliation_lines",
    "summaries",
    "window_line",
]


@dataclass(frozen=True, kw_only=True)
class MetricMathSummary:
    """The metric-math SLI over the run's window (``availability`` ``None``: not measured or no
    datapoints, ``notes`` say why); ``complete`` false when the counts had not caught up in time."""

    availability: float | None
    complete: bool | None = None
    window: RunWindow | None = None
    periods: tuple[PeriodPoint, ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def skipped(cls, reason: str) -> MetricMathSummary:
        """Nothing measured, and why: ``MetricMathSummary.skipped("the spec has no metric_math")``."""
        return cls(availability=None, notes=(f"skipped: {reason}",))

    def to_dict(self) -> dict[str, Any]:
        return {
            "availability": _round(self.availability),
            "complete": self.complete,
            "window": _window_dict(self.window),
            "periods": [_period_dict(point) for point in self.periods],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, kw_only=True)
class ReconciliationSummary:
    """How the black-box and metric-math SLIs differ: the gap, the failure classes behind it, what they
    leave unexplained, and the metric math's denominator against the orders sent."""

    gap: float | None
    by_class: tuple[ClassGap, ...] = ()
    unexplained: float | None = None
    unexplained_failures: int | None = None
    requests: int | None = None
    orders_sent: int | None = None
    own_requests: int | None = None
    other_traffic: float | None = None
    other_failures: int | None = None
    undetermined: float | None = None
    undetermined_failures: int | None = None
    periods: tuple[SegmentShare, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def other_requests(self) -> int | None:
        """Requests the denominator counted that are not the run's (negative: some missing)."""
        own = self.own_requests if self.own_requests is not None else self.orders_sent
        if self.requests is None or own is None:
            return None
        return self.requests - own

    def to_dict(self) -> dict[str, Any]:
        return {
            "gap": _round(self.gap),
            "by_class": {item.failure.value: _class_dict(item) for item in self.by_class},
            "undetermined": {"gap": _round(self.undetermined), "failures": self.undetermined_failures},
            "other_traffic": {"gap": _round(self.other_traffic), "failures": self.other_failures},
            "unexplained": {"gap": _round(self.unexplained), "failures": self.unexplained_failures},
            "requests": self.requests,
            "own_requests": self.own_requests,
            "orders_sent": self.orders_sent,
            "other_requests": self.other_requests,
            "periods": [_segment_dict(share) for share in self.periods],
            "notes": list(self.notes),
        }


def summaries(result: RunReconciliation) -> tuple[MetricMathSummary, ReconciliationSummary]:
    """The report's summaries of a measured reconciliation."""
    reading, rec = result.reading, result.reconciliation
    metric_math = MetricMathSummary(
        availability=reading.availability,
        complete=reading.complete,
        window=reading.window,
        periods=reading.periods,
        notes=(*reading.notes, *rec.notes),
    )
    reconciliation = ReconciliationSummary(
        gap=rec.gap,
        by_class=rec.by_class,
        unexplained=rec.unexplained,
        unexplained_failures=rec.unexplained_failures,
        requests=rec.requests,
        orders_sent=rec.orders_sent,
        own_requests=rec.own_requests,
        other_traffic=rec.other_traffic,
        other_failures=rec.other_failures,
        undetermined=rec.undetermined,
        undetermined_failures=rec.undetermined_failures,
        periods=rec.segments,
        notes=rec.notes,
    )
    return metric_math, reconciliation


def empty_reconciliation_dict() -> dict[str, Any]:
    """``reconciliation`` in a report that measured none."""
    return ReconciliationSummary(gap=None).to_dict()


# -- lines for the human-readable writers ----------------------------------------------------------


def measured_text(metric_math: MetricMathSummary, reconciliation: ReconciliationSummary | None) -> str:
    """``'95.00% (gap +5.00 pp to the black-box SLI)'``, flagged when incomplete or not measured."""
    if metric_math.availability is None and metric_math.notes:
        return f"n/a ({metric_math.notes[0]})"
    gap = _pp(reconciliation.gap if reconciliation else None)
    text = f"{percent(metric_math.availability)} (gap {gap} to the black-box SLI)"
    return text + (", incomplete" if metric_math.complete is False else "")


def window_line(metric_math: MetricMathSummary) -> str | None:
    """``'window 12:00:00-12:03:00 UTC, 60 s periods, complete'`` (``None`` without a window)."""
    window = metric_math.window
    if window is None:
        return None
    state = "complete" if metric_math.complete else "incomplete"
    return f"window {_clock(window.start)}-{_clock(window.end)} UTC, {window.period} s periods, {state}"


def denominator_line(reconciliation: ReconciliationSummary) -> str | None:
    """``'the denominator counted 26 requests for 20 orders sent: 6 not the run's'``."""
    if reconciliation.requests is None or reconciliation.orders_sent is None:
        return None
    requests, sent = reconciliation.requests, reconciliation.orders_sent
    if reconciliation.own_requests is not None:
        own, other = reconciliation.own_requests, reconciliation.other_requests or 0
        if other < 0:
            counted = f"the denominator counted {requests} requests for the run's {own}"
            return f"{counted}: some are missing (late, lost)"
        return (
            f"the denominator counted {requests} requests: {own} of the run's {sent} orders "
            f"and {other} of other traffic"
        )
    line = f"the denominator counted {requests} requests for {sent} orders sent"
    other = reconciliation.other_requests or 0
    if other > 0:
        return f"{line}: {other} not the run's (other traffic dilutes the metric-math SLI)"
    if other < 0:
        return f"{line}: {-other} missing (never reached the API, or metrics late)"
    return line


def class_rows(reconciliation: ReconciliationSummary) -> list[list[str]]:
    """class, black box, metric math, gap, explained, reason; then the unexplained remainder."""
    rows = [
        [
            item.failure.value,
            str(item.black_box),
            str(item.metric_math),
            _pp(item.gap),
            "yes" if item.explained else "no",
            item.reason,
        ]
        for item in reconciliation.by_class
    ]
    if reconciliation.own_requests is not None:
        other = reconciliation.other_failures or 0
        undetermined = reconciliation.undetermined_failures or 0
        if undetermined:
            why = "failures the run's or other traffic's: the counts cannot tell whose"
            rows.append(["undetermined", "", str(undetermined), _pp(reconciliation.undetermined), "", why])
        why = f"{reconciliation.other_requests} requests and {other} failures not the run's"
        rows.append(["other traffic", "", str(other), _pp(reconciliation.other_traffic), "", why])
    failures = "" if reconciliation.unexplained_failures is None else str(reconciliation.unexplained_failures)
    reason = "failures of the run no class explains"
    if reconciliation.own_requests is None:
        reason += ", and other traffic in the denominator"
    rows.append(["unexplained", "", failures, _pp(reconciliation.unexplained), "", reason])
    return rows


PERIOD_HEADER = ["period (UTC)", "requests", "the run's", "other", "other's failures", "undetermined"]


def period_rows(reconciliation: ReconciliationSummary) -> list[list[str]]:
    """Per period with requests (periods joined when an order may be counted in either): the
    requests counted, the run's, other traffic's, the failures that are other traffic's, and those
    whose owner the counts cannot tell; ``PERIOD_HEADER`` names the columns."""
    return [
        [
            f"{_clock(share.segment.start)}-{_clock(share.segment.end)}",
            str(share.requests),
            str(share.segment.own) + ("" if share.missing() is None else " (not all counted)"),
            str(share.other_requests),
            str(share.other_failures),
            str(share.undetermined_failures),
        ]
        for share in reconciliation.periods
        if share.requests or share.segment.own
    ]


def _pp(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100, 2) + 0.0:+.2f} pp"  # + 0.0: no "-0.00"


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S")


def _class_dict(item: ClassGap) -> dict[str, Any]:
    return {
        "black_box": item.black_box,
        "metric_math": item.metric_math,
        "gap": _round(item.gap),
        "explained": item.explained,
        "reason": item.reason,
    }


def _segment_dict(share: SegmentShare) -> dict[str, Any]:
    segment = share.segment
    return {
        "start": _iso(segment.start),
        "end": _iso(segment.end),
        "requests": share.requests,
        "own_requests": segment.own,
        "own_unanswered": segment.own_maybe,
        "other_requests": share.other_requests,
        "complete": share.missing() is None,
        "other_failures": share.other_failures,
        "undetermined_failures": share.undetermined_failures,
    }


def _window_dict(window: RunWindow | None) -> dict[str, Any] | None:
    if window is None:
        return None
    return {"start": _iso(window.start), "end": _iso(window.end), "period_s": window.period}


def _period_dict(point: PeriodPoint) -> dict[str, Any]:
    return {
        "start": _iso(point.start),
        "availability": _round(point.availability),
        "requests": point.requests,
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def reconciliation_lines(
    metric_math: MetricMathSummary | None, reconciliation: ReconciliationSummary | None
) -> list[str]:
    """The terminal's lines: window, denominator, one per class and the remainder, then the notes
    (but the first when ``measured_text`` already shows it)."""
    if metric_math is None:
        return []
    lines = [line for line in (window_line(metric_math),) if line]
    if reconciliation is not None and reconciliation.gap is not None:
        lines.extend(line for line in (denominator_line(reconciliation),) if line)
        for name, bb, mm, gap, explained, reason in class_rows(reconciliation):
            if name == "unexplained":
                lines.append(f"unexplained: {gap} ({mm or 0} {reason})")
            elif name == "other traffic":
                lines.append(f"other traffic: {gap} ({reason})")
            elif name == "undetermined":
                lines.append(f"undetermined: {gap} ({mm} {reason})")
            else:
                word = "explained" if explained == "yes" else "NOT explained"
                lines.append(f"{name}: black box {bb}, metric math {mm}, {gap}, {word}: {reason}")
    shown = 1 if metric_math.availability is None else 0
    return lines + list(metric_math.notes[shown:])
