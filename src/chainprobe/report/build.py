"""Assemble a ``RunReport`` from a run, its orders, the spec and what else was measured.

Example::

    report = build_report(run=ledger.get_run(run_id), orders=ledger.orders(run_id), spec=spec)
    write_reports(report, "reports/")
    exit_code = 0 if report.gate.met else 1
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from chainprobe.ledger.model import OrderRecord, Run, Stage, Verdict
from chainprobe.measure.budget import (
    BurnRateWindows,
    UnknownWindowsError,
    budget_minutes,
    load_windows,
    run_burn,
)
from chainprobe.measure.fault_log import FaultSummary
from chainprobe.measure.sli import AvailabilitySli, SliResult, compute_sli
from chainprobe.report.gate import evaluate_gate
from chainprobe.report.logs import LogsSummary
from chainprobe.report.model import BudgetSummary, MetricMathSummary, ReconciliationSummary, RunReport
from chainprobe.spec.model import ProbeSpec, SloSpec
from chainprobe.verify.cleanup import ItemCleanup
from chainprobe.verify.settle import SettleTally
from chainprobe.verify.tally import CaptureTally

__all__ = ["WORST_ORDERS", "build_report", "sli_for_spec", "worst_orders"]

WORST_ORDERS = 10


def build_report(
    *,
    run: Run,
    orders: Sequence[OrderRecord],
    spec: ProbeSpec,
    sli: SliResult | None = None,
    metric_math: MetricMathSummary | None = None,
    reconciliation: ReconciliationSummary | None = None,
    windows: BurnRateWindows | None = None,
    capture: CaptureTally | None = None,
    cleanup: ItemCleanup | None = None,
    faults: FaultSummary | None = None,
    settle: SettleTally | None = None,
    logs: LogsSummary | None = None,
) -> RunReport:
    """The report of ``run``; ``sli`` defaults to ``sli_for_spec(orders, spec)``, ``windows`` to the
    shipped burn-rate windows of the spec's SLO period (no tiers when none ship for it)."""
    result = sli if sli is not None else sli_for_spec(orders, spec)
    return RunReport(
        run=run,
        verified_stages=tuple(Stage(name) for name in spec.verified_stages()),
        orders=tuple(orders),
        sli=result,
        gate=evaluate_gate(result, spec.slo, end_reason=run.end_reason),
        budgets=_budgets(result, spec.slo, _duration(run, orders), windows),
        worst_orders=tuple(worst_orders(orders)),
        metric_math=metric_math,
        reconciliation=reconciliation,
        capture=capture,
        cleanup=cleanup,
        faults=faults,
        settle=settle,
        logs=logs,
    )


def sli_for_spec(orders: Sequence[OrderRecord], spec: ProbeSpec) -> SliResult:
    """The SLI of ``orders`` with the latency threshold and percentile the spec's SLO states."""
    latency = spec.slo.latency if spec.slo else None
    if latency is None:
        return compute_sli(orders)
    return compute_sli(
        orders, latency_threshold_ms=latency.threshold_ms, latency_percentile=latency.percentile
    )


def worst_orders(orders: Sequence[OrderRecord], limit: int = WORST_ORDERS) -> list[OrderRecord]:
    """Bad orders first (chain, then delivery), then pending ones, then the slowest good ones.

    Orders never sent (``not_sent``) are left out: nothing about the chain can be learnt from them.
    """
    sent = [order for order in orders if order.chain_verdict is not Verdict.NOT_SENT]
    return sorted(sent, key=_badness)[:limit]


def _badness(order: OrderRecord) -> tuple[int, float, int]:
    if order.chain_verdict is Verdict.BAD:
        return (0, 0.0, order.seq)
    if order.delivery_verdict is Verdict.BAD:
        return (1, 0.0, order.seq)
    if order.pending:
        return (2, 0.0, order.seq)
    return (3, -(order.api_latency_ms or 0.0), order.seq)


def _budgets(
    sli: SliResult, slo: SloSpec | None, duration: timedelta, windows: BurnRateWindows | None
) -> tuple[BudgetSummary, ...]:
    if slo is None:
        return ()
    tiers = windows if windows is not None else _shipped_windows(slo)
    summaries = [_budget("availability", sli.chain, slo.availability.objective, slo, duration, tiers)]
    if slo.delivery is not None and sli.delivery is not None:
        summaries.append(_budget("delivery", sli.delivery, slo.delivery.objective, slo, duration, tiers))
    return tuple(summaries)


def _budget(
    name: str,
    sli: AvailabilitySli,
    objective: float,
    slo: SloSpec,
    duration: timedelta,
    windows: BurnRateWindows | None,
) -> BudgetSummary:
    error_rate = sli.error_rate
    tiers = windows.tiers if windows is not None else ()
    burn = None
    if error_rate is not None:
        burn = run_burn(error_rate, objective, duration=duration, period=slo.window, tiers=tiers)
    return BudgetSummary(
        slo=name,
        objective=objective,
        window=slo.window_text,
        budget_minutes=budget_minutes(objective, slo.window),
        burn=burn,
        tiers=tiers,
    )


def _shipped_windows(slo: SloSpec) -> BurnRateWindows | None:
    try:
        return load_windows(slo.window)
    except UnknownWindowsError:
        return None


def _duration(run: Run, orders: Sequence[OrderRecord]) -> timedelta:
    end = run.ended_at
    if end is None:
        seen = [at for order in orders for at in order.timeline().values()]
        end = max(seen, default=run.started_at)
    return timedelta(seconds=max(0.0, end - run.started_at))
