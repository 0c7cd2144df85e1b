"""The plugin's fault registry and managed-service fault decisions, without LocalStack.

``chainprobe_localstack.faults.registry`` and ``.managed`` import nothing from LocalStack, so they
are loaded here straight from ``plugins/localstack/src``.
"""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.unit.plugin_source import use_plugin_source

use_plugin_source()

from chainprobe_localstack.faults import managed  # noqa: E402
from chainprobe_localstack.faults.registry import (  # noqa: E402
    FAULT_NAMES,
    FaultError,
    FaultRegistry,
    FiredFault,
    parse_since,
)

from chainprobe.stacks.local import fault_names, tools  # noqa: E402
from chainprobe.stacks.local import faults as client  # noqa: E402

CHAIN = Path(__file__).resolve().parents[3] / "chain" / "functions"


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(clock: Clock) -> FaultRegistry:
    return FaultRegistry(rng=random.Random(7), clock=clock)


# ------------------------------------------------------------------ the names are the contract


def test_the_harness_and_the_plugin_read_one_copy_of_the_fault_names() -> None:
    assert client.FAULT_NAMES is FAULT_NAMES is fault_names.FAULT_NAMES
    assert len(set(FAULT_NAMES)) == 10
    # Installed, the plugin gets that copy under _vendor (the harness's module, file for file).
    assert tools.vendored_sources()["fault_names"] == Path(fault_names.__file__)


def test_the_plugin_and_the_harness_refuse_a_bad_rate_in_the_same_words() -> None:
    with pytest.raises(FaultError) as plugin:
        FaultRegistry().set("handler-500", 1.5)
    with pytest.raises(client.FaultUsageError) as harness:
        client.check_rate(1.5)
    assert str(plugin.value) == str(harness.value) == "rate must be between 0 and 1, got 1.5"


def test_every_fault_the_chain_fires_is_a_contract_name() -> None:
    orders = (CHAIN / "orders" / "app.py").read_text()
    delivery = (CHAIN / "delivery" / "app.py").read_text()
    for name in ("lambda-exception", "handler-500", "malformed-response", "handler-latency"):
        assert f'"{name}"' in orders
    for name in ("courier-5xx", "courier-slow", "courier-reset", "courier-429"):
        assert f'"{name}"' in delivery
        assert (CHAIN.parents[1] / "stubs" / "mappings" / f"{name}.json").exists()


# ------------------------------------------------------------------ the active set


def test_set_list_and_clear(registry: FaultRegistry) -> None:
    registry.set("handler-500", 0.5)
    registry.set("courier-5xx")
    assert registry.document() == {"faults": {"handler-500": {"rate": 0.5}, "courier-5xx": {"rate": 1.0}}}

    registry.clear("courier-5xx")
    registry.clear("courier-429")  # not active: fine
    assert registry.active() == {"handler-500": 0.5}

    registry.clear()
    assert registry.document() == {"faults": {}}


@pytest.mark.parametrize("name", ["handler-5000", "", "log", None, 3])
def test_an_unknown_name_is_refused(registry: FaultRegistry, name: Any) -> None:
    with pytest.raises(FaultError, match=r"unknown fault .*known faults: dynamodb-throttle"):
        registry.set(name, 0.5)
    if name is not None:  # clear(None) clears everything
        with pytest.raises(FaultError, match="unknown fault"):
            registry.clear(name)
    assert registry.active() == {}


@pytest.mark.parametrize("rate", [-0.1, 1.01, float("nan"), float("inf"), "0.5", True, None])
def test_a_rate_outside_0_1_is_refused(registry: FaultRegistry, rate: Any) -> None:
    with pytest.raises(FaultError, match="rate must be"):
        registry.set("handler-500", rate)
    assert registry.active() == {}


@pytest.mark.parametrize("rate", [0, 0.0, 1, 0.25])
def test_rates_at_and_within_the_bounds_are_accepted(registry: FaultRegistry, rate: float) -> None:
    registry.set("handler-500", rate)
    assert registry.active() == {"handler-500": float(rate)}


def test_replace_is_all_or_nothing(registry: FaultRegistry) -> None:
    registry.set("handler-500", 0.5)

    with pytest.raises(FaultError, match="unknown fault 'nope'"):
        registry.replace({"faults": {"courier-5xx": {"rate": 1}, "nope": {"rate": 1}}})
    assert registry.active() == {"handler-500": 0.5}

    registry.replace({"faults": {"courier-5xx": {"rate": 0.2}, "dynamodb-throttle": {}}})
    assert registry.active() == {"courier-5xx": 0.2, "dynamodb-throttle": 1.0}

    for bad in ({}, {"faults": []}, {"faults": {"courier-5xx": 0.5}}, [], None):
        with pytest.raises(FaultError):
            registry.replace(bad)


def test_a_marker_always_fires_and_a_rate_fires_about_that_often(registry: FaultRegistry) -> None:
    assert registry.fires("handler-500", ["handler-500"]) == "marker"
    assert registry.fires("handler-500", ["courier-5xx"]) is None

    registry.set("handler-500", 0.3)
    draws = [registry.fires("handler-500") for _ in range(10_000)]
    assert set(draws) == {"rate", None}
    assert 0.27 < draws.count("rate") / len(draws) < 0.33
    assert registry.fires("handler-500", ["handler-500"]) == "marker"

    registry.set("handler-500", 1)
    assert all(registry.fires("handler-500") == "rate" for _ in range(1000))
    registry.set("handler-500", 0)
    assert not any(registry.fires("handler-500") for _ in range(1000))


# ------------------------------------------------------------------ the log


def test_record_and_read_the_log(registry: FaultRegistry, clock: Clock) -> None:
    registry.record("dynamodb-throttle", order_id="o-1", trigger="marker", detail={"tableName": "Orders"})
    clock.now = 1_005.0
    registry.record("events-entry-failure", order_id=None, trigger="rate")

    assert [e.to_dict() for e in registry.entries()] == [
        {
            "fault": "dynamodb-throttle",
            "orderId": "o-1",
            "trigger": "marker",
            "at": 1_000.0,
            "detail": {"tableName": "Orders"},
        },
        {"fault": "events-entry-failure", "orderId": None, "trigger": "rate", "at": 1_005.0, "detail": {}},
    ]
    assert [e.order_id for e in registry.entries(since=1_001)] == [None]
    assert registry.entries(since=2_000) == []


def test_append_validates_what_a_handler_posts(registry: FaultRegistry) -> None:
    entry = registry.append(
        {"fault": "handler-500", "orderId": "o-1", "trigger": "rate", "at": 990.5, "detail": {"x": 1}}
    )
    assert entry == FiredFault("handler-500", "o-1", "rate", 990.5, {"x": 1})
    assert registry.append({"fault": "courier-429", "orderId": "o-2", "trigger": "marker"}).at == 1_000.0

    bad_entries: list[tuple[Any, str]] = [
        ({"fault": "nope", "orderId": "o", "trigger": "marker"}, "unknown fault"),
        ({"fault": "handler-500", "orderId": 7, "trigger": "marker"}, "orderId"),
        ({"fault": "handler-500", "orderId": "o", "trigger": "sometimes"}, "trigger"),
        ({"fault": "handler-500", "orderId": "o", "trigger": "rate", "at": "now"}, "at must be"),
        ({"fault": "handler-500", "orderId": "o", "trigger": "rate", "detail": [1]}, "detail"),
        ({"fault": "handler-500", "orderId": "o", "trigger": "rate", "extra": 1}, "unknown field"),
        (["handler-500"], "JSON object"),
    ]
    for bad, message in bad_entries:
        with pytest.raises(FaultError, match=message):
            registry.append(bad)
    assert len(registry.entries()) == 2


def test_drain_takes_exactly_what_it_returns(registry: FaultRegistry, clock: Clock) -> None:
    for at, order_id in ((1.0, "o-1"), (2.0, "o-2"), (3.0, "o-3")):
        clock.now = at
        registry.record("handler-500", order_id=order_id, trigger="marker")

    assert [e.order_id for e in registry.drain(since=2.0)] == ["o-2", "o-3"]
    assert [e.order_id for e in registry.entries()] == ["o-1"]
    assert [e.order_id for e in registry.drain()] == ["o-1"]
    assert registry.entries() == []


def test_a_full_log_drops_the_oldest_and_counts_them(clock: Clock) -> None:
    registry = FaultRegistry(clock=clock, max_log_entries=3)
    for n in range(5):
        registry.record("handler-500", order_id=f"o-{n}", trigger="rate")

    assert [e.order_id for e in registry.entries()] == ["o-2", "o-3", "o-4"]
    assert registry.dropped == 2


def test_concurrent_appends_are_all_kept(registry: FaultRegistry) -> None:
    def append_many(worker: int) -> None:
        for n in range(500):
            registry.append({"fault": "courier-5xx", "orderId": f"o-{worker}-{n}", "trigger": "rate"})

    threads = [threading.Thread(target=append_many, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({e.order_id for e in registry.entries()}) == 4_000


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("", None), ("12.5", 12.5), ("7", 7.0)])
def test_parse_since(raw: str | None, expected: float | None) -> None:
    assert parse_since(raw) == expected


@pytest.mark.parametrize("raw", ["yesterday", "nan", "inf"])
def test_parse_since_refuses_what_is_not_epoch_seconds(raw: str) -> None:
    with pytest.raises(FaultError, match="since"):
        parse_since(raw)


# ------------------------------------------------------------------ managed-service faults


def put_item(order_id: str, chaos: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"orderId": {"S": order_id}, "customerId": {"S": "c-1"}}
    if chaos is not None:
        item["chaos"] = {"L": [{"S": c} for c in chaos]}
    return {"TableName": "Orders", "Item": item}


def test_a_marked_put_item_is_throttled_and_logged_once_per_call(registry: FaultRegistry) -> None:
    marked = put_item("o-1", ["courier-5xx", "dynamodb-throttle"])

    for _ in range(3):  # botocore's three attempts
        assert managed.put_item_throttle(marked, registry=registry) is not None
    assert managed.put_item_throttle(put_item("o-2"), registry=registry) is None
    assert managed.put_item_throttle(put_item("o-3", ["handler-500"]), registry=registry) is None

    assert [(e.fault, e.order_id, e.trigger) for e in registry.entries()] == [
        ("dynamodb-throttle", "o-1", "marker")
    ] * 3
    assert registry.entries()[0].detail == {
        "service": "dynamodb",
        "operation": "PutItem",
        "tableName": "Orders",
    }


def test_put_item_throttles_by_rate_and_reads_string_sets(registry: FaultRegistry) -> None:
    registry.set("dynamodb-throttle", 1.0)
    fired = managed.put_item_throttle({"TableName": "T", "Item": {"pk": {"N": "1"}}}, registry=registry)
    assert fired is not None and (fired.order_id, fired.trigger) == (None, "rate")

    assert managed.item_markers({"chaos": {"SS": ["dynamodb-throttle"]}}) == ["dynamodb-throttle"]
    assert managed.item_markers({"chaos": {"S": "dynamodb-throttle"}}) == []
    assert managed.item_markers({}) == []


def put_events_entry(order_id: str, chaos: list[str] | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"orderId": order_id}
    if chaos is not None:
        detail["chaos"] = chaos
    return {
        "Source": "orders.api",
        "DetailType": "OrderCreated",
        "EventBusName": "orders",
        "Detail": json.dumps(detail),
    }


def test_a_marked_put_events_entry_fails_and_is_logged(registry: FaultRegistry) -> None:
    assert managed.put_events_entry_failure(put_events_entry("o-1"), registry=registry) is None
    fired = managed.put_events_entry_failure(
        put_events_entry("o-2", ["events-entry-failure"]), registry=registry
    )

    assert fired is not None
    assert (fired.fault, fired.order_id, fired.trigger) == ("events-entry-failure", "o-2", "marker")
    assert fired.detail["eventBusName"] == "orders"
    assert managed.failed_entry() == {
        "ErrorCode": "InternalFailure",
        "ErrorMessage": "Injected fault: events-entry-failure",
    }
    assert len(registry.entries()) == 1


def test_put_events_entries_fail_by_rate_even_without_a_json_detail(registry: FaultRegistry) -> None:
    registry.set("events-entry-failure", 1.0)
    fired = managed.put_events_entry_failure({"Detail": "not json"}, registry=registry)
    assert fired is not None and (fired.order_id, fired.trigger) == (None, "rate")
