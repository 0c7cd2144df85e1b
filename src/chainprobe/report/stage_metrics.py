"""Per-stage results of a run as CloudWatch data, as Synthetics publishes per step: which stage failed.

For each stage the spec verifies (``api``, ``dynamodb``, ``event``, ``courier``), with the spec's
dimensions plus ``Stage=<stage>``:

===============  ============  ==============================================================================
metric           unit          value
===============  ============  ==============================================================================
``StageGood``    Count         orders judged at the stage that passed it
``StageBad``     Count         orders that failed at the stage
``StageLag``     Milliseconds  every order's lag from its send to the stage (``measure.sli.STAGE_LAGS``), as
                               raw values (``Values`` + ``Counts``), one sample per order observed there
===============  ============  ==============================================================================

Judged at a stage, as a Synthetics step runs only after the steps before it passed: the chain stages
are judged in order (API answer, DynamoDB item, captured event) and stop at the first failure, so an
order is judged at a stage when it passed every verified stage before it and has a final chain
verdict: good at every stage of a good order; good up to, and bad at, its failure class's stage for
a bad one. ``courier`` is the delivery SLO: the orders with a final delivery verdict (the chain-good
ones, and a rejected order the courier was called for anyway, ``courier_unexpected``). Hence the
chain stages' ``StageBad`` sum to ``OrdersBad``, and the product of their success ratios is
``Availability``.

Counts, not a per-run percentage: ``SUM(StageGood) / (SUM(StageGood) + SUM(StageBad))`` over any
period weighs every order once, while an average of per-run percentages weighs a 3-order run like a
3,000-order one, and a budget needs the bad count itself. ``StageSuccessPercent`` is that expression
on a dashboard, not a published series.

Raw lag values, not per-run percentiles: a p95 of per-run p95s is not the p95 of the orders, and
CloudWatch computes percentiles only from raw values (not from ``StatisticValues`` sets). With the
values published, ``StageLag`` at ``p95`` over one run's period is that run's p95, and over a day
the p95 of every order of the day. A negative lag (a clock behind the harness's: an SQS
``SentTimestamp`` before the send) is published as 0: CloudWatch computes no percentile of a metric
with a negative value, and 0 keeps the order's rank (lowest) so every percentile stays exact.

Nothing is published for a stage the spec does not verify, nor for one no order was judged at (all
failed before it): no ``StageGood = 0`` that would read as a stage that failed everything. An
incomplete run publishes nothing at all (``pipeline.conclude``). Pending orders are in no stage count.

Example::

    data = stage_metrics(report, {"Probe": "orders"})
    [(d.name, d.dimensions[-1][1]) for d in data][:3]
    # [('StageGood', 'api'), ('StageBad', 'api'), ('StageLag', 'api')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from chainprobe.ledger.model import OrderRecord, Stage, Verdict
from chainprobe.measure.sli import lag_sample
from chainprobe.report.metric_datum import COUNT, MILLISECONDS, MetricDatum, MetricValues
from chainprobe.report.model import RunReport

__all__ = [
    "CHAIN_STAGES",
    "STAGE_BAD",
    "STAGE_DIMENSION",
    "STAGE_GOOD",
    "STAGE_LAG",
    "StageCount",
    "stage_counts",
    "stage_metrics",
]

STAGE_DIMENSION = "Stage"
STAGE_GOOD = "StageGood"
STAGE_BAD = "StageBad"
STAGE_LAG = "StageLag"
CHAIN_STAGES = (Stage.API, Stage.DYNAMODB, Stage.EVENT)
"""The stages of the chain verdict, in the order the verdict judges them."""


@dataclass(frozen=True)
class StageCount:
    """How many orders passed (``good``) and failed (``bad``) one stage."""

    stage: Stage
    good: int
    bad: int

    @property
    def judged(self) -> int:
        """Orders judged at the stage."""
        return self.good + self.bad


def stage_counts(orders: Iterable[OrderRecord], verified: Sequence[Stage]) -> list[StageCount]:
    """Good and bad per verified stage (in chain order), leaving out stages no order was judged at."""
    records = list(orders)
    chain = [stage for stage in CHAIN_STAGES if stage in verified]
    good = dict.fromkeys(chain, 0)
    bad = dict.fromkeys(chain, 0)
    for order in records:
        if order.chain_verdict is Verdict.GOOD:
            for stage in chain:
                good[stage] += 1
        elif order.chain_verdict is Verdict.BAD and order.chain_failure is not None:
            failed = order.chain_failure.stage
            if failed not in chain:
                continue  # not a stage this spec verifies: nothing to say of it
            for stage in chain[: chain.index(failed)]:
                good[stage] += 1
            bad[failed] += 1
    counts = [StageCount(stage, good[stage], bad[stage]) for stage in chain]
    if Stage.COURIER in verified:
        verdicts = [order.delivery_verdict for order in records]
        counts.append(
            StageCount(
                Stage.COURIER,
                sum(1 for verdict in verdicts if verdict is Verdict.GOOD),
                sum(1 for verdict in verdicts if verdict is Verdict.BAD),
            )
        )
    return [count for count in counts if count.judged]


def stage_metrics(
    report: RunReport, dimensions: Mapping[str, str] | None = None
) -> list[MetricDatum | MetricValues]:
    """The per-stage data of ``report`` (see the module docstring), each with ``dimensions`` + ``Stage``."""
    base = tuple((dimensions or {}).items())
    counts = {count.stage: count for count in stage_counts(report.orders, report.verified_stages)}
    data: list[MetricDatum | MetricValues] = []
    for stage in (*CHAIN_STAGES, Stage.COURIER):
        if stage not in report.verified_stages:
            continue
        keys = (*base, (STAGE_DIMENSION, stage.value))
        count = counts.get(stage)
        if count is not None:
            data.append(MetricDatum(STAGE_GOOD, count.good, COUNT, keys))
            data.append(MetricDatum(STAGE_BAD, count.bad, COUNT, keys))
        lags = [max(0.0, lag) for lag in lag_sample(report.orders, stage)]
        data.extend(MetricValues.of(STAGE_LAG, lags, MILLISECONDS, keys))
    return data
