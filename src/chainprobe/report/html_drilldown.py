"""The HTML report's section on the bad orders as the chain's own logs tell them: one folded block per
bad order the report holds (at most ``MAX_DRILLDOWNS``): the milestones it passed with their times,
the one it never reached, the functions it touched, the exception, its log lines (bounded, redacted)
and the Logs Insights query to paste into the console (with its log groups and time range, and the
console link on AWS). Everything is escaped; nothing is fetched. Example::

    section = drilldown_section(report.logs, section=_section)
"""

from __future__ import annotations

from collections.abc import Callable

from chainprobe.report.html_page import esc
from chainprobe.report.log_drilldown import exception_text
from chainprobe.report.logs import BadOrderLogs, LogsSummary
from chainprobe.report.timefmt import iso_utc
from chainprobe.spec.secrets import redact

__all__ = ["SECTION_ID", "SECTION_TITLE", "drilldown_section"]

SECTION_ID = "log-drilldown"
SECTION_TITLE = "Bad orders in the chain's logs"


def drilldown_section(summary: LogsSummary | None, *, section: Callable[[str, str, str], str]) -> str:
    """The section (empty when the log view found no bad order to drill into)."""
    if summary is None or not summary.bad_orders:
        return ""
    note = (
        f'<p class="meta">{len(summary.bad_orders)} of {summary.bad_orders_total} bad orders, by sequence; '
        f"read with {summary.drilldown_queries} Logs Insights queries (one per ten orders).</p>"
    )
    blocks = "\n".join(_order(item) for item in summary.bad_orders)
    return section(SECTION_ID, SECTION_TITLE, note + "\n" + blocks)


def _order(item: BadOrderLogs) -> str:
    found, order = item.drilldown, item.order
    failure = order.chain_failure or order.delivery_failure
    head = f"seq {order.seq}, {order.order_id}" + (f", {failure.value}" if failure else "")
    head += f": never reached {found.missing_milestone}" if found.missing_milestone else ": reached the end"
    milestones = "".join(
        f"<li>{esc(hit.name)} in {esc(hit.log_group)} at {esc(iso_utc(hit.at))}</li>"
        for hit in found.milestones
    )
    facts = [
        ("milestones passed", f"<ol>{milestones}</ol>" if milestones else "none"),
        ("never reached", esc(found.missing_milestone or "none (reached the last milestone)")),
        ("functions", esc(", ".join(found.functions) or "none")),
        ("exception", esc(redact(exception_text(found.exception))) if found.exception else "none logged"),
    ]
    rows = "".join(f'<tr><th scope="row">{esc(label)}</th><td>{value}</td></tr>' for label, value in facts)
    lines = "\n".join(redact(line) for line in found.log_lines) or "(no line of this order was found)"
    more = f"\n… and {found.dropped} more lines" if found.dropped else ""
    return (
        f"<details><summary>{esc(head)}</summary>\n<table><tbody>{rows}</tbody></table>\n"
        f"<p>Log lines:</p><pre>{esc(lines + more)}</pre>\n{_console(item)}\n</details>"
    )


def _console(item: BadOrderLogs) -> str:
    console = item.console
    link = f' <a href="{esc(console.url)}">Open in the CloudWatch console</a>.' if console.url else ""
    return (
        f"<p>Logs Insights query, log groups {esc(', '.join(console.log_groups))}, "
        f"{esc(console.start)} to {esc(console.end)}:{link}</p><pre>{esc(redact(console.query))}</pre>"
    )
