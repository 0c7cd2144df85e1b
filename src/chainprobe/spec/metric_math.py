"""Reader for ``metric_math``: a CloudWatch ``Metrics:`` query list pasted as is, checked, kept verbatim.

Example (YAML)::

    metric_math:
      availability_id: availability
      Metrics:
        - Id: totalRequests
          MetricStat:
            Metric:
              Namespace: AWS/ApiGateway
              MetricName: Count
              Dimensions: [{Name: ApiName, Value: OrdersAPI}]
            Period: 60
            Stat: Sum
          ReturnData: false
        - Id: availability
          Expression: "1 - (FILL(apiFailures,0) / MAX([totalRequests], 1))"

Each query has an ``Id`` (lowercase first letter, then letters, digits, ``_``), unique, and exactly one
of ``Expression`` or ``MetricStat``. Expressions are not parsed here (the metric-math evaluator does).
"""

from __future__ import annotations

import copy
from typing import Any

from chainprobe.spec.exceptions import InvalidValueError
from chainprobe.spec.model import MetricMathSpec
from chainprobe.spec.reader import Fields, Node

__all__ = ["read_metric_math"]

_ID = r"[a-z][A-Za-z0-9_]{0,254}"
_QUERY_FIELDS = ("Expression", "MetricStat", "ReturnData", "Label", "Period", "AccountId")
_PERIODS_UNDER_A_MINUTE = (1, 5, 10, 30)


def read_metric_math(node: Node) -> MetricMathSpec:
    """``metric_math``: ``Metrics`` (the query list), ``availability_id`` and optional ``latency_id``."""
    fields = Fields(node, required=("Metrics", "availability_id"), optional=("latency_id",))
    queries = fields.get("Metrics").items(expected="a list of CloudWatch metric queries")
    ids = [_read_query(query) for query in queries]
    for index, query_id in enumerate(ids):
        if query_id in ids[:index]:
            queries[index].child("Id").invalid("an Id not used by another query")
    latency = fields.optional("latency_id")
    metrics = tuple(_verbatim(query) for query in queries)
    return MetricMathSpec(
        metrics=metrics,
        availability_id=_reference(fields.get("availability_id"), ids),
        latency_id=_reference(latency, ids) if latency else None,
    )


def _read_query(node: Node) -> str:
    fields = Fields(node, required=("Id",), optional=_QUERY_FIELDS)
    kinds = [kind for kind in ("Expression", "MetricStat") if fields.has(kind)]
    if len(kinds) != 1:
        node.fail(InvalidValueError, f"expected exactly one of Expression, MetricStat, got {len(kinds)}")
    if kinds[0] == "Expression":
        fields.get("Expression").text(expected="a metric math expression")
    else:
        _read_metric_stat(fields.get("MetricStat"))
    for key, check in (("ReturnData", Node.boolean), ("Label", Node.text), ("Period", _period)):
        child = fields.optional(key)
        if child is not None:
            check(child)
    return fields.get("Id").text(pattern=_ID, expected="an Id such as totalRequests (lowercase first letter)")


def _read_metric_stat(node: Node) -> None:
    fields = Fields(node, required=("Metric", "Period", "Stat"), optional=("Unit",))
    metric = Fields(fields.get("Metric"), required=("Namespace", "MetricName"), optional=("Dimensions",))
    metric.get("Namespace").text(expected="a namespace such as AWS/ApiGateway")
    metric.get("MetricName").text(expected="a metric name such as Count")
    dimensions = metric.optional("Dimensions")
    for dimension in dimensions.items(expected="a list of {Name, Value}") if dimensions else []:
        pair = Fields(dimension, required=("Name", "Value"))
        pair.get("Name").text()
        pair.get("Value").text()
    _period(fields.get("Period"))
    fields.get("Stat").text(expected="a statistic such as Sum, Average or p95")


def _period(node: Node) -> None:
    period = node.integer(low=1)
    if period not in _PERIODS_UNDER_A_MINUTE and period % 60 != 0:
        node.invalid("a period of 1, 5, 10, 30 or a multiple of 60 seconds")


def _verbatim(node: Node) -> dict[str, Any]:
    value = copy.deepcopy(node.value)
    assert isinstance(value, dict)
    return value


def _reference(node: Node, ids: list[str]) -> str:
    query_id = node.text(expected="the Id of a query in Metrics")
    if query_id not in ids:
        node.invalid(f"the Id of a query in Metrics (one of {', '.join(ids)})")
    return query_id
