"""Pieces of a report shared by the human-readable writers: rows of SLIs, classes, orders, budget lines."""

from __future__ import annotations

from dataclasses import dataclass

from chainprobe.ledger.model import FailureClass, OrderRecord, Stage, Verdict
from chainprobe.measure.fault_log import FaultSummary
from chainprobe.measure.sli import STAGE_LAGS, Distribution
from chainprobe.report.formatting import interval_text, ms, percent
from chainprobe.report.logs import logs_measured_text
from chainprobe.report.metric_math import measured_text
from chainprobe.report.model import BudgetSummary, ObjectiveResult, RunReport

__all__ = [
    "SliRow",
    "budget_line",
    "class_counts",
    "fault_findings",
    "fault_lines",
    "gap_text",
    "lag_label",
    "lag_notes",
    "lag_stages",
    "not_sent_line",
    "order_cells",
    "orders_line",
    "sli_rows",
    "verdict_word",
]

_TITLES = {"availability": "Chain availability", "latency": "Latency", "delivery": "Delivery"}


@dataclass(frozen=True)
class SliRow:
    """One SLI against its objective: short name, title, measured text, objective text, outcome."""

    name: str
    title: str
    measured: str
    objective: str
    outcome: str


def verdict_word(report: RunReport) -> str:
    """``'SLO met'``, ``'SLO breached'``, or ``'incomplete'`` for a run that ended before it completed."""
    if report.run.end_reason is not None:
        return "incomplete"
    return "SLO met" if report.gate.met else "SLO breached"


def orders_line(report: RunReport) -> str:
    """``'20 orders: 18 good, 1 bad, 1 pending'`` (plus how many may not have been sent).

    Counts the orders sent; those never sent are in ``not_sent_line``.
    """
    chain = report.sli.chain
    line = f"{report.sli.sent} orders: {chain.good} good, {chain.bad} bad, {chain.pending} pending"
    if report.sli.maybe_sent:
        line += f" ({report.sli.maybe_sent} without an API outcome)"
    return line


def not_sent_line(report: RunReport) -> str | None:
    """``'3 orders planned but never sent (the run stopped first); in no SLI'``, or ``None`` when none."""
    count = report.sli.not_sent
    if not count:
        return None
    noun = "order" if count == 1 else "orders"
    return f"{count} {noun} planned but never sent (the run stopped first); in no SLI"


def sli_rows(report: RunReport) -> list[SliRow]:
    """One row per objective of the gate, then the metric-math SLI when measured."""
    rows = [_objective_row(report, item) for item in report.gate.objectives]
    if report.metric_math is not None:
        measured = measured_text(report.metric_math, report.reconciliation)
        rows.append(SliRow("metric-math", "Metric-math availability", measured, "", "reported"))
    if report.logs is not None:
        rows.append(
            SliRow("logs", "Log milestone availability", logs_measured_text(report.logs), "", "reported")
        )
    return rows


def class_counts(report: RunReport) -> list[tuple[FailureClass, int]]:
    """Chain then delivery failure classes with their order counts, most frequent first."""
    counts = dict(report.sli.chain.by_class)
    if report.sli.delivery is not None:
        counts.update(report.sli.delivery.by_class)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0].value))


def order_cells(order: OrderRecord) -> list[str]:
    """seq, order id, verdict, class, API status, latency, details of one order."""
    failure = order.chain_failure or order.delivery_failure
    verdict = order.chain_verdict.value
    if order.delivery_verdict not in (None, Verdict.GOOD):
        verdict += f", delivery {order.delivery_verdict}"
    return [
        str(order.seq),
        order.order_id,
        verdict,
        failure.value if failure else "",
        str(order.api_status) if order.api_status is not None else str(order.api_failure or "no answer"),
        ms(order.api_latency_ms),
        " ".join((order.details or "").split()),
    ]


def budget_line(item: BudgetSummary) -> str:
    """``'availability: burn 20.0x, this run used 0.09% of the 216 min / 30d budget; ...'``."""
    head = f"{item.slo}: {item.budget_minutes:g} min / {item.window} budget"
    if item.burn is None:
        return f"{head}; nothing judged yet"
    fire = ", ".join(item.burn.would_fire) if item.burn.would_fire else "no alert tier"
    return (
        f"{head}; burn {item.burn.burn_rate:.1f}x, this run used {percent(item.burn.budget_consumed, 3)};"
        f" sustained, it would fire: {fire}"
    )


def gap_text(gap: float | None) -> str:
    """A gap between two availabilities in percentage points: ``'gap +1.50 pp'``."""
    return "gap n/a" if gap is None else f"gap {gap * 100:+.2f} pp"


def _objective_row(report: RunReport, item: ObjectiveResult) -> SliRow:
    return SliRow(
        name=item.name,
        title=_TITLES.get(item.name, item.name),
        measured=_measured(report, item),
        objective=item.description,
        outcome=_outcome(item),
    )


def _measured(report: RunReport, item: ObjectiveResult) -> str:
    if item.name == "latency":
        latency = report.sli.latency
        within = f", {percent(latency.within_threshold)} within threshold" if latency.within_threshold else ""
        return f"p{latency.percentile:g} {ms(item.actual)}{within}"
    sli = report.sli.delivery if item.name == "delivery" else report.sli.chain
    interval = interval_text(sli.interval if sli else None)
    return percent(item.actual) + (f" ({interval})" if interval else "")


def _outcome(item: ObjectiveResult) -> str:
    word = "not measured" if not item.measured else "met" if item.met else "breached"
    if item.inconclusive:
        word += " (inconclusive)"
    if not item.gating:
        word += " (not gating)"
    return word


def lag_stages(report: RunReport) -> list[tuple[Stage, Distribution]]:
    """The verified stages' lag distributions, in stage order."""
    return [
        (stage, dist)
        for stage, dist in report.sli.stage_lags.items()
        if stage in report.verified_stages and stage is not Stage.SENT
    ]


LAG_HEADER = ("stage", "lag until", "orders", "p50", "p95", "p99", "max")


def lag_rows(report: RunReport) -> list[list[str]]:
    """One row per verified stage under ``LAG_HEADER``: what its lag runs to and its percentiles."""
    return [
        [
            stage.value,
            lag_label(stage),
            str(dist.count),
            ms(dist.p50),
            ms(dist.p95),
            ms(dist.p99),
            ms(dist.max),
        ]
        for stage, dist in lag_stages(report)
    ]


def lag_label(stage: Stage) -> str:
    """What a stage's lag runs to: ``'answered'``, ``'seen by the verifier (an upper bound)'``."""
    meaning = STAGE_LAGS.get(stage)
    if meaning is None:
        return ""
    label = meaning.measures.removesuffix(" at")
    return f"{label} (an upper bound)" if meaning.upper_bound else label


def lag_notes(report: RunReport) -> list[str]:
    """One sentence per verified stage: where its lag's end comes from."""
    notes = []
    for stage, _ in lag_stages(report):
        meaning = STAGE_LAGS.get(stage)
        if meaning is not None:
            notes.append(f"{stage.value}: {meaning.measures} — {meaning.source}")
    return notes


def fault_findings(summary: FaultSummary) -> list[str]:
    """What the fault log contradicts: marked orders it does not name, faults that never fired, or
    why it could not be read."""
    findings = summary.findings()
    if (never := summary.never_fired()) is not None:
        findings.append(never)
    if summary.log_error is not None:
        findings.append(f"the fault log could not be read: {summary.log_error}")
    return findings


def fault_lines(summary: FaultSummary | None) -> list[tuple[str, str]]:
    """(label, text) lines of the terminal summary: one per fault asked for, then one per finding."""
    if summary is None:
        return []
    lines = [("faults", check.describe()) for check in summary.checks]
    return lines + [("finding", text) for text in fault_findings(summary)]
