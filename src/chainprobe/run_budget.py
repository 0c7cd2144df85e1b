"""``chainprobe budget``'s composition: the spec's SLIs as its alarms read them, their history from
CloudWatch (and the local ledger), the pure replay.

The SLIs and tiers are exactly what ``chainprobe alarms`` generates from (``report.alarms.inputs``):
the metric-math SLI (the spec's queries under its availability id) and, with ``cloudwatch_publish``,
the black-box SLI ``OrdersGood / (OrdersGood + OrdersBad)`` in the spec's namespace and dimensions;
the tiers of the windows file for the spec's ``slo.window``; missing data as the alarms'
``TreatMissingData``. So the replay and the generated alarms agree by construction.

Each SLI's history is read from ``[end - window - longest tier window, end)`` (the replay's first
steps look back as far as the alarms would have). Runs of the local ledger (same spec name, same
target, ended in that span, with final verdicts) are added to the black-box SLI, one datapoint each at
the minute it ended, as the canary publishes it; a minute's count is the larger of CloudWatch's and
the ledger's (``budget_window.merge_histories``), so a run that was published and is in the ledger
counts once, and a run that never published (no ``--publish-metrics``, CloudWatch refused) still
counts. The metric-math SLI is CloudWatch's alone (the ledger holds no service metrics).

With the black-box SLI, the per-stage counts (``StageGood``/``StageBad`` per ``Stage``, the spec's
dimensions plus ``Stage``, ``report.stage_metrics``) are read with the same reader, one batch of
queries, over the budget window ``[end - window, end)``, and divided by ``measure.budget_stages``:
which chain stage spent the budget (courier apart: delivery is its own SLI).

Raises ``SpecError``, ``BudgetError`` and the alarms' ``AlarmsError`` (exit 2); botocore errors go
through (exit 3).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from chainprobe.ledger.location import resolve_ledger_path
from chainprobe.ledger.model import Stage, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.measure.budget_history import read_history
from chainprobe.measure.budget_replay import open_minute, replay
from chainprobe.measure.budget_stages import BUDGET_STAGES, StageShare, stage_shares, window_sums
from chainprobe.measure.budget_view import BudgetView
from chainprobe.measure.budget_window import MINUTE, History, SliDefinition, merge_histories
from chainprobe.measure.window_sli import GetMetricData
from chainprobe.report.alarms.inputs import AlarmInputs, BlackboxMetrics
from chainprobe.report.alarms.sources import BLACKBOX_METRICS, SliSource, TreatMissingData, blackbox_query
from chainprobe.report.stage_metrics import STAGE_BAD, STAGE_DIMENSION, STAGE_GOOD

__all__ = ["compute_budget", "ledger_history", "sli_definitions", "stage_breakdown", "stage_definition"]


def sli_definitions(inputs: AlarmInputs) -> tuple[SliDefinition, ...]:
    """The SLIs of the alarms' inputs, with their request queries and missing-data treatment."""
    return tuple(_definition(source) for source in inputs.sources)


def compute_budget(
    inputs: AlarmInputs,
    *,
    window: timedelta,
    end: int,
    get_metric_data: GetMetricData,
    now: float,
    target_name: str,
    ledger_path: str | os.PathLike[str] | None = None,
) -> BudgetView:
    """The budget view of the spec ``inputs`` were loaded from (``report.alarms.inputs.load_inputs``,
    as ``chainprobe alarms`` loads it) over ``[end - window, end)``."""
    reach = max(inputs.windows.windows())
    start = end - int((window + reach).total_seconds())
    notes, runs = [], 0
    if (still_open := open_minute(end, now)) is not None:
        notes.append(still_open)
    if inputs.blackbox is None:
        notes.append("no cloudwatch_publish section: the black-box SLI is not read (metric math only)")
    budgets, stages = [], None
    for sli in sli_definitions(inputs):
        history: History = read_history(sli, start=start, end=end, get_metric_data=get_metric_data, now=now)
        if sli.key == "blackbox":
            local, runs = ledger_history(
                ledger_path, sli, spec_name=inputs.spec.name, target=target_name, start=start, end=end
            )
            history = merge_histories(history, local)
        if not sli.requests_ids:
            notes.append(f"{sli.key}: no requests in the expression: no minimum-traffic guard")
        budget = replay(
            sli, history, objective=inputs.objective, windows=inputs.windows, window=window, end=end
        )
        budgets.append(budget)
        if sli.key == "blackbox" and inputs.blackbox is not None:
            stages = stage_breakdown(
                inputs.blackbox,
                start=end - int(window.total_seconds()),
                end=end,
                consumed_minutes=budget.consumed_minutes,
                get_metric_data=get_metric_data,
                now=now,
            )
    return BudgetView(
        probe=inputs.spec.name,
        spec_source=inputs.spec_source,
        windows_source=inputs.windows.source,
        objective=inputs.objective,
        window=window,
        end=end,
        slis=tuple(budgets),
        stages=stages,
        ledger_runs=runs,
        notes=tuple(notes),
    )


def stage_definition(blackbox: BlackboxMetrics) -> SliDefinition:
    """The per-stage counts as ``MetricStat`` queries (ids ``stageGoodApi``, ``stageBadCourier``, ...),
    for the history reader; no availability of their own."""
    queries = tuple(
        blackbox_query(
            _stage_id(metric, stage),
            blackbox.namespace,
            metric,
            {**blackbox.dimensions, STAGE_DIMENSION: stage.value},
            label=f"{metric} {stage.value}",
        )
        for stage in (*BUDGET_STAGES, Stage.COURIER)
        for metric in (STAGE_GOOD, STAGE_BAD)
    )
    return SliDefinition(
        key="stages",
        title="per-stage results",
        queries=queries,
        availability_id="",
        requests_ids=(),
        missing_breaches=False,
    )


def stage_breakdown(
    blackbox: BlackboxMetrics,
    *,
    start: int,
    end: int,
    consumed_minutes: float,
    get_metric_data: GetMetricData,
    now: float,
) -> tuple[StageShare, ...]:
    """Each stage's counts over ``[start, end)`` from CloudWatch and its share of ``consumed_minutes``."""
    definition = stage_definition(blackbox)
    history = read_history(definition, start=start, end=end, get_metric_data=get_metric_data, now=now)
    sums = window_sums(history, definition.metric_ids())
    stages = (*BUDGET_STAGES, Stage.COURIER)
    good = {s: sums[_stage_id(STAGE_GOOD, s)] for s in stages if _stage_id(STAGE_GOOD, s) in sums}
    bad = {s: sums[_stage_id(STAGE_BAD, s)] for s in stages if _stage_id(STAGE_BAD, s) in sums}
    return stage_shares(good, bad, consumed_minutes=consumed_minutes)


def _stage_id(metric: str, stage: Stage) -> str:
    return f"{metric[0].lower()}{metric[1:]}{stage.value.title()}"


def ledger_history(
    path: str | os.PathLike[str] | None,
    blackbox: SliDefinition,
    *,
    spec_name: str,
    target: str,
    start: int,
    end: int,
) -> tuple[dict[int, dict[str, float]], int]:
    """The local ledger's runs of ``spec_name`` on ``target`` that ended in ``[start, end)``, as the
    black-box counts the canary publishes (per run, at its end minute); and how many runs. A ledger
    file that does not exist is no history (it is not created)."""
    resolved = resolve_ledger_path(path)
    if not Path(resolved).is_file():
        return {}, 0
    history: dict[int, dict[str, float]] = {}
    count = 0
    good_id, bad_id = (_query_id(blackbox, BLACKBOX_METRICS[role]) for role in ("good", "bad"))
    with Ledger(resolved) as ledger:
        for run in ledger.runs():
            if run.spec_name != spec_name or run.target != target or run.ended_at is None:
                continue
            if not start <= run.ended_at < end:
                continue
            verdicts = [order.chain_verdict for order in ledger.orders(run.run_id)]
            if Verdict.PENDING in verdicts:
                continue  # not final: the canary publishes only final verdicts
            minute = int(run.ended_at) // MINUTE * MINUTE
            row = history.setdefault(minute, {good_id: 0.0, bad_id: 0.0})
            row[good_id] += verdicts.count(Verdict.GOOD)
            row[bad_id] += verdicts.count(Verdict.BAD)
            count += 1
    return history, count


def _query_id(sli: SliDefinition, metric: str) -> str:
    """The id of the SLI's ``MetricStat`` query on ``metric`` (``OrdersGood``, ``OrdersBad``)."""
    return next(
        str(q["Id"])
        for q in sli.queries
        if "MetricStat" in q and q["MetricStat"]["Metric"]["MetricName"] == metric
    )


def _definition(source: SliSource) -> SliDefinition:
    treat = source.missing_data.treat
    if treat not in (TreatMissingData.BREACHING, TreatMissingData.NOT_BREACHING):
        raise ValueError(f"{source.key}: TreatMissingData {treat.value} is not replayed")
    return SliDefinition(
        key=source.key,
        title=source.title,
        queries=source.queries,
        availability_id=source.availability_id,
        requests_ids=source.requests_ids,
        missing_breaches=treat is TreatMissingData.BREACHING,
    )
