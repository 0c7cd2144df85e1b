"""The courier scenario's lines in a run's reports: terminal lines, ``flow.json`` and a Markdown section.

Formats ``chainprobe.measure.flow_control.FlowFigures`` with the setting the run used; computes nothing.

Example::

    >>> from chainprobe.measure.flow_control import FlowFigures
    >>> figures = FlowFigures(orders=20, delivered=18, on_time=15, calls=30, peak_per_second=14,
    ...                       limit_per_second=10.0, refused=4, retries=9, dlq_depth=0, dlq_added=0)
    >>> for label, text in flow_lines(figures, setting="off (batch 10, no maximum concurrency)"):
    ...     print(f"{label}: {text}")
    flow control: off (batch 10, no maximum concurrency)
    delivery SLO: 15/20 delivered on time (75.00%), 18 delivered by the end of the run
    courier rate: peak 14 calls in 1 s against a limit of 10/s: OVER the limit
    refused: 4 calls answered 429
    retries: 9 calls beyond the first for 18 delivered orders (0.50 per order)
    DLQ: 0 messages (+0 over the run)
"""

from __future__ import annotations

from typing import Any

from chainprobe.measure.flow_control import FlowFigures
from chainprobe.report.html_page import esc

__all__ = ["flow_dict", "flow_html", "flow_lines", "flow_markdown", "with_flow_section"]

MAIN_END = "\n</main>"


def _limit(figures: FlowFigures) -> str:
    if figures.limit_per_second is None:
        return f"peak {figures.peak_per_second} calls in 1 s (the courier profile states no limit)"
    verdict = "OVER the limit" if figures.over_limit else "within the limit"
    peak = f"peak {figures.peak_per_second} calls in 1 s"
    return f"{peak} against a limit of {figures.limit_per_second:g}/s: {verdict}"


def flow_lines(figures: FlowFigures, *, setting: str) -> list[tuple[str, str]]:
    ratio = figures.delivery_ratio
    share = f" ({ratio:.2%})" if ratio is not None else ""
    per_order = figures.retries_per_delivered
    retries = f"{figures.retries} calls beyond the first for {figures.delivered} delivered orders"
    retries += f" ({per_order:.2f} per order)" if per_order is not None else ""
    return [
        ("flow control", setting),
        (
            "delivery SLO",
            f"{figures.on_time}/{figures.orders} delivered on time{share}, "
            f"{figures.delivered} delivered by the end of the run",
        ),
        ("courier rate", _limit(figures)),
        ("refused", f"{figures.refused} calls answered 429"),
        ("retries", retries),
        ("DLQ", f"{figures.dlq_depth} messages (+{figures.dlq_added} over the run)"),
    ]


def flow_dict(figures: FlowFigures, *, run_id: str, setting: str, scenario: dict[str, Any]) -> dict[str, Any]:
    """``flow.json``: the setting used and the figures, with the scenario as read."""
    return {
        "run_id": run_id,
        "flow_control": setting,
        "scenario": scenario,
        "delivery": {
            "orders": figures.orders,
            "on_time": figures.on_time,
            "delivered": figures.delivered,
            "ratio": figures.delivery_ratio,
        },
        "courier": {
            "calls": figures.calls,
            "peak_per_second": figures.peak_per_second,
            "limit_per_second": figures.limit_per_second,
            "over_limit": figures.over_limit,
            "refused": figures.refused,
        },
        "retries": {"calls": figures.retries, "per_delivered_order": figures.retries_per_delivered},
        "dlq": {"depth": figures.dlq_depth, "added": figures.dlq_added},
    }


def flow_markdown(figures: FlowFigures, *, setting: str) -> str:
    rows = "\n".join(f"| {label} | {text} |" for label, text in flow_lines(figures, setting=setting))
    return f"\n## Courier flow control\n\n| | |\n|---|---|\n{rows}\n"


def flow_html(figures: FlowFigures, *, setting: str) -> str:
    """The same lines as an HTML section of ``report.html`` (every text escaped)."""
    rows = "\n".join(
        f'<tr><th scope="row">{esc(label)}</th><td>{esc(text)}</td></tr>'
        for label, text in flow_lines(figures, setting=setting)
    )
    return (
        '<section id="flow-control" aria-labelledby="flow-control-h">\n'
        '<h2 id="flow-control-h">Courier flow control</h2>\n'
        f"<table>\n<tbody>\n{rows}\n</tbody>\n</table>\n</section>"
    )


def with_flow_section(document: str, section: str) -> str:
    """``report.html`` with ``section`` as the last part of its ``<main>`` (unchanged when it has none)."""
    at = document.rfind(MAIN_END)
    return document if at < 0 else f"{document[:at]}\n{section}{document[at:]}"
