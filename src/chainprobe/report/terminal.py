"""The terminal summary: a few aligned plain-text lines (no colour, no box drawing)."""

from __future__ import annotations

from chainprobe.report.formatting import ms, seconds
from chainprobe.report.log_drilldown import terminal_drilldowns
from chainprobe.report.metric_math import reconciliation_lines
from chainprobe.report.model import RunReport
from chainprobe.report.sections import (
    budget_line,
    class_counts,
    fault_lines,
    gap_text,
    lag_label,
    lag_stages,
    not_sent_line,
    orders_line,
    sli_rows,
    verdict_word,
)

__all__ = ["render_terminal"]

_WIDTH = 12
_LABELS = {"availability": "chain", "metric-math": "metric-math"}


def render_terminal(report: RunReport) -> str:
    """The report as a compact text summary, ending with a newline."""
    run = report.run
    lines = [
        f"chainprobe {run.spec_name}: {verdict_word(report).upper()}",
        _line("run", f"{run.run_id} on {run.target}, {_duration(report)}"),
        _line("orders", orders_line(report)),
    ]
    if (not_sent := not_sent_line(report)) is not None:
        lines.append(_line("not sent", not_sent))
    for row in sli_rows(report):
        judged = f"; {row.objective}: {row.outcome}" if row.objective else ""
        lines.append(_line(_LABELS.get(row.name, row.name), row.measured + judged))
    lines.append(_line("stages", _stages(report)))
    counts = class_counts(report)
    if counts:
        lines.append(_line("classes", ", ".join(f"{failure.value} {count}" for failure, count in counts)))
    lines.extend(_line("budget", budget_line(item)) for item in report.budgets)
    lines.extend(
        _line("reconcile", text) for text in reconciliation_lines(report.metric_math, report.reconciliation)
    )
    if report.reconciliation is not None and report.metric_math is None:
        lines.append(_line("reconcile", gap_text(report.reconciliation.gap)))
    if report.capture is not None and (foreign := report.capture.describe()) is not None:
        lines.append(_line("captured", foreign))
    if report.cleanup is not None:
        lines.append(_line("cleanup", report.cleanup.describe()))
    if report.settle is not None:
        lines.append(_line("settle", report.settle.describe()))
    lines.extend(_line("why", reason) for reason in report.gate.incomplete)
    lines.extend(_line(label, text) for label, text in fault_lines(report.faults))
    lines.extend(_line(label, text) for label, text in terminal_drilldowns(report.logs, run.run_id))
    return "\n".join(lines) + "\n"


def _stages(report: RunReport) -> str:
    parts = [f"{stage.value} {lag_label(stage)} p95 {ms(dist.p95)}" for stage, dist in lag_stages(report)]
    return " | ".join(parts)


def _duration(report: RunReport) -> str:
    return seconds(report.duration_s) if report.duration_s is not None else "not ended"


def _line(label: str, text: str) -> str:
    return f"  {label:<{_WIDTH}}{text}"
