"""AWS service metrics on the local stack: what the chain's own traffic publishes to CloudWatch.

One module-scoped burst of traffic (good orders and malformed ones, answered 400 by OrdersHandler)
is sent inside a :class:`MetricWindow`; each test reads one namespace back and compares it with what
was sent, the way AWS would have counted it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from chainprobe.stacks import reference_chain
from tests.integration.cloudwatch_window import MetricWindow, stack_outputs, wait_for_value
from tests.integration.conftest import RunningStack

GOOD = 5
MALFORMED: list[dict[str, Any]] = [{"customerId": ""}, {"items": []}, {"amount": "lots"}]
API = {"ApiName": "OrdersAPI"}
ORDERS_HANDLER = {"FunctionName": "OrdersHandler"}
RULE = {"RuleName": "OrderCreatedToDelivery", "EventBusName": "orders"}


@dataclass
class Traffic:
    window: MetricWindow
    statuses: list[int]
    outputs: dict[str, str]

    @property
    def sent(self) -> int:
        return len(self.statuses)


def order(**change: Any) -> dict[str, Any]:
    body = {
        "orderId": f"o-metrics-{uuid.uuid4().hex[:12]}",
        "customerId": "c-1",
        "items": [{"sku": "w-1", "quantity": 2}],
        "amount": 25.0,
        "probe": {"runId": "itest-metrics", "seq": 1},
    }
    return body | change


@pytest.fixture(scope="module")
def traffic(local_stack: RunningStack) -> Traffic:
    window = MetricWindow.from_next_second(local_stack.clients.client("cloudwatch"))
    bodies = [order() for _ in range(GOOD)] + [order(**change) for change in MALFORMED]
    statuses = [
        httpx.post(f"{local_stack.endpoints.api_url}/orders", json=body, timeout=30.0).status_code
        for body in bodies
    ]
    assert statuses == [201] * GOOD + [400] * len(MALFORMED)
    outputs = dict(stack_outputs(local_stack, reference_chain.STACK_NAME))
    return Traffic(window, statuses, outputs)


def test_api_gateway_counts_every_request_and_its_4xx(traffic: Traffic) -> None:
    window = traffic.window
    count = window.wait_total(traffic.sent, "AWS/ApiGateway", "Count", **API)

    assert count == traffic.sent
    assert window.total("AWS/ApiGateway", "Count", **API, Stage="prod") == traffic.sent
    assert window.total("AWS/ApiGateway", "4XXError", **API) == len(MALFORMED)
    assert window.total("AWS/ApiGateway", "5XXError", **API) == 0
    # 0 or 1 per request: SampleCount is the request count, so Average is the error rate.
    assert window.total("AWS/ApiGateway", "4XXError", "SampleCount", **API) == traffic.sent


def test_api_gateway_latencies_and_their_p95(traffic: Traffic) -> None:
    window = traffic.window
    window.wait_total(traffic.sent, "AWS/ApiGateway", "Latency", "SampleCount", **API)

    maxima = window.values("AWS/ApiGateway", "Latency", "Maximum", **API)
    p95s = window.values("AWS/ApiGateway", "Latency", "p95", **API)
    integration = window.values("AWS/ApiGateway", "IntegrationLatency", "Maximum", **API)
    assert window.total("AWS/ApiGateway", "IntegrationLatency", "SampleCount", **API) == traffic.sent
    assert p95s and all(0 < p <= m for p, m in zip(p95s, maxima, strict=True))
    assert max(integration) <= max(maxima)


def test_lambda_counts_invocations_not_handled_answers_as_errors(traffic: Traffic) -> None:
    window = traffic.window
    invocations = window.wait_total(traffic.sent, "AWS/Lambda", "Invocations", **ORDERS_HANDLER)

    # The malformed orders were answered 400 by the function itself: invocations, not errors.
    assert invocations == GOOD + len(MALFORMED)
    assert window.total("AWS/Lambda", "Errors", **ORDERS_HANDLER) == 0
    assert window.total("AWS/Lambda", "Errors", "SampleCount", **ORDERS_HANDLER) == invocations
    assert (
        window.wait_total(invocations, "AWS/Lambda", "Duration", "SampleCount", **ORDERS_HANDLER)
        == invocations
    )
    assert max(window.values("AWS/Lambda", "ConcurrentExecutions", "Maximum", **ORDERS_HANDLER)) >= 1
    assert window.total("AWS/Lambda", "Throttles", **ORDERS_HANDLER) == 0


def test_events_put_events_and_the_delivery_rule(traffic: Traffic) -> None:
    window = traffic.window
    matched = window.wait_total(GOOD, "AWS/Events", "MatchedEvents", **RULE)

    assert matched == GOOD
    assert window.total("AWS/Events", "TriggeredRules", **RULE) == GOOD
    assert window.wait_total(GOOD, "AWS/Events", "Invocations", **RULE) == GOOD
    assert window.values("AWS/Events", "FailedInvocations", **RULE) == []  # only published when non-zero
    # Account-wide, no dimensions: at least the chain's own PutEvents calls (one entry per good order).
    assert window.total("AWS/Events", "PutEventsEntriesCount") >= GOOD
    assert window.total("AWS/Events", "PutEventsApproximateCallCount") >= GOOD
    assert window.total("AWS/Events", "PutEventsFailedEntriesCount") == 0
    assert window.values("AWS/Events", "PutEventsLatency", "Average")


def test_dynamodb_latency_samples_one_per_successful_put_item(traffic: Traffic) -> None:
    window = traffic.window
    table = {"TableName": traffic.outputs["TableName"], "Operation": "PutItem"}
    samples = window.wait_total(GOOD, "AWS/DynamoDB", "SuccessfulRequestLatency", "SampleCount", **table)

    assert samples == GOOD
    assert window.values("AWS/DynamoDB", "ThrottledRequests", **table) == []
    assert window.values("AWS/DynamoDB", "SystemErrors", **table) == []


def test_sqs_counts_the_messages_the_rule_sent_to_the_delivery_queue(traffic: Traffic) -> None:
    queue = {"QueueName": traffic.outputs["DeliveryQueueName"]}
    sent = traffic.window.wait_total(GOOD, "AWS/SQS", "NumberOfMessagesSent", **queue)

    assert sent == GOOD
    assert traffic.window.wait_total(1, "AWS/SQS", "NumberOfMessagesReceived", **queue) >= 1


def test_sqs_samples_the_age_of_the_oldest_message(traffic: Traffic) -> None:
    """Sampled once a minute (AWS's granularity): read over the last two minutes."""
    queue = {"QueueName": traffic.outputs["DeliveryQueueName"]}
    since = MetricWindow(traffic.window.cloudwatch, traffic.window.start - timedelta(minutes=2))

    samples = wait_for_value(
        lambda: since.total("AWS/SQS", "ApproximateAgeOfOldestMessage", "SampleCount", **queue),
        lambda n: n > 0,
        timeout=75,
    )

    assert samples > 0
    assert min(since.values("AWS/SQS", "ApproximateAgeOfOldestMessage", "Minimum", **queue)) >= 0
