"""A bad order's drill-down as terminal text (``chainprobe logs``): every line redacted of secrets.

Example::

    order o-r-1-0 (seq 0): bad, event_missing
      milestones  START OrdersHandler 04:38:01.123 | SAVED_IN_DATABASE OrdersHandler 04:38:01.150
      missing     COMPLETED in /aws/lambda/DeliveryHandler
      functions   OrdersHandler
      exception   InternalFailure: entry not accepted
      log lines   2026-12-05 04:38:01.123 OrdersHandler {"level": "INFO", ...}
"""

from __future__ import annotations

from datetime import UTC, datetime

from chainprobe.ledger.model import OrderRecord
from chainprobe.measure.log_drilldown import Drilldown
from chainprobe.spec.secrets import redact

__all__ = ["render_drilldown"]

_WIDTH = 12


def render_drilldown(drilldown: Drilldown, order: OrderRecord) -> str:
    """The drill-down of ``order`` as text lines, ending with a newline."""
    verdict = order.chain_verdict.value
    failure = order.chain_failure or order.delivery_failure
    lines = [
        f"order {drilldown.order_id} (seq {order.seq}): {verdict}" + (f", {failure.value}" if failure else "")
    ]
    if not drilldown.log_lines:
        lines.append(_line("logs", "no line of this order was found"))
    milestones = " | ".join(
        f"{hit.name} {_function(hit.log_group)} {_clock(hit.at)}" for hit in drilldown.milestones
    )
    lines.append(_line("milestones", milestones or "none"))
    lines.append(_line("missing", drilldown.missing_milestone or "none (reached the last milestone)"))
    lines.append(_line("functions", ", ".join(drilldown.functions) or "none"))
    if drilldown.exception:
        lines.append(_line("exception", drilldown.exception))
    for index, text in enumerate(drilldown.log_lines):
        lines.append(_line("log lines" if index == 0 else "", text))
    if drilldown.dropped:
        lines.append(_line("", f"… and {drilldown.dropped} more lines"))
    return "\n".join(redact(line) for line in lines) + "\n"


def _function(log_group: str) -> str:
    return log_group.rsplit("/", 1)[-1]


def _clock(at: float) -> str:
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _line(label: str, text: str) -> str:
    return f"  {label:<{_WIDTH}}{text}"
