"""The CI job summary, ``summary.md``: verdict line, SLIs vs objectives, failure classes, worst orders."""

from __future__ import annotations

from collections.abc import Sequence

from chainprobe.report.formatting import seconds
from chainprobe.report.log_drilldown import drilldown_header, drilldown_rows, markdown_drilldowns
from chainprobe.report.metric_math import (
    PERIOD_HEADER,
    class_rows,
    denominator_line,
    period_rows,
    window_line,
)
from chainprobe.report.model import RunReport
from chainprobe.report.sections import (
    LAG_HEADER,
    budget_line,
    class_counts,
    fault_findings,
    lag_notes,
    lag_rows,
    not_sent_line,
    order_cells,
    orders_line,
    sli_rows,
    verdict_word,
)
from chainprobe.report.timefmt import iso_utc

__all__ = ["render_markdown"]


def render_markdown(report: RunReport) -> str:
    """The report as GitHub-flavoured Markdown, ending with a newline."""
    blocks = [_heading(report)]
    if (not_sent := not_sent_line(report)) is not None:
        blocks.append(f"**Not sent:** {not_sent}.")
    blocks.append(_sli_table(report))
    if report.gate.reasons:
        blocks.append("**Why:** " + "; ".join(report.gate.reasons))
    if report.budgets:
        blocks.append("\n".join(f"- Error budget, {budget_line(item)}" for item in report.budgets))
    blocks.extend(
        _classes(report)
        + _faults(report)
        + _reconciliation(report)
        + _worst(report)
        + _drilldowns(report)
        + [_lags(report)]
    )
    return "\n\n".join(blocks) + "\n"


def _heading(report: RunReport) -> str:
    mark = "✅" if report.gate.met else "❌"
    run = report.run
    when = f"from {iso_utc(run.started_at)}, not ended"
    if run.ended_at is not None:
        when = f"{iso_utc(run.started_at)} to {iso_utc(run.ended_at)} ({seconds(report.duration_s)})"
    return (
        f"### {mark} {verdict_word(report)} — chainprobe `{run.spec_name}`\n\n"
        f"Run `{run.run_id}` on `{run.target}`, {when}; {orders_line(report)}."
    )


def _sli_table(report: RunReport) -> str:
    rows = [[row.title, row.measured, row.objective, _mark(row.outcome)] for row in sli_rows(report)]
    return _table(["SLI", "measured", "objective", "result"], rows)


def _mark(outcome: str) -> str:
    if outcome.startswith("met"):
        return f"✅ {outcome}"
    if outcome.startswith("breached"):
        return f"❌ {outcome}"
    return outcome


def _classes(report: RunReport) -> list[str]:
    counts = class_counts(report)
    if not counts:
        return []
    rows = [[failure.value, failure.stage.value, str(count)] for failure, count in counts]
    return ["#### Failure classes\n\n" + _table(["class", "stage", "orders"], rows)]


def _faults(report: RunReport) -> list[str]:
    """The faults asked for against the fault log, and the findings (only a run that asked for faults)."""
    summary = report.faults
    if summary is None:
        return []
    header = ["fault", "orders marked", "in the fault log", "log entries", "unmarked hit (rate)"]
    rows = [
        [c.fault, str(c.marked), str(c.logged_orders), str(c.log_entries), str(c.unmarked_hits)]
        for c in summary.checks
    ]
    text = f"#### Faults asked for (marker at `{summary.marker_path}`)\n\n" + _table(header, rows)
    return [text + "".join(f"\n\n**Finding:** {finding}" for finding in fault_findings(summary))]


def _reconciliation(report: RunReport) -> list[str]:
    """The metric math against the black box: window, denominator, the gap per class, notes."""
    metric_math, rec = report.metric_math, report.reconciliation
    if metric_math is None or (metric_math.window is None and rec is None):
        return []
    lines = [line for line in (window_line(metric_math),) if line]
    lines += [line for line in (denominator_line(rec),) if line] if rec else []
    text = "#### Metric math vs black box\n\n" + "".join(f"{line[:1].upper()}{line[1:]}.\n" for line in lines)
    if rec is not None and rec.gap is not None:
        header = ["class", "black box", "metric math", "gap", "explained", "why"]
        text += "\n" + _table(header, class_rows(rec))
    if rec is not None and (periods := period_rows(rec)):
        text += "\nWhose traffic, per period:\n\n" + _table(PERIOD_HEADER, periods)
    notes = "\n".join(f"- {note}" for note in metric_math.notes)
    return [text.rstrip() + ("\n\n" + notes if notes else "")]


def _worst(report: RunReport) -> list[str]:
    if not report.worst_orders:
        return []
    rows = [order_cells(order) for order in report.worst_orders]
    header = ["seq", "order id", "verdict", "class", "API", "latency", "details"]
    return ["#### Worst orders\n\n" + _table(header, rows)]


def _drilldowns(report: RunReport) -> list[str]:
    logs = report.logs
    if logs is None or not logs.bad_orders:
        return []
    return markdown_drilldowns(logs, _table(drilldown_header(), drilldown_rows(logs.bad_orders)))


def _lags(report: RunReport) -> str:
    rows = lag_rows(report)
    header = list(LAG_HEADER)
    notes = "\n".join(f"- {note}" for note in lag_notes(report))
    return "#### Stage lag after send\n\n" + _table(header, rows) + (f"\n\n{notes}" if notes else "")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [_row(header), _row(["---"] * len(header))]
    lines.extend(_row(row) for row in rows)
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") or " " for cell in cells) + " |"
