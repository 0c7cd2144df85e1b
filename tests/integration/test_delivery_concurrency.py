"""The local SQS event source invokes DeliveryHandler concurrently, as AWS's does (issue 12, item 5).

LocalStack alone invokes one batch at a time whatever the mapping says; the plugin's
``ConcurrentSqsEsmWorker`` polls with as many threads as ``ScalingConfig.MaximumConcurrency`` allows
(or, unset, the function's and the account's concurrency). Measured on the courier's request journal:
each record's courier call is held 4 s by a stub, so calls of concurrent invocations overlap and calls
of one invocation never do.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import RunningStack
from tests.integration.delivery_mapping import restored_delivery_mapping

HOLD_MS = 4000  # under the handler's 5 s courier timeout
MESSAGES = 8
DEADLINE_S = 240.0
STUB_ID = "c0c0a000-0000-4000-8000-0000000e5c01"


def held_stub(prefix: str) -> dict[str, Any]:
    return {
        "id": STUB_ID,
        "priority": 2,
        "request": {
            "method": "POST",
            "urlPath": "/deliveries",
            "bodyPatterns": [{"matchesJsonPath": {"expression": "$.orderId", "matches": f"{prefix}.*"}}],
        },
        "response": {"status": 201, "fixedDelayMilliseconds": HOLD_MS, "jsonBody": {"deliveryId": "d-held"}},
    }


@pytest.fixture
def delivery_mapping(local_stack: RunningStack) -> Iterator[dict[str, Any]]:
    """The DeliveryHandler mapping, put back to the template's flow control after the test."""
    with restored_delivery_mapping(local_stack) as mapping:
        yield mapping


def send_orders(local_stack: RunningStack, queue_arn: str, prefix: str) -> set[str]:
    sqs = local_stack.clients.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
    ids = {f"{prefix}{n}" for n in range(MESSAGES)}
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": str(n), "MessageBody": json.dumps({"detail": {"orderId": oid, "customerId": "c-esm"}})}
            for n, oid in enumerate(sorted(ids))
        ],
    )
    return ids


def held_calls(courier_url: str, ids: set[str]) -> list[tuple[float, float]]:
    """(start, end) in seconds of each answered courier call for one of ``ids`` in the journal.

    WireMock journals a request when it arrives and adds its timing once answered.
    """
    events = httpx.get(f"{courier_url}/__admin/requests", timeout=10).json()["requests"]
    calls = []
    for event in events:
        request = event["request"]
        if request["url"] != "/deliveries" or json.loads(request["body"]).get("orderId") not in ids:
            continue
        if "totalTime" not in event.get("timing", {}):
            continue
        start = request["loggedDate"] / 1000
        calls.append((start, start + event["timing"]["totalTime"] / 1000))
    return calls


def max_in_flight(calls: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in calls] + [(end, -1) for _, end in calls])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def deliver_all(local_stack: RunningStack, mapping: dict[str, Any], scaling: dict[str, int]) -> int:
    """Sets the mapping's scaling (batch size 1), sends MESSAGES records, waits for all; peak in flight."""
    lam = local_stack.clients.client("lambda")
    lam.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=1, ScalingConfig=scaling)
    prefix = f"o-esm-{uuid.uuid4().hex[:8]}-"
    courier = local_stack.endpoints.courier_url
    httpx.post(f"{courier}/__admin/mappings/import", json={"mappings": [held_stub(prefix)]}, timeout=10)
    ids = send_orders(local_stack, mapping["EventSourceArn"], prefix)
    deadline = time.monotonic() + DEADLINE_S
    while len(calls := held_calls(courier, ids)) < MESSAGES:
        assert time.monotonic() < deadline, f"{len(calls)} of {MESSAGES} courier calls in {DEADLINE_S} s"
        time.sleep(1)
    return max_in_flight(calls)


@pytest.mark.usefixtures("quiet_delivery_queue")
def test_the_sqs_event_source_invokes_concurrently_up_to_its_maximum_concurrency(
    local_stack: RunningStack, delivery_mapping: dict[str, Any]
) -> None:
    try:
        bounded = deliver_all(local_stack, delivery_mapping, {"MaximumConcurrency": 2})
        unbounded = deliver_all(local_stack, delivery_mapping, {})
    finally:
        httpx.delete(f"{local_stack.endpoints.courier_url}/__admin/mappings/{STUB_ID}", timeout=10)
    print(f"courier calls in flight at most: MaximumConcurrency 2 -> {bounded}, unset -> {unbounded}")
    assert bounded <= 2
    # Unset, the mapping is bounded by the account's concurrency (at least 8 on the local stack):
    # LocalStack's own worker never has more than one call in flight.
    assert unbounded > 2
