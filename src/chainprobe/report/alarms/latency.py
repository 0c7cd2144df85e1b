"""The end-to-end latency estimate a dashboard can draw from metric math, and what it is not.

When the spec's ``metric_math`` names a ``latency_id``, that expression (and the queries under it) is
the estimate, as written. Otherwise the design's composite is built from the metrics the spec
already names, one part per service it can place::

    p95(AWS/ApiGateway Latency)        dimensions of the spec's AWS/ApiGateway query (ApiName=OrdersAPI)
  + p95(AWS/Lambda Duration)           dimensions of the spec's AWS/Lambda query (FunctionName=OrdersHandler)
  + p95(AWS/DynamoDB SuccessfulRequestLatency)
                                       TableName = the spec's dynamodb.table (rendered), Operation=PutItem

(the percentile is the spec's ``slo.latency.percentile``, 95 by default). It is labelled an
**upper-bound estimate**: API Gateway's Latency already contains the integration's time, so the Lambda's
Duration, so its DynamoDB call — the sum counts nested time two and three times — and a sum of
percentiles is not the percentile of a sum. Read it next to the black-box p95 the canary measures.

Example::

    estimate = latency_estimate(spec, variables={"table": "Orders"})
    estimate.parts        # ('API Latency', 'Lambda Duration', 'DynamoDB PutItem latency')
    estimate.queries[-1]  # {'Id': 'latencyEstimate', 'Expression': 'apiLatency + lambdaDuration + ...'}

Limitations: the first AWS/ApiGateway and AWS/Lambda queries of the SLI stand for the request path
(a chain with two functions in it gets the first one only); the DynamoDB part assumes the item the
spec checks is written with PutItem (``WRITE_OPERATION``); a spec without ``metric_math`` gets no
estimate. Raises ``SpecError`` when ``dynamodb.table`` does not render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chainprobe.report.alarms.sources import queries_under
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import Scalar, render

__all__ = ["WRITE_OPERATION", "LatencyEstimate", "latency_estimate", "latency_stat", "spec_metric_stats"]

WRITE_OPERATION = "PutItem"
ESTIMATE_ID = "latencyEstimate"


@dataclass(frozen=True, kw_only=True)
class LatencyEstimate:
    """Queries whose ``expression_id`` is the estimate (the others hidden), its label and its parts."""

    queries: tuple[Mapping[str, Any], ...]
    expression_id: str
    label: str
    parts: tuple[str, ...]


def latency_stat(spec: ProbeSpec) -> str:
    """The statistic of the latency objective: ``p95`` unless ``slo.latency.percentile`` says otherwise."""
    percentile = spec.slo.latency.percentile if spec.slo and spec.slo.latency else 95.0
    return f"p{percentile:g}"


def spec_metric_stats(spec: ProbeSpec, namespace: str, metric: str | None = None) -> list[Mapping[str, Any]]:
    """The spec's ``MetricStat`` queries in ``namespace`` (and of ``metric``, when given), in order."""
    if spec.metric_math is None:
        return []
    found: list[Mapping[str, Any]] = []
    for query in spec.metric_math.queries():
        stat = query.get("MetricStat")
        if stat is None or stat["Metric"]["Namespace"] != namespace:
            continue
        if metric is None or stat["Metric"]["MetricName"] == metric:
            found.append(query)
    return found


def latency_estimate(
    spec: ProbeSpec, variables: Mapping[str, Scalar], *, period_s: int = 300
) -> LatencyEstimate | None:
    """The spec's ``latency_id`` expression, else the composite sum of percentiles, else ``None``."""
    if spec.metric_math is None:
        return None
    if spec.metric_math.latency_id is not None:
        given = queries_under(spec.metric_math.queries(), spec.metric_math.latency_id)
        root = next(q for q in given if q["Id"] == spec.metric_math.latency_id)
        label = str(root.get("Label") or "End-to-end latency (metric_math.latency_id)")
        return LatencyEstimate(
            queries=given, expression_id=spec.metric_math.latency_id, label=label, parts=(label,)
        )
    stat = latency_stat(spec)
    parts: list[tuple[str, str, str, str, list[dict[str, str]]]] = []
    api = spec_metric_stats(spec, "AWS/ApiGateway")
    if api:
        parts.append(("apiLatency", "API Latency", "AWS/ApiGateway", "Latency", _dimensions(api[0])))
    function = spec_metric_stats(spec, "AWS/Lambda")
    if function:
        parts.append(
            ("lambdaDuration", "Lambda Duration", "AWS/Lambda", "Duration", _dimensions(function[0]))
        )
    if spec.dynamodb is not None:
        table = render(spec.dynamodb.table, variables, field="dynamodb.table")
        dimensions = [{"Name": "TableName", "Value": table}, {"Name": "Operation", "Value": WRITE_OPERATION}]
        parts.append(
            (
                "dynamodbLatency",
                f"DynamoDB {WRITE_OPERATION} latency",
                "AWS/DynamoDB",
                "SuccessfulRequestLatency",
                dimensions,
            )
        )
    if not parts:
        return None
    queries: list[Mapping[str, Any]] = [
        {
            "Id": query_id,
            "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
                "Period": period_s,
                "Stat": stat,
            },
            "Label": f"{stat}({title})",
            "ReturnData": False,
        }
        for query_id, title, namespace, metric, dimensions in parts
    ]
    names = tuple(title for _, title, _, _, _ in parts)
    label = f"End-to-end {stat}, upper-bound estimate: " + " + ".join(f"{stat}({name})" for name in names)
    queries.append(
        {
            "Id": ESTIMATE_ID,
            "Expression": " + ".join(query_id for query_id, *_ in parts),
            "Label": label,
            "ReturnData": True,
        }
    )
    return LatencyEstimate(queries=tuple(queries), expression_id=ESTIMATE_ID, label=label, parts=names)


def _dimensions(query: Mapping[str, Any]) -> list[dict[str, str]]:
    return [dict(dimension) for dimension in query["MetricStat"]["Metric"].get("Dimensions", [])]
