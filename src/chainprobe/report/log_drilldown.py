"""A bad order's drill-down as text: for ``chainprobe logs`` (every field), for the canary's terminal
summary (the worst few, one line each) and for ``summary.md`` (every bad order the report holds, each
with its console query). Every line is redacted of secrets. Example (``render_drilldown``)::

    order o-r-1-0 (seq 0): bad, event_missing
      milestones  START OrdersHandler 04:38:01.123 | SAVED_IN_DATABASE OrdersHandler 04:38:01.150
      missing     PUBLISHED in /aws/lambda/OrdersHandler
      functions   OrdersHandler
      exception   InternalFailure: entry not accepted
      log lines   2026-12-05 04:38:01.123 OrdersHandler {"level": "INFO", ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from chainprobe.ledger.model import OrderRecord
from chainprobe.measure.log_drilldown import Drilldown, LoggedException
from chainprobe.report.logs import BadOrderLogs, LogsSummary
from chainprobe.spec.secrets import redact

__all__ = [
    "TERMINAL_DRILLDOWNS",
    "drilldown_header",
    "drilldown_rows",
    "exception_text",
    "markdown_drilldowns",
    "milestones_text",
    "render_drilldown",
    "terminal_drilldowns",
]

TERMINAL_DRILLDOWNS = 3  # the canary's terminal summary shows the first few bad orders
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
    lines.append(_line("milestones", milestones_text(drilldown) or "none"))
    lines.append(_line("missing", drilldown.missing_milestone or "none (reached the last milestone)"))
    lines.append(_line("functions", ", ".join(drilldown.functions) or "none"))
    if drilldown.exception is not None:
        lines.append(_line("exception", exception_text(drilldown.exception)))
    for index, text in enumerate(drilldown.log_lines):
        lines.append(_line("log lines" if index == 0 else "", text))
    if drilldown.dropped:
        lines.append(_line("", f"… and {drilldown.dropped} more lines"))
    return "\n".join(redact(line) for line in lines) + "\n"


def terminal_drilldowns(summary: LogsSummary | None, run_id: str) -> list[tuple[str, str]]:
    """(label, text) lines of the first ``TERMINAL_DRILLDOWNS`` bad orders, and where the rest are."""
    if summary is None or not summary.bad_orders:
        return []
    rows = [("drill-down", redact(_one_line(item))) for item in summary.bad_orders[:TERMINAL_DRILLDOWNS]]
    rest = summary.bad_orders_total - len(rows)
    if rest > 0:
        rows.append(("", f"… and {rest} more: report.json logs.bad_orders, chainprobe logs --run {run_id}"))
    return rows


def markdown_drilldowns(summary: LogsSummary | None, table: str) -> list[str]:
    """``summary.md``'s section: a row per bad order (``table`` is the rows as a Markdown table, made
    by the caller's table writer from ``drilldown_rows``), then each order's query and log lines."""
    if summary is None or not summary.bad_orders:
        return []
    head = f"#### Bad orders in the chain's logs ({len(summary.bad_orders)} of {summary.bad_orders_total})"
    blocks = [head + "\n\n" + table]
    for item in summary.bad_orders:
        console = item.console
        text = "\n".join(item.drilldown.log_lines) or "(no line of this order was found)"
        link = f" ([open in the console]({console.url}))" if console.url else ""
        blocks.append(
            f"<details><summary>{item.order.order_id}: query and log lines</summary>\n\n"
            f"Logs Insights{link}, log groups {', '.join(console.log_groups)}, "
            f"{console.start} to {console.end}:\n\n```\n{console.query}\n```\n\n"
            f"```\n{text}\n```\n\n</details>"
        )
    return [redact("\n\n".join(blocks))]


def drilldown_header() -> list[str]:
    return ["seq", "order id", "class", "milestones passed", "never reached", "exception", "functions"]


def drilldown_rows(items: Sequence[BadOrderLogs]) -> list[list[str]]:
    rows = []
    for item in items:
        found, order = item.drilldown, item.order
        failure = order.chain_failure or order.delivery_failure
        rows.append(
            [
                str(order.seq),
                order.order_id,
                failure.value if failure else "",
                milestones_text(found) or "none",
                found.missing_milestone or "none",
                exception_text(found.exception) if found.exception else "",
                ", ".join(found.functions),
            ]
        )
    return rows


def milestones_text(drilldown: Drilldown) -> str:
    """``START OrdersHandler 04:38:01.123 | SAVED_IN_DATABASE OrdersHandler 04:38:01.150``."""
    return " | ".join(
        f"{hit.name} {_function(hit.log_group)} {_clock(hit.at)}" for hit in drilldown.milestones
    )


def exception_text(exception: LoggedException) -> str:
    return f"{exception.type}: {exception.message}" if exception.type else exception.message


def _one_line(item: BadOrderLogs) -> str:
    found, order = item.drilldown, item.order
    failure = order.chain_failure or order.delivery_failure
    parts = [f"{order.order_id} (seq {order.seq}" + (f", {failure.value})" if failure else ")")]
    parts.append(f"never reached {found.missing_milestone}" if found.missing_milestone else "reached the end")
    if found.exception is not None:
        parts.append(exception_text(found.exception))
    if found.milestones:
        last = found.milestones[-1]
        parts.append(f"last {last.name} in {_function(last.log_group)} at {_clock(last.at)}")
    elif not found.log_lines:
        parts.append("no log line")
    return "; ".join(parts)


def _function(log_group: str) -> str:
    return log_group.rsplit("/", 1)[-1]


def _clock(at: float) -> str:
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _line(label: str, text: str) -> str:
    return f"  {label:<{_WIDTH}}{text}"
