"""Helpers of the SLO export tests: probes/orders.yaml, variants of it, and its queries by hand."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[4]
ORDERS = ROOT / "probes" / "orders.yaml"


def write_spec(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """probes/orders.yaml with ``change`` applied, written to ``tmp_path / spec.yaml``."""
    data = copy.deepcopy(yaml.safe_load(ORDERS.read_text()))
    change(data)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def stat(
    query_id: str,
    namespace: str,
    name: str,
    dimensions: list[tuple[str, str]],
    *,
    stat: str = "Sum",
    returned: bool = False,
    label: str | None = None,
) -> dict[str, Any]:
    """A MetricStat query over 60 s, written out the way the expected documents hold it."""
    query: dict[str, Any] = {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions],
            },
            "Period": 60,
            "Stat": stat,
        },
    }
    if label is not None:
        query["Label"] = label
    query["ReturnData"] = returned
    return query


API = [("ApiName", "OrdersAPI")]
API_FAILURES = stat("apiFailures", "AWS/ApiGateway", "5XXError", API)
LAMBDA_FAILURES = stat("lambdaFailures", "AWS/Lambda", "Errors", [("FunctionName", "OrdersHandler")])
EVENT_FAILURES = stat(
    "eventFailures",
    "AWS/Events",
    "FailedInvocations",
    [("RuleName", "OrderCreatedToDelivery"), ("EventBusName", "orders")],
)
BAD_COUNT = {
    "Id": "badCount",
    "Expression": "FILL(apiFailures, 0) + FILL(lambdaFailures, 0) + FILL(eventFailures, 0)",
    "Label": "bad requests",
    "ReturnData": True,
}
TOTAL_REQUESTS = stat("totalRequests", "AWS/ApiGateway", "Count", API, returned=True)
FAST = stat(
    "fastRequests", "AWS/ApiGateway", "Latency", API, stat="TC(:800)", returned=True,
    label="requests within 800 ms",
)  # fmt: skip
TIMED = stat(
    "timedRequests", "AWS/ApiGateway", "Latency", API, stat="SampleCount", returned=True,
    label="requests timed",
)  # fmt: skip
COURIER = [("Probe", "orders"), ("Stage", "courier")]
DELIVERY_GOOD = stat("deliveryGood", "Chainprobe", "StageGood", COURIER, label="Deliveries good")
DELIVERY_BAD = stat("deliveryBad", "Chainprobe", "StageBad", COURIER, label="Deliveries bad")
DELIVERY_BAD_RETURNED = stat(
    "deliveryBad", "Chainprobe", "StageBad", COURIER, label="Deliveries bad", returned=True
)
DELIVERY_TOTAL = {
    "Id": "deliveryTotal",
    "Expression": "deliveryGood + deliveryBad",
    "Label": "Deliveries judged",
    "ReturnData": True,
}
