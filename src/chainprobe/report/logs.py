"""The log view in a report: the milestone SLI, the lead time, the three-way reconciliation, and notes.

``report.json``'s ``logs``: ``configured`` (false when the spec has no ``logs`` section; then a note says
so), ``sli`` (``availability``: orders that reached the last milestone over those that reached the first,
``started``, ``completed``), ``lead_time_ms`` (``p50``, ``p95``, ``max``: first to last milestone, or
``null``), ``failed_orders`` (reached the first milestone, not the last; at most 50 ids),
``reconciliation`` (``by_class``: per failure class ``black_box``, ``metric_math`` (``null`` when the
metric math was not read), ``logs`` and ``seen_by``; ``logs_only``: orders judged good whose logs show a
failure), ``queries`` (how many times the run's one query ran while waiting for the logs) and
``notes`` (a missing log group, a refused query, logs still missing: never a failed run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainprobe.measure.log_reconcile import LogReconciliation
from chainprobe.measure.log_view import LogView
from chainprobe.report.formatting import ms, percent

__all__ = ["NOT_CONFIGURED", "LogsSummary", "logs_measured_text"]

NOT_CONFIGURED = "the log view was not configured (the spec has no logs section)"
MAX_FAILED_IDS = 50


@dataclass(frozen=True)
class LogsSummary:
    configured: bool
    view: LogView | None = None
    reconciliation: LogReconciliation | None = None
    queries: int = 0
    notes: tuple[str, ...] = ()

    @classmethod
    def not_configured(cls) -> LogsSummary:
        return cls(configured=False, notes=(NOT_CONFIGURED,))

    def to_dict(self) -> dict[str, Any]:
        view = self.view
        lead = view.lead_time_ms if view is not None else None
        return {
            "configured": self.configured,
            "sli": {
                "availability": _round(view.availability) if view is not None else None,
                "started": view.started if view is not None else None,
                "completed": view.completed if view is not None else None,
            },
            "lead_time_ms": {"p50": lead.p50, "p95": lead.p95, "max": lead.max} if lead is not None else None,
            "failed_orders": list(view.failed[:MAX_FAILED_IDS]) if view is not None else [],
            "reconciliation": self.reconciliation.to_dict() if self.reconciliation is not None else None,
            "queries": self.queries,
            "notes": list(self.notes),
        }


def logs_measured_text(summary: LogsSummary) -> str:
    """``100.00% (5/5 reached the last milestone); lead time p50 1.2 s, p95 1.5 s, max 1.6 s``, or why not."""
    view = summary.view
    if view is None:
        return "not measured: " + "; ".join(summary.notes) if summary.notes else "not measured"
    text = f"{percent(view.availability)} ({view.completed}/{view.started} reached the last milestone)"
    lead = view.lead_time_ms
    if lead is not None:
        text += f"; lead time p50 {ms(lead.p50)}, p95 {ms(lead.p95)}, max {ms(lead.max)}"
    return text + "".join(f"; {note}" for note in summary.notes)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
