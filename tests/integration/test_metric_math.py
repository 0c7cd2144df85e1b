"""GetMetricData with metric math on the local CloudWatch, against traffic whose outcome is known.

The orders are sent together right after a 10-second boundary and read back with 10-second periods
over exactly that bucket, so the design's availability expression has a single value that can be
computed by hand from the answers the client got (the shared stack sends nothing else meanwhile).
"""

from __future__ import annotations

import math
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudwatch_window import metric_stat, wait_for_value
from tests.integration.conftest import RunningStack

PERIOD = 10
AVAILABILITY = (
    "1 - ((FILL(apiFailures,0) + FILL(lambdaFailures,0) + FILL(eventFailures,0)) / MAX([totalRequests], 1))"
)


def design_queries(period: int) -> list[dict[str, Any]]:
    """The design's metric-math SLI (DESIGN.md), at ``period`` seconds."""

    def hidden(query_id: str, namespace: str, name: str, **dimensions: str) -> dict[str, Any]:
        stat = metric_stat(namespace, name, "Sum", period, **dimensions)
        return {"Id": query_id, "MetricStat": stat, "ReturnData": False}

    return [
        hidden("totalRequests", "AWS/ApiGateway", "Count", ApiName="OrdersAPI"),
        hidden("apiFailures", "AWS/ApiGateway", "5XXError", ApiName="OrdersAPI"),
        hidden("lambdaFailures", "AWS/Lambda", "Errors", FunctionName="OrdersHandler"),
        hidden(
            "eventFailures",
            "AWS/Events",
            "FailedInvocations",
            RuleName="OrderCreatedToDelivery",
            EventBusName="orders",
        ),
        {"Id": "availability", "Expression": AVAILABILITY, "Label": "Chain availability"},
        {"Id": "requests", "Expression": "FILL(totalRequests, 0)"},
    ]


def order(**change: Any) -> dict[str, Any]:
    body = {
        "orderId": f"o-mm-{uuid.uuid4().hex[:12]}",
        "customerId": "c-1",
        "items": [{"sku": "w-1", "quantity": 1}],
        "amount": 10.0,
    }
    return body | change


def next_boundary(period: int) -> datetime:
    """Sleep until the next multiple of ``period`` seconds; returns it."""
    now = time.time()
    boundary = math.ceil(now / period) * period
    time.sleep(boundary - now + 0.01)
    return datetime.fromtimestamp(boundary, UTC)


def test_the_design_availability_expression_matches_what_was_sent(local_stack: RunningStack) -> None:
    bodies = (
        [order() for _ in range(5)]
        + [order(customerId="")]  # 400: counted in totalRequests, not a failure
        + [order(chaos=["events-entry-failure"]) for _ in range(2)]  # strict publish: the API answers 502
        + [order(chaos=["lambda-exception"])]  # unhandled: Lambda Errors and a 502 at the gateway
    )
    cloudwatch = local_stack.clients.client("cloudwatch")
    start = next_boundary(PERIOD)
    with ThreadPoolExecutor(len(bodies)) as pool:
        answers = list(
            pool.map(
                lambda b: httpx.post(f"{local_stack.endpoints.api_url}/orders", json=b, timeout=30.0), bodies
            )
        )
    assert time.time() < start.timestamp() + PERIOD, "the burst spilled over its 10-second bucket"
    statuses = [answer.status_code for answer in answers]
    assert statuses == [201] * 5 + [400] + [502] * 3

    # By hand, from what the client saw: every 5xx is an API failure, the raised exception also a Lambda
    # error (the design's expression counts that order twice); no rule target failed.
    total = len(statuses)
    api_failures = sum(1 for s in statuses if s >= 500)
    lambda_failures = 1
    expected = 1 - (api_failures + lambda_failures) / max(total, 1)

    def read() -> dict[str, list[float]]:
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=design_queries(PERIOD),
            StartTime=start,
            EndTime=start + timedelta(seconds=PERIOD),
        )
        return {result["Id"]: result["Values"] for result in answer["MetricDataResults"]}

    def errors_seen() -> float:
        errors = [metric_stat("AWS/Lambda", "Errors", "Sum", PERIOD, FunctionName="OrdersHandler")]
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=[{"Id": "e", "MetricStat": errors[0]}],
            StartTime=start,
            EndTime=start + timedelta(seconds=PERIOD),
        )
        return sum(answer["MetricDataResults"][0]["Values"])

    wait_for_value(lambda: sum(read()["requests"]), lambda n: n >= total)
    wait_for_value(errors_seen, lambda n: n >= lambda_failures)
    results = read()

    assert results["requests"] == [total]
    assert results["availability"] == [pytest.approx(expected)]
    assert expected == pytest.approx(1 - 4 / 9)


def test_an_expression_only_request_is_evaluated(local_stack: RunningStack) -> None:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    answer = local_stack.clients.client("cloudwatch").get_metric_data(
        MetricDataQueries=[{"Id": "constant", "Expression": "TIME_SERIES(99.5)", "Label": "objective"}],
        StartTime=end - timedelta(minutes=3),
        EndTime=end,
        ScanBy="TimestampAscending",
    )

    (result,) = answer["MetricDataResults"]
    assert (result["Label"], result["StatusCode"], result["Values"]) == ("objective", "Complete", [99.5] * 3)
    assert [t.minute for t in result["Timestamps"]] == [
        (end - timedelta(minutes=3 - i)).minute for i in range(3)
    ]


@pytest.mark.parametrize(
    ("expression", "named"),
    [("ANOMALY_DETECTION_BAND(requests, 2)", "ANOMALY_DETECTION_BAND"), ("SLICE(requests, 1)", "SLICE")],
)
def test_an_unsupported_function_is_a_validation_error_naming_it(
    local_stack: RunningStack, expression: str, named: str
) -> None:
    end = datetime.now(UTC)
    queries = [
        {
            "Id": "requests",
            "MetricStat": metric_stat("AWS/ApiGateway", "Count", "Sum", 60, ApiName="OrdersAPI"),
        },
        {"Id": "band", "Expression": expression},
    ]

    with pytest.raises(ClientError) as raised:
        local_stack.clients.client("cloudwatch").get_metric_data(
            MetricDataQueries=queries, StartTime=end - timedelta(minutes=5), EndTime=end
        )

    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert named in error["Message"]
