"""The dashboard the design asks for, as widgets built from the spec's own metrics.

Widgets, each left out (with a note saying why) when the spec gives it nothing to draw:

==================================  ========================================================================
widget                              what it draws
==================================  ========================================================================
Availability, rolling <period>      each SLI source's availability over the whole SLO period, one number
                                    (``setPeriodToTimeRange`` over ``-P30D``: the ratio of the period's sums)
Error budget remaining              ``100 * (1 - (1 - availability) / (1 - objective))`` over the same range
Burn-rate alerts                    the state of every composite alarm of the template
End-to-end latency <pNN>            ``latency.latency_estimate`` (labelled an upper-bound estimate) next to
                                    the canary's measured ``Latency`` at <pNN> (black-box raw values: the
                                    percentile of every probe order in the period), threshold line
API 5xx                             the spec's AWS/ApiGateway ``5XXError`` queries (or its ApiName's)
Lambda errors                       the spec's AWS/Lambda ``Errors`` queries (or its FunctionName's)
EventBridge failed entries          ``PutEventsFailedEntriesCount`` (account-wide, no dimensions: the only
                                    place a partial PutEvents failure shows) and the spec's
                                    ``FailedInvocations`` (rule targets)
Success per stage (%)               per verified stage, ``100 * StageGood / (StageGood + StageBad)``: which
                                    stage fails the orders (``stage_widgets``; needs cloudwatch_publish)
Lag per stage <pNN> (ms)            per verified stage, ``StageLag`` at the latency objective's percentile
==================================  ========================================================================

Example::

    dashboard, notes = build_dashboard(inputs, burn_rate_alarms)
    [widget.title for widget in dashboard.widgets][:2]
    # ['Availability, rolling 30d', 'Error budget remaining, rolling 30d']

``metric_row`` turns a GetMetricData/alarm query into a dashboard metric row
(``[namespace, name, dim, value, ..., {id, stat, period, label, visible}]`` or ``[{expression, id, ...}]``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from chainprobe.measure.budget import error_budget
from chainprobe.report.alarms.exceptions import InvalidSliError
from chainprobe.report.alarms.inputs import AlarmInputs
from chainprobe.report.alarms.latency import latency_estimate, latency_stat, spec_metric_stats
from chainprobe.report.alarms.model import BurnRateAlarm, Dashboard, Widget
from chainprobe.report.alarms.sources import BLACKBOX_LATENCY, SliSource, blackbox_query
from chainprobe.report.alarms.stage_widgets import stage_widgets
from chainprobe.spec.duration import format_duration

__all__ = ["GRAPH_PERIOD_S", "build_dashboard", "iso_duration", "metric_row"]

GRAPH_PERIOD_S = 300
_NUMBERS: Mapping[str, Any] = {"view": "singleValue", "setPeriodToTimeRange": True}
_GRAPH: Mapping[str, Any] = {
    "view": "timeSeries",
    "stacked": False,
    "period": GRAPH_PERIOD_S,
    "yAxis": {"left": {"min": 0}},
}


def build_dashboard(
    inputs: AlarmInputs, burn_rate_alarms: Sequence[BurnRateAlarm]
) -> tuple[Dashboard, tuple[str, ...]]:
    """The widgets for ``inputs`` and the template's composites, and notes on what was left out."""
    notes: list[str] = []
    period = format_duration(inputs.windows.slo_period)
    rolling = {"start": iso_duration(inputs.windows.slo_period)}
    budget = error_budget(inputs.objective)
    widgets: list[Widget] = [
        Widget(
            title=f"Availability, rolling {period}",
            kind="metric",
            width=8,
            metrics=_rows_per_source(
                inputs.sources, "AvailabilityPercent", "100 * {availability}", "{title}"
            ),
            properties={**_NUMBERS, **rolling},
        ),
        Widget(
            title=f"Error budget remaining, rolling {period}",
            kind="metric",
            width=8,
            metrics=_rows_per_source(
                inputs.sources,
                "BudgetRemaining",
                f"100 * (1 - (1 - {{availability}}) / {budget:.12g})",
                "{title}: % of the error budget left",
            ),
            properties={**_NUMBERS, **rolling},
        ),
        Widget(
            title="Burn-rate alerts",
            kind="alarm",
            width=8,
            alarms=tuple(burn.logical_id for burn in burn_rate_alarms),
        ),
    ]
    latency = _latency_widget(inputs, notes)
    if latency is not None:
        widgets.append(latency)
    for title, namespace, metric, query_id in (
        ("API 5xx", "AWS/ApiGateway", "5XXError", "api5xx"),
        ("Lambda errors", "AWS/Lambda", "Errors", "lambdaErrors"),
    ):
        rows = _service_rows(inputs, namespace, metric, query_id=query_id, label=title)
        if rows:
            widgets.append(
                Widget(title=title, kind="metric", width=12, metrics=rows, properties=_sum_graph())
            )
        else:
            notes.append(f"dashboard: no {title} widget (the spec's metric_math names no {namespace} metric)")
    events = _event_rows(inputs)
    if events:
        widgets.append(
            Widget(
                title="EventBridge failed entries",
                kind="metric",
                width=12,
                metrics=events,
                properties=_sum_graph(),
            )
        )
    else:
        notes.append("dashboard: no EventBridge widget (the spec has no event section nor AWS/Events metric)")
    if inputs.blackbox is not None:
        widgets.extend(
            stage_widgets(
                inputs.blackbox,
                inputs.spec.verified_stages(),
                stat=latency_stat(inputs.spec),
                period_s=GRAPH_PERIOD_S,
                row=metric_row,
                graph=_GRAPH,
            )
        )
    else:
        notes.append(
            "dashboard: no per-stage widgets (the spec has no cloudwatch_publish: nothing publishes them)"
        )
    for widget in widgets:
        _check_unique_ids(widget)
    return Dashboard(widgets=tuple(widgets)), tuple(notes)


def metric_row(
    query: Mapping[str, Any], *, visible: bool, label: str | None = None, period_s: int | None = None
) -> list[Any]:
    """A dashboard metric row for a metric query (``MetricStat``) or an expression query."""
    options: dict[str, Any] = {}
    if "Expression" in query:
        options = {"expression": query["Expression"], "id": query["Id"]}
        if period_s is not None:
            options["period"] = period_s
        row: list[Any] = []
    else:
        stat = query["MetricStat"]
        metric = stat["Metric"]
        row = [metric["Namespace"], metric["MetricName"]]
        for dimension in metric.get("Dimensions", []):
            row.extend((dimension["Name"], dimension["Value"]))
        options = {"id": query["Id"], "stat": stat["Stat"], "period": period_s or stat["Period"]}
        if "AccountId" in query:
            options["accountId"] = query["AccountId"]
    text = label or query.get("Label")
    if text:
        options["label"] = text
    if not visible:
        options["visible"] = False
    row.append(options)
    return row


def iso_duration(duration: timedelta) -> str:
    """A time range ending now, as CloudWatch widgets take it: ``-P30D``, ``-PT6H``."""
    seconds = int(duration.total_seconds())
    if seconds % 86400 == 0:
        return f"-P{seconds // 86400}D"
    return f"-PT{seconds}S" if seconds % 3600 else f"-PT{seconds // 3600}H"


def _rows_per_source(
    sources: Iterable[SliSource], suffix: str, expression: str, label: str
) -> tuple[list[Any], ...]:
    rows: list[list[Any]] = []
    for source in sources:
        rows.extend(metric_row(query, visible=False) for query in source.queries)
        shown = {
            "Id": f"{source.key}{suffix}",
            "Expression": expression.format(availability=source.availability_id),
        }
        rows.append(metric_row(shown, visible=True, label=label.format(title=source.title)))
    return tuple(rows)


def _latency_widget(inputs: AlarmInputs, notes: list[str]) -> Widget | None:
    spec = inputs.spec
    stat = latency_stat(spec)
    rows: list[list[Any]] = []
    estimate = latency_estimate(spec, inputs.variables, period_s=GRAPH_PERIOD_S)
    if estimate is not None:
        rows.extend(
            metric_row(query, visible=query["Id"] == estimate.expression_id, period_s=GRAPH_PERIOD_S)
            for query in estimate.queries
        )
    if inputs.blackbox is not None:
        query = blackbox_query(
            "blackboxLatency",
            inputs.blackbox.namespace,
            BLACKBOX_LATENCY,
            inputs.blackbox.dimensions,
            label=f"Black-box API {stat} (measured)",
            stat=stat,
            period_s=GRAPH_PERIOD_S,
        )
        rows.append(metric_row(query, visible=True))
    if not rows:
        notes.append("dashboard: no latency widget (the spec has neither metric_math nor cloudwatch_publish)")
        return None
    properties: dict[str, Any] = dict(_GRAPH)
    if spec.slo is not None and spec.slo.latency is not None:
        objective = spec.slo.latency.threshold_ms
        properties["annotations"] = {
            "horizontal": [{"label": f"objective {objective:g} ms", "value": objective}]
        }
    return Widget(
        title=f"End-to-end latency {stat} (ms)",
        kind="metric",
        width=12,
        metrics=tuple(rows),
        properties=properties,
    )


def _service_rows(
    inputs: AlarmInputs, namespace: str, metric: str, *, query_id: str, label: str
) -> tuple[list[Any], ...]:
    spec = inputs.spec
    named = spec_metric_stats(spec, namespace, metric)
    if named:
        return tuple(metric_row(query, visible=True, period_s=GRAPH_PERIOD_S) for query in named)
    anchors = spec_metric_stats(spec, namespace)
    if not anchors:
        return ()
    derived = {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": anchors[0]["MetricStat"]["Metric"].get("Dimensions", []),
            },
            "Period": GRAPH_PERIOD_S,
            "Stat": "Sum",
        },
    }
    return (metric_row(derived, visible=True, label=label),)


def _event_rows(inputs: AlarmInputs) -> tuple[list[Any], ...]:
    spec = inputs.spec
    failed = spec_metric_stats(spec, "AWS/Events", "FailedInvocations")
    if spec.event is None and not spec_metric_stats(spec, "AWS/Events"):
        return ()
    entries = {
        "Id": "putEventsFailedEntries",
        "MetricStat": {
            "Metric": {"Namespace": "AWS/Events", "MetricName": "PutEventsFailedEntriesCount"},
            "Period": GRAPH_PERIOD_S,
            "Stat": "Sum",
        },
    }
    rows = [metric_row(entries, visible=True, label="PutEvents failed entries (account-wide)")]
    rows.extend(
        metric_row(query, visible=True, label="Rule target failed invocations", period_s=GRAPH_PERIOD_S)
        for query in failed
    )
    return tuple(rows)


def _sum_graph() -> dict[str, Any]:
    return {**_GRAPH, "stat": "Sum"}


def _check_unique_ids(widget: Widget) -> None:
    seen: set[str] = set()
    for row in widget.metrics:
        query_id = row[-1].get("id")
        if query_id in seen:
            raise InvalidSliError(
                f"metric_math: the id {query_id} is used twice on the dashboard's {widget.title!r} widget "
                "(chainprobe's black-box queries use blackbox*, its latency queries *Latency*): rename it"
            )
        seen.add(query_id)
