"""The capture rule's names, and ``remove_capture_resources`` against moto's EventBridge and SQS."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chainprobe.stacks.clients import AwsClients
from chainprobe.verify.capture import (
    MANAGED_TAG,
    MAX_NAME,
    PREFIX,
    RELEASE_SECONDS,
    UNCLAIMED_HOLD_SECONDS,
    VISIBILITY_SECONDS,
    CapturedEvent,
    CaptureRule,
    resource_name,
)
from chainprobe.verify.capture_cleanup import remove_capture_resources

PATTERN = {
    "source": ["orders.api"],
    "detail-type": ["OrderCreated"],
    "detail": {"probe": {"runId": [{"exists": True}]}},
}
OTHER_PATTERN = {"source": ["payments.api"], "detail-type": ["PaymentTaken"]}


# -- names ----------------------------------------------------------------------------------------


def test_the_name_is_stable_for_one_bus_and_pattern() -> None:
    reordered = {"detail": PATTERN["detail"], "detail-type": ["OrderCreated"], "source": ["orders.api"]}
    name = resource_name("orders", PATTERN)
    assert name == resource_name("orders", PATTERN) == resource_name("orders", reordered)
    assert name.startswith(f"{PREFIX}orders-")


def test_the_name_is_scoped_per_bus_and_per_pattern() -> None:
    names = {
        resource_name("orders", PATTERN),
        resource_name("orders", OTHER_PATTERN),
        resource_name("payments", PATTERN),
        resource_name("payments", OTHER_PATTERN),
    }
    assert len(names) == 4


def test_a_bus_arn_names_like_its_bus() -> None:
    arn = "arn:aws:events:eu-west-1:123456789012:event-bus/orders"
    assert resource_name(arn, PATTERN) == resource_name("orders", PATTERN)


@pytest.mark.parametrize("bus", ["orders", "my.bus/with:odd chars", "b" * 34, "b" * 35, "x" * 256])
def test_names_are_valid_rule_and_queue_names(bus: str) -> None:
    name = resource_name(bus, PATTERN)
    assert len(name) <= MAX_NAME
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in name)


def test_long_bus_names_that_share_a_prefix_do_not_collide() -> None:
    first, second = "orders-" + "a" * 40 + "-eu", "orders-" + "a" * 40 + "-us"
    assert resource_name(first, PATTERN) != resource_name(second, PATTERN)


# -- creation and removal (moto) ------------------------------------------------------------------


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield AwsClients(region="us-east-1")


def queue_names(clients: AwsClients) -> set[str]:
    urls = clients.client("sqs").list_queues().get("QueueUrls", [])
    return {url.rsplit("/", 1)[-1] for url in urls}


def rule_names(clients: AwsClients, bus: str) -> set[str]:
    return {rule["Name"] for rule in clients.client("events").list_rules(EventBusName=bus)["Rules"]}


def test_ensure_on_a_bus_that_does_not_exist_creates_nothing(clients: AwsClients) -> None:
    rule = CaptureRule(clients, bus="no-such-bus", pattern=PATTERN)

    with pytest.raises(ClientError) as raised:
        rule.ensure()

    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert queue_names(clients) == set()
    assert rule.queue_url is None


def test_ensure_creates_a_tagged_rule_and_queue_once(clients: AwsClients) -> None:
    clients.client("events").create_event_bus(Name="orders")
    rule = CaptureRule(clients, bus="orders", pattern=PATTERN)

    rule.ensure()
    rule.ensure()  # idempotent: reused, not duplicated

    assert rule_names(clients, "orders") == {rule.name}
    assert queue_names(clients) == {rule.name}
    events = clients.client("events")
    described = events.describe_rule(Name=rule.name, EventBusName="orders")
    assert json.loads(described["EventPattern"]) == PATTERN
    tags = events.list_tags_for_resource(ResourceARN=described["Arn"])["Tags"]
    assert {"Key": MANAGED_TAG, "Value": "true"} in tags
    targets = events.list_targets_by_rule(Rule=rule.name, EventBusName="orders")["Targets"]
    assert len(targets) == 1 and targets[0]["Arn"].endswith(f":{rule.name}")
    assert rule.queue_url is not None
    queue_tags = clients.client("sqs").list_queue_tags(QueueUrl=rule.queue_url)["Tags"]
    assert queue_tags[MANAGED_TAG] == "true"


def test_removal_takes_only_tagged_resources_with_the_prefix(clients: AwsClients) -> None:
    events, sqs = clients.client("events"), clients.client("sqs")
    events.create_event_bus(Name="orders")
    ours = [
        CaptureRule(clients, bus="orders", pattern=PATTERN),
        CaptureRule(clients, bus="orders", pattern=OTHER_PATTERN),
        CaptureRule(clients, bus="default", pattern=PATTERN),
    ]
    for rule in ours:
        rule.ensure()
    # The chain's own rule and queue, and look-alikes the harness did not create.
    events.put_rule(Name="OrderCreatedToDelivery", EventBusName="orders", EventPattern=json.dumps(PATTERN))
    untagged_rule = f"{PREFIX}handmade"
    events.put_rule(Name=untagged_rule, EventBusName="orders", EventPattern=json.dumps(PATTERN))
    foreign_tag = f"{PREFIX}someone-elses"
    events.put_rule(
        Name=foreign_tag,
        EventBusName="orders",
        EventPattern=json.dumps(PATTERN),
        Tags=[{"Key": MANAGED_TAG, "Value": "false"}],
    )
    sqs.create_queue(QueueName="DeliveryQueue")
    sqs.create_queue(QueueName=f"{PREFIX}handmade")
    sqs.create_queue(QueueName="not-a-capture-queue", tags={MANAGED_TAG: "true"})

    removed = remove_capture_resources(clients)

    assert sorted(removed.rules) == sorted(f"{rule.bus}/{rule.name}" for rule in ours)
    assert sorted(removed.queues) == sorted({rule.name for rule in ours})
    assert rule_names(clients, "orders") == {"OrderCreatedToDelivery", untagged_rule, foreign_tag}
    assert rule_names(clients, "default") == set()
    assert queue_names(clients) == {"DeliveryQueue", f"{PREFIX}handmade", "not-a-capture-queue"}


def test_removal_with_nothing_to_remove(clients: AwsClients) -> None:
    removed = remove_capture_resources(clients)
    assert (removed.rules, removed.queues) == ([], [])


def filled_queue(clients: AwsClients, count: int) -> CaptureRule:
    clients.client("events").create_event_bus(Name="orders")
    rule = CaptureRule(clients, bus="orders", pattern=PATTERN)
    rule.ensure()
    assert rule.queue_url is not None
    sqs = clients.client("sqs")
    for seq in range(count):
        body = {"detail-type": "OrderCreated", "detail": {"orderId": f"o-{seq}"}}
        sqs.send_message(QueueUrl=rule.queue_url, MessageBody=json.dumps(body))
    return rule


def order_ids(events: list[CapturedEvent]) -> list[str]:
    return sorted(event.event["detail"]["orderId"] for event in events)


def test_received_events_come_with_their_delivery_time_and_consumed_ones_are_gone(
    clients: AwsClients,
) -> None:
    rule = filled_queue(clients, 12)

    received = []
    for batch in rule.receive(wait_seconds=0):
        received += batch
        rule.settle(consumed=batch, released=[])

    assert order_ids(received) == sorted(f"o-{i}" for i in range(12))
    assert len({event.message_id for event in received}) == 12
    assert all(event.delivered_at > 1e9 for event in received)
    assert list(rule.receive(wait_seconds=0)) == []


def test_released_events_come_back_soon_for_another_reader(clients: AwsClients) -> None:
    rule = filled_queue(clients, 4)
    [batch] = rule.receive(wait_seconds=0)
    mine, theirs = batch[:1], batch[1:]
    rule.settle(consumed=mine, released=theirs)

    time.sleep(RELEASE_SECONDS + 0.2)
    other_reader = CaptureRule(clients, bus="orders", pattern=PATTERN)
    other_reader.ensure()
    again = [event for batch in other_reader.receive(wait_seconds=0) for event in batch]

    assert order_ids(again) == order_ids(theirs)
    assert RELEASE_SECONDS < VISIBILITY_SECONDS


def test_a_drain_ends_when_only_released_events_come_back(clients: AwsClients) -> None:
    rule = filled_queue(clients, 10)
    batches = 0
    for batch in rule.receive(wait_seconds=0, max_batches=50):
        batches += 1
        rule.settle(consumed=[], released=batch)
        time.sleep(RELEASE_SECONDS + 0.1)  # visible again before the next receive

    assert batches == 2  # the full batch, then the same ten again: the drain stops there
    assert rule.emptied  # nothing unseen was visible: only what this drain released came back


def drain(rule: CaptureRule, max_batches: int) -> int:
    """Receives and consumes up to ``max_batches`` batches; how many events came."""
    count = 0
    for batch in rule.receive(wait_seconds=0, max_batches=max_batches):
        count += len(batch)
        rule.settle(consumed=batch, released=[])
    return count


def test_only_a_drain_that_ran_out_of_messages_emptied_the_queue(clients: AwsClients) -> None:
    rule = filled_queue(clients, 25)
    assert rule.queue_url is not None

    assert (drain(rule, max_batches=3), rule.emptied) == (25, True)  # ended by a short batch
    for seq in range(20):
        clients.client("sqs").send_message(QueueUrl=rule.queue_url, MessageBody=json.dumps({"n": seq}))
    assert (drain(rule, max_batches=2), rule.emptied) == (20, False)  # stopped by the cap: maybe more
    assert (drain(rule, max_batches=2), rule.emptied) == (0, True)  # an empty receive


def test_an_event_is_unclaimed_too_long_only_after_the_hold() -> None:
    event = CapturedEvent(event={}, delivered_at=1000.0, message_id="m")
    assert not event.unclaimed_too_long(1000.0 + UNCLAIMED_HOLD_SECONDS)
    assert event.unclaimed_too_long(1000.0 + UNCLAIMED_HOLD_SECONDS + 1)


def test_a_body_that_is_not_json_is_received_as_an_empty_event(clients: AwsClients) -> None:
    rule = filled_queue(clients, 0)
    assert rule.queue_url is not None
    clients.client("sqs").send_message(QueueUrl=rule.queue_url, MessageBody="not json")
    [[event]] = list(rule.receive(wait_seconds=0))
    assert event.event == {}
