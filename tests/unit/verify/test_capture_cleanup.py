"""What ``cleanup`` selects in a scope (all, one bus, one spec's rule), against moto's EventBridge and SQS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from moto import mock_aws

from chainprobe.stacks.clients import AwsClients
from chainprobe.verify.capture import CaptureRule
from chainprobe.verify.capture_cleanup import (
    CaptureRuleRef,
    CaptureScope,
    NoSuchBusError,
    find_capture_resources,
    remove_capture_resources,
)

PATTERN = {"source": ["orders.api"], "detail-type": ["OrderCreated"]}
OTHER_PATTERN = {"source": ["payments.api"], "detail-type": ["PaymentTaken"]}


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield AwsClients(region="us-east-1")


@pytest.fixture
def three_rules(clients: AwsClients) -> dict[str, CaptureRule]:
    """Two capture rules on bus ``orders`` (two patterns) and one on ``payments``."""
    events = clients.client("events")
    events.create_event_bus(Name="orders")
    events.create_event_bus(Name="payments")
    rules = {
        "orders": CaptureRule(clients, bus="orders", pattern=PATTERN),
        "orders-other": CaptureRule(clients, bus="orders", pattern=OTHER_PATTERN),
        "payments": CaptureRule(clients, bus="payments", pattern=PATTERN),
    }
    for rule in rules.values():
        rule.ensure()
    return rules


def names(rules: Iterable[CaptureRuleRef]) -> list[str]:
    return sorted(str(rule) for rule in rules)


def test_no_scope_selects_every_capture_resource(
    clients: AwsClients, three_rules: dict[str, CaptureRule]
) -> None:
    found = find_capture_resources(clients)

    assert names(found.rules) == sorted(f"{r.bus}/{r.name}" for r in three_rules.values())
    assert sorted(found.queues) == sorted(r.name for r in three_rules.values())


def test_a_bus_scope_selects_only_that_bus(clients: AwsClients, three_rules: dict[str, CaptureRule]) -> None:
    orders = [three_rules["orders"], three_rules["orders-other"]]

    found = find_capture_resources(clients, CaptureScope(bus="orders"))

    assert names(found.rules) == sorted(f"orders/{r.name}" for r in orders)
    assert sorted(found.queues) == sorted(r.name for r in orders)
    removed = remove_capture_resources(clients, found)
    assert sorted(removed.rules) == names(found.rules) and sorted(removed.queues) == sorted(found.queues)
    left = find_capture_resources(clients)
    assert names(left.rules) == [f"payments/{three_rules['payments'].name}"]
    assert left.queues == [three_rules["payments"].name]


def test_a_bus_scope_finds_a_queue_whose_rule_is_gone_by_its_bus_tag(
    clients: AwsClients, three_rules: dict[str, CaptureRule]
) -> None:
    orphan = three_rules["orders"]
    events = clients.client("events")
    events.remove_targets(Rule=orphan.name, EventBusName="orders", Ids=["capture-queue"])
    events.delete_rule(Name=orphan.name, EventBusName="orders")

    found = find_capture_resources(clients, CaptureScope(bus="orders"))

    assert orphan.name in found.queues
    assert three_rules["payments"].name not in found.queues


def test_a_bus_arn_scopes_like_its_name(clients: AwsClients, three_rules: dict[str, CaptureRule]) -> None:
    arn = clients.client("events").describe_event_bus(Name="payments")["Arn"]

    found = find_capture_resources(clients, CaptureScope(bus=arn))

    assert found.queues == [three_rules["payments"].name]
    assert names(found.rules) == [f"payments/{three_rules['payments'].name}"]


def test_a_spec_scope_selects_its_one_rule_and_queue(
    clients: AwsClients, three_rules: dict[str, CaptureRule]
) -> None:
    rule = three_rules["orders-other"]

    found = find_capture_resources(clients, CaptureScope(bus="orders", name=rule.name))

    assert names(found.rules) == [f"orders/{rule.name}"]
    assert found.queues == [rule.name]


def test_a_missing_bus_is_refused_and_nothing_is_selected(
    clients: AwsClients, three_rules: dict[str, CaptureRule]
) -> None:
    with pytest.raises(NoSuchBusError, match=r"^event bus nope does not exist at the target"):
        find_capture_resources(clients, CaptureScope(bus="nope"))
    assert len(find_capture_resources(clients).rules) == 3


def test_a_resource_removed_in_between_is_skipped(
    clients: AwsClients, three_rules: dict[str, CaptureRule]
) -> None:
    found = find_capture_resources(clients, CaptureScope(bus="payments"))
    remove_capture_resources(clients, found)  # another cleanup got there first

    removed = remove_capture_resources(clients, found)

    assert (removed.rules, removed.queues) == ([], [])


@pytest.mark.parametrize(
    ("scope", "described"),
    [
        (CaptureScope(), "every bus"),
        (CaptureScope(bus="orders"), "bus orders"),
        (
            CaptureScope(bus="orders", name="chainprobe-capture-orders-1"),
            "chainprobe-capture-orders-1 on bus orders",
        ),
    ],
)
def test_a_scope_says_what_it_covers(scope: CaptureScope, described: str) -> None:
    assert scope.describe() == described
