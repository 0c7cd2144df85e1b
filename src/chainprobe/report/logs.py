"""The log view in a report: the milestone SLI, the lead time, the three-way reconciliation, and notes.

``report.json``'s ``logs``: ``configured`` (false when the spec has no ``logs`` section; then a note says
so), ``sli`` (``availability``: orders that reached the last milestone over those that reached the first,
``started``, ``completed``), ``lead_time_ms`` (``p50``, ``p95``, ``max``: first to last milestone, or
``null``), ``failed_orders`` (reached the first milestone, not the last; at most 50 ids),
``reconciliation`` (``by_class``: per failure class ``black_box``, ``metric_math`` (``null`` when the
metric math was not read), ``logs`` and ``seen_by``; ``logs_only``: orders judged good whose logs show a
failure), ``queries`` (how many times the run's one query ran while waiting for the logs),
``drilldown_queries`` (one per ten bad orders drilled into) and ``notes`` (a missing log group, a
refused query, logs still missing: never a failed run).

``bad_orders``: every bad order of the run (chain or delivery verdict), at most ``MAX_DRILLDOWNS`` of
them by sequence (``bad_orders_total`` counts all), each with ``order_id``, ``seq``, ``failure`` and
its ``drilldown``: ``milestones`` (``name``, ``log_group``, ``time``), ``missing_milestone``,
``functions``, ``log_lines`` (at most 20, 300 characters each, secrets redacted; ``log_lines_dropped``
counts the rest) and ``exception`` (``type``, ``message``; ``null`` when none was logged); and
``console``: the order's Logs Insights query to paste into the console (``query``, ``log_groups``,
``start``, ``end``, and ``url``: the console link on AWS, ``null`` elsewhere). Bound: 50 orders of at
most 20 lines of 300 characters, about 350 KB at the most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainprobe.ledger.model import OrderRecord
from chainprobe.measure.log_drilldown import Drilldown
from chainprobe.measure.log_reconcile import LogReconciliation
from chainprobe.measure.log_view import LogView
from chainprobe.report.formatting import ms, percent
from chainprobe.report.logs_console import ConsoleQuery
from chainprobe.report.timefmt import iso_utc
from chainprobe.spec.secrets import redact

__all__ = ["MAX_DRILLDOWNS", "NOT_CONFIGURED", "BadOrderLogs", "LogsSummary", "logs_measured_text"]

NOT_CONFIGURED = "the log view was not configured (the spec has no logs section)"
MAX_FAILED_IDS = 50
MAX_DRILLDOWNS = 50  # bad orders drilled into per run (five queries at the most)


@dataclass(frozen=True)
class BadOrderLogs:
    """A bad order as its logs tell it, and the query that shows it in the console."""

    order: OrderRecord
    drilldown: Drilldown
    console: ConsoleQuery

    def to_dict(self) -> dict[str, Any]:
        found, order = self.drilldown, self.order
        failure = order.chain_failure or order.delivery_failure
        exception = found.exception
        return {
            "order_id": order.order_id,
            "seq": order.seq,
            "failure": failure.value if failure is not None else None,
            "drilldown": {
                "milestones": [
                    {"name": hit.name, "log_group": hit.log_group, "time": iso_utc(hit.at)}
                    for hit in found.milestones
                ],
                "missing_milestone": found.missing_milestone,
                "functions": list(found.functions),
                "log_lines": [redact(line) for line in found.log_lines],
                "log_lines_dropped": found.dropped,
                "exception": {"type": exception.type, "message": redact(exception.message)}
                if exception is not None
                else None,
            },
            "console": self.console.to_dict(),
        }


@dataclass(frozen=True)
class LogsSummary:
    configured: bool
    view: LogView | None = None
    reconciliation: LogReconciliation | None = None
    queries: int = 0
    notes: tuple[str, ...] = ()
    bad_orders: tuple[BadOrderLogs, ...] = ()
    bad_orders_total: int = 0
    drilldown_queries: int = 0

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
            "drilldown_queries": self.drilldown_queries,
            "bad_orders_total": self.bad_orders_total,
            "bad_orders": [item.to_dict() for item in self.bad_orders],
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
