"""The run report: one run's black-box SLI, its SLO gate, budget burn and, when measured, the metric-math
SLI and the reconciliation between the two. Writers (JSON, JUnit, Markdown, HTML, terminal) read only this.

``to_dict()`` carries at least the CLI contract's fields: ``run_id``, ``started_at``, ``ended_at``,
``orders.sent|good|bad|by_class``, ``sli.availability``, ``sli.latency_ms.p50|p95|p99``, ``slo.met``,
``metric_math.availability``, ``reconciliation.gap``, ``reconciliation.by_class`` (their other fields,
``metric_math.complete|window|periods`` among them, in ``chainprobe.report.metric_math``); plus the
delivery SLO, confidence intervals, per-stage lags, budget and burn, the worst orders, and ``capture``:
what the verifier found in the capture queue that was not the run's (``null`` when no verifier ran),
``cleanup``: what the spec's ``dynamodb.cleanup`` did to the run's probe items (``mode``, ``orders`` looked
up, ``removed``, ``not_found``, ``failed``; ``null`` when the spec asks for none or no verifier ran);
``faults`` only for a run that asked for faults (``chainprobe.measure.fault_log``: per fault the orders
marked, those the fault log names and its entries for them, and the findings); and
``settle``: the settle windows (seconds) and how long verdicts waited for them (absent when no
verifier ran); ``logs``: the log view (``chainprobe.report.logs``; absent when it was not read, as in a
report rebuilt from the ledger).
``orders.sent`` counts the orders that were sent (``good + bad + pending``); ``orders.not_sent`` those
planned but never sent (a run stopped in between), which are in no SLI. ``complete`` is false for a run
that has not completed — stopped before every order was sent or judged (``end_reason`` says why:
``interrupted (SIGINT)``, ``infrastructure: …``), or still in flight — and then ``slo.met`` is false.
Times are ISO 8601 UTC, latencies and lags milliseconds (3 decimals), availabilities fractions (6
decimals). Each ``sli.stage_lag_ms.<stage>`` says what it measures: ``measures`` (``"seen by the verifier
at"``), ``source`` and ``upper_bound`` (true for DynamoDB: the verifier's first read of the item, not the
chain's write).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainprobe.ledger.model import OrderRecord, Run, RunState, Stage
from chainprobe.measure.budget import BurnRateTier, RunBurn
from chainprobe.measure.fault_log import FaultSummary
from chainprobe.measure.sli import STAGE_LAGS, AvailabilitySli, Distribution, Interval, SliResult
from chainprobe.report.logs import LogsSummary
from chainprobe.report.metric_math import MetricMathSummary, ReconciliationSummary, empty_reconciliation_dict
from chainprobe.report.timefmt import iso_utc
from chainprobe.verify.cleanup import ItemCleanup
from chainprobe.verify.settle import SettleTally
from chainprobe.verify.tally import CaptureTally

__all__ = [
    "REPORT_SCHEMA",
    "BudgetSummary",
    "MetricMathSummary",
    "ObjectiveResult",
    "ReconciliationSummary",
    "RunReport",
    "SloGate",
]

REPORT_SCHEMA = "chainprobe.report/1"


@dataclass(frozen=True, kw_only=True)
class ObjectiveResult:
    """One objective judged on the run's point estimate.

    ``target`` is the objective (a fraction, or milliseconds for latency), ``actual`` the measurement,
    ``inconclusive`` true when the confidence interval straddles the target (too few orders to tell),
    ``gating`` false when the objective is reported without deciding the gate. An objective with
    no data (``actual`` ``None``: no good order for latency, no delivery judged) is *not measured*:
    neither met nor breached (``met`` is false only so that a gating one keeps the gate closed).
    """

    name: str
    description: str
    target: float
    actual: float | None
    met: bool
    inconclusive: bool
    gating: bool = True

    @property
    def measured(self) -> bool:
        """Whether there was anything to judge the objective on."""
        return self.actual is not None


@dataclass(frozen=True, kw_only=True)
class SloGate:
    """The SLO gate: met when every gating objective is met and no order is pending a verdict.

    ``reasons`` says why it is not met, one line each; ``incomplete`` holds those about pending orders.
    """

    met: bool
    window: str | None
    objectives: tuple[ObjectiveResult, ...]
    reasons: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = ()

    def objective(self, name: str) -> ObjectiveResult | None:
        """The result for ``availability``, ``latency`` or ``delivery``."""
        return next((item for item in self.objectives if item.name == name), None)


@dataclass(frozen=True, kw_only=True)
class BudgetSummary:
    """The error budget of one SLO (``availability`` or ``delivery``) and what the run burned of it.

    ``tiers`` are the burn-rate alert tiers the burn was judged against (none when no windows ship for
    the SLO period); ``burn.would_fire`` names those it trips.
    """

    slo: str
    objective: float
    window: str
    budget_minutes: float
    burn: RunBurn | None
    tiers: tuple[BurnRateTier, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RunReport:
    """Everything reported about one run; build it with ``build_report``."""

    run: Run
    verified_stages: tuple[Stage, ...]
    orders: tuple[OrderRecord, ...]
    sli: SliResult
    gate: SloGate
    budgets: tuple[BudgetSummary, ...] = ()
    worst_orders: tuple[OrderRecord, ...] = ()
    metric_math: MetricMathSummary | None = None
    reconciliation: ReconciliationSummary | None = None
    capture: CaptureTally | None = None
    cleanup: ItemCleanup | None = None
    faults: FaultSummary | None = None  # a canary run with --fault: the faults asked for against the log
    settle: SettleTally | None = None
    logs: LogsSummary | None = (
        None  # the log view (``chainprobe.report.logs``); None: not read (a rebuilt report)
    )

    @property
    def complete(self) -> bool:
        """Whether the run completed: every order it meant to send sent, every verdict final."""
        return self.run.state is RunState.VERIFIED and self.run.end_reason is None

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end of the run (``None`` while it has not ended)."""
        return None if self.run.ended_at is None else self.run.ended_at - self.run.started_at

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (see the module docstring for the fields)."""
        report = {
            "schema": REPORT_SCHEMA,
            "run_id": self.run.run_id,
            "spec": {"name": self.run.spec_name, "path": self.run.spec_path},
            "target": self.run.target,
            "state": self.run.state.value,
            "complete": self.complete,
            "end_reason": self.run.end_reason,
            "started_at": iso_utc(self.run.started_at),
            "ended_at": iso_utc(self.run.ended_at) if self.run.ended_at is not None else None,
            "duration_s": _round(self.duration_s, 3),
            "verified_stages": [stage.value for stage in self.verified_stages],
            "orders": self._orders_dict(),
            "sli": self._sli_dict(),
            "delivery": _availability_dict(self.sli.delivery) if self.sli.delivery else None,
            "slo": _gate_dict(self.gate),
            "budget": {item.slo: _budget_dict(item) for item in self.budgets},
            "metric_math": (self.metric_math or MetricMathSummary(availability=None)).to_dict(),
            "reconciliation": self.reconciliation.to_dict()
            if self.reconciliation
            else empty_reconciliation_dict(),
            "worst_orders": [_order_dict(order) for order in self.worst_orders],
            "capture": self.capture.to_dict() if self.capture is not None else None,
            "cleanup": self.cleanup.to_dict() if self.cleanup is not None else None,
        } | ({"faults": self.faults.to_dict()} if self.faults is not None else {})
        if self.settle is not None:
            report["settle"] = self.settle.to_dict()
        if self.logs is not None:
            report["logs"] = self.logs.to_dict()
        return report

    def _orders_dict(self) -> dict[str, Any]:
        chain = self.sli.chain
        return {
            "sent": self.sli.sent,
            "good": chain.good,
            "bad": chain.bad,
            "pending": chain.pending,
            "not_sent": self.sli.not_sent,
            "maybe_sent": self.sli.maybe_sent,
            "by_class": {failure.value: count for failure, count in chain.by_class.items()},
        }

    def _sli_dict(self) -> dict[str, Any]:
        latency = self.sli.latency
        return {
            "availability": _round(self.sli.chain.availability, 6),
            "availability_ci": _interval_dict(self.sli.chain.interval),
            "latency_ms": {
                **_distribution_dict(latency.distribution),
                "percentile": latency.percentile,
                "at_percentile": _round(latency.at_percentile, 3),
                "threshold": latency.threshold_ms,
                "within_threshold": _round(latency.within_threshold, 6),
                "within_threshold_ci": _interval_dict(latency.within_interval),
            },
            "stage_lag_ms": {
                stage.value: _distribution_dict(dist) | _lag_meaning_dict(stage)
                for stage, dist in self.sli.stage_lags.items()
            },
        }


def _availability_dict(sli: AvailabilitySli) -> dict[str, Any]:
    return {
        "good": sli.good,
        "bad": sli.bad,
        "pending": sli.pending,
        "availability": _round(sli.availability, 6),
        "availability_ci": _interval_dict(sli.interval),
        "by_class": {failure.value: count for failure, count in sli.by_class.items()},
    }


def _gate_dict(gate: SloGate) -> dict[str, Any]:
    return {
        "met": gate.met,
        "window": gate.window,
        "objectives": [
            {
                "name": item.name,
                "description": item.description,
                "target": item.target,
                "actual": _round(item.actual, 6),
                "measured": item.measured,
                "met": item.met if item.measured else None,
                "inconclusive": item.inconclusive,
                "gating": item.gating,
            }
            for item in gate.objectives
        ],
        "reasons": list(gate.reasons),
    }


def _budget_dict(item: BudgetSummary) -> dict[str, Any]:
    burn = item.burn
    return {
        "objective": item.objective,
        "window": item.window,
        "budget_minutes": _round(item.budget_minutes, 3),
        "error_rate": _round(burn.error_rate, 6) if burn else None,
        "burn_rate": _round(burn.burn_rate, 3) if burn else None,
        "budget_consumed": _round(burn.budget_consumed, 9) if burn else None,
        "would_fire": list(burn.would_fire) if burn else [],
    }


def _order_dict(order: OrderRecord) -> dict[str, Any]:
    return {
        "seq": order.seq,
        "order_id": order.order_id,
        "verdict": order.chain_verdict.value,
        "failure": order.chain_failure.value if order.chain_failure else None,
        "delivery": order.delivery_verdict.value if order.delivery_verdict else None,
        "delivery_failure": order.delivery_failure.value if order.delivery_failure else None,
        "api_status": order.api_status,
        "latency_ms": _round(order.api_latency_ms, 3),
        "details": order.details,
    }


def _distribution_dict(dist: Distribution) -> dict[str, Any]:
    return {
        "count": dist.count,
        "p50": _round(dist.p50, 3),
        "p95": _round(dist.p95, 3),
        "p99": _round(dist.p99, 3),
        "max": _round(dist.max, 3),
    }


def _lag_meaning_dict(stage: Stage) -> dict[str, Any]:
    meaning = STAGE_LAGS.get(stage)
    if meaning is None:
        return {}
    return {"measures": meaning.measures, "source": meaning.source, "upper_bound": meaning.upper_bound}


def _interval_dict(interval: Interval | None) -> dict[str, float] | None:
    if interval is None:
        return None
    return {"low": round(interval.low, 6), "high": round(interval.high, 6), "confidence": interval.confidence}


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
