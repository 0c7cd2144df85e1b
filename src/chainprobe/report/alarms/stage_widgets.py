"""The dashboard's per-stage widgets, from what the canary publishes per stage (``report.stage_metrics``).

- ``Success per stage (%)``: for each stage the spec verifies, ``100 * good / (good + bad)`` of the
  ``StageGood`` and ``StageBad`` sums in each period: a ratio of sums, so every order weighs once
  however the runs were sized. A period with no run draws no point (nothing is published for it).
- ``Lag per stage <pNN> (ms)``: ``StageLag`` at the latency objective's percentile. The lags are
  published as raw values, so each point is the percentile of every order of the period, not a mean
  of per-run percentiles. What a stage's lag runs to is ``measure.sli.STAGE_LAGS`` (DynamoDB's is an
  upper bound: when the verifier first read the item).

Example::

    widgets = stage_widgets(blackbox, ("api", "event"), stat="p95", period_s=300)
    [widget.title for widget in widgets]     # ['Success per stage (%)', 'Lag per stage p95 (ms)']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chainprobe.ledger.model import Stage
from chainprobe.measure.sli import STAGE_LAGS
from chainprobe.report.alarms.inputs import BlackboxMetrics
from chainprobe.report.alarms.model import Widget
from chainprobe.report.alarms.sources import blackbox_query
from chainprobe.report.stage_metrics import STAGE_BAD, STAGE_DIMENSION, STAGE_GOOD, STAGE_LAG

__all__ = ["stage_widgets"]

type RowOf = Callable[..., list[Any]]


def stage_widgets(
    blackbox: BlackboxMetrics,
    verified: Sequence[str],
    *,
    stat: str,
    period_s: int,
    row: RowOf,
    graph: Mapping[str, Any],
) -> tuple[Widget, Widget]:
    """The two per-stage widgets over ``verified`` stages (chain order); ``row`` is ``metric_row``."""
    stages = [stage for stage in Stage if stage.value in verified and stage in STAGE_LAGS]
    success: list[list[Any]] = []
    lags: list[list[Any]] = []
    for stage in stages:
        key = stage.value.capitalize()
        good, bad = f"stageGood{key}", f"stageBad{key}"
        success.append(row(_query(blackbox, stage, good, STAGE_GOOD, period_s), visible=False))
        success.append(row(_query(blackbox, stage, bad, STAGE_BAD, period_s), visible=False))
        ratio = {"Id": f"stageSuccess{key}", "Expression": f"100 * {good} / ({good} + {bad})"}
        success.append(row(ratio, visible=True, label=f"{stage.value}: % of the orders judged there"))
        lag = _query(blackbox, stage, f"stageLag{key}", STAGE_LAG, period_s, stat=stat)
        lags.append(row(lag, visible=True, label=f"{stage.value} ({STAGE_LAGS[stage].measures}, {stat})"))
    return (
        Widget(
            title="Success per stage (%)",
            kind="metric",
            width=12,
            metrics=tuple(success),
            properties={**graph, "yAxis": {"left": {"min": 0, "max": 100}}},
        ),
        Widget(
            title=f"Lag per stage {stat} (ms)", kind="metric", width=12, metrics=tuple(lags), properties=graph
        ),
    )


def _query(
    blackbox: BlackboxMetrics, stage: Stage, query_id: str, metric: str, period_s: int, *, stat: str = "Sum"
) -> dict[str, Any]:
    dimensions = {**blackbox.dimensions, STAGE_DIMENSION: stage.value}
    return blackbox_query(
        query_id,
        blackbox.namespace,
        metric,
        dimensions,
        label=f"{metric} {stage.value}",
        stat=stat,
        period_s=period_s,
    )
