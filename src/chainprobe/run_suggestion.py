"""A recorded run's reconciliation read again, and the suggested metric-math SLI on the same window.

``chainprobe reconcile --run ID [--suggest]``: the run's orders come from the ledger, the metrics from
the target's CloudWatch (the window the run's report reads: ``RunWindow.around`` its orders). With
``suggest``, ``measure.suggested_sli`` builds the changed ``Metrics`` block from the reconciliation,
and the block is read over the very same window, beside the spec's own expression.

Example::

    recorded = load_recorded_run("r-1")            # before any stack is looked for
    outcome = reconcile_recorded_run(recorded, target=target, suggest_change=True, wait_s=90)
    outcome.reading.availability, outcome.suggested.availability    # 1.0, 0.6666...

Raises ``RunNotFoundError`` (no such run), ``NothingToReconcileError`` (the spec has no metric_math,
or the run sent no order); CloudWatch's failures are notes on the readings, as in a run's report.
The suggested reading is taken once, after the spec's own (which waited for the run's requests):
a metric only the suggestion reads that arrives later still is missing from that reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chainprobe.ledger.model import OrderRecord, Run
from chainprobe.measure.reconcile import Reconciliation, reconcile_run
from chainprobe.measure.sli import SliResult
from chainprobe.measure.suggested_sli import Suggestion, suggest
from chainprobe.measure.window_sli import WindowReading, read_window_sli
from chainprobe.pipeline import neighbour_orders, open_ledger
from chainprobe.report import sli_for_spec
from chainprobe.report.cloudwatch import MetricPublisher
from chainprobe.spec import load_spec
from chainprobe.spec.model import MetricMathSpec, ProbeSpec
from chainprobe.target import Target

__all__ = [
    "NothingToReconcileError",
    "ReconciledRun",
    "RecordedRun",
    "load_recorded_run",
    "reconcile_recorded_run",
]


class NothingToReconcileError(Exception):
    """The run cannot be reconciled: its spec has no metric-math SLI, or it sent no order."""


@dataclass(frozen=True, kw_only=True)
class ReconciledRun:
    """The run's black-box SLI, the spec's reading and reconciliation, and the suggestion with its reading."""

    run_id: str
    spec: ProbeSpec
    sli: SliResult
    reading: WindowReading
    reconciliation: Reconciliation
    suggestion: Suggestion | None = None
    suggested: WindowReading | None = None


@dataclass(frozen=True, kw_only=True)
class RecordedRun:
    """What the ledger holds of a run: the run, its orders, its neighbours' and its spec."""

    run: Run
    orders: list[OrderRecord]
    neighbours: list[OrderRecord]
    spec: ProbeSpec
    metric_math: MetricMathSpec


def load_recorded_run(run_id: str) -> RecordedRun:
    """The run from the ledger, checked before any stack is looked for (no such run, no metric math)."""
    with open_ledger() as opened:
        run = opened.get_run(run_id)
        orders = opened.orders(run_id)
        neighbours = neighbour_orders(opened, run)
    spec = load_spec(Path(run.spec_path))
    if spec.metric_math is None:
        raise NothingToReconcileError(
            f"{run.spec_path}: the spec has no metric_math section to reconcile with"
        )
    if not any(order.sent_at is not None for order in orders):
        raise NothingToReconcileError(f"run {run_id} sent no order: nothing to reconcile")
    return RecordedRun(run=run, orders=orders, neighbours=neighbours, spec=spec, metric_math=spec.metric_math)


def reconcile_recorded_run(
    recorded: RecordedRun, *, target: Target, suggest_change: bool, wait_s: float
) -> ReconciledRun:
    """Reconciles ``recorded`` against ``target``'s CloudWatch; ``suggest_change`` adds the suggestion."""
    run, spec = recorded.run, recorded.spec
    sli = sli_for_spec(recorded.orders, spec)
    get_metric_data = target.clients.client("cloudwatch").get_metric_data
    result = reconcile_run(
        spec=recorded.metric_math,
        orders=recorded.orders,
        sli=sli,
        ended_at=run.ended_at,
        get_metric_data=get_metric_data,
        neighbours=recorded.neighbours,
        wait_s=wait_s,
    )
    if result is None:
        raise NothingToReconcileError(f"run {run.run_id} sent no order: nothing to reconcile")
    reconciled = ReconciledRun(
        run_id=run.run_id, spec=spec, sli=sli, reading=result.reading, reconciliation=result.reconciliation
    )
    if not suggest_change:
        return reconciled
    blackbox = None
    if spec.cloudwatch_publish is not None:
        publisher = MetricPublisher.for_spec(spec, target.endpoints, cloudwatch=None, source=run.spec_path)
        blackbox = (publisher.namespace, dict(publisher.dimensions))
    suggestion = suggest(recorded.metric_math, result.reconciliation, blackbox=blackbox)
    suggested = read_window_sli(
        suggestion.metric_math(), result.reading.window, get_metric_data, shortfall=lambda _series: None
    )
    return ReconciledRun(
        run_id=run.run_id,
        spec=spec,
        sli=sli,
        reading=result.reading,
        reconciliation=result.reconciliation,
        suggestion=suggestion,
        suggested=suggested,
    )
