"""Where the plugin's own faults find an order's id and its markers: configuration, per fault and resource.

The plugin modules are loaded from ``plugins/localstack/src`` (no LocalStack import).
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from tests.unit.plugin_source import use_plugin_source

use_plugin_source()

from chainprobe_localstack.faults import managed  # noqa: E402
from chainprobe_localstack.faults.locations import (  # noqa: E402
    DEFAULT_LOCATION,
    LOCATED_FAULTS,
    FaultLocation,
    LocationError,
    resource_name,
)
from chainprobe_localstack.faults.registry import FaultError, FaultRegistry  # noqa: E402

from chainprobe.stacks.local import faults as client  # noqa: E402

CHECKOUT = {"orderIdPath": "pk", "orderIdPrefix": "ORDER#", "markerPath": "meta.faults"}


@pytest.fixture
def registry() -> FaultRegistry:
    return FaultRegistry(rng=random.Random(7), clock=lambda: 1_000.0)


def checkout_item(ref: str, faults: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": f"ORDER#{ref}"}, "customer": {"S": "c-9"}}
    if faults is not None:
        item["meta"] = {"M": {"faults": {"L": [{"S": f} for f in faults]}}}
    return item


def checkout_entry(ref: str, faults: list[str], bus: str = "checkout") -> dict[str, Any]:
    detail = {"order": {"ref": ref}, "meta": {"faults": faults}}
    return {"EventBusName": bus, "Source": "shop.checkout", "Detail": json.dumps(detail)}


# ------------------------------------------------------------------ reading one document


def test_the_plugin_and_the_harness_read_one_list_of_located_faults() -> None:
    assert LOCATED_FAULTS is client.LOCATED_FAULTS == ("dynamodb-throttle", "events-entry-failure")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (checkout_item("o-1"), "o-1"),
        ({"pk": {"S": "ORDER#"}}, None),  # the prefix alone names no order
        ({"pk": {"S": "CART#o-1"}}, None),  # another prefix: not an order id
        ({"pk": {"N": "1"}}, None),
        ({}, None),
    ],
)
def test_the_order_id_of_an_item_is_at_its_path_less_its_prefix(
    item: dict[str, Any], expected: str | None
) -> None:
    assert FaultLocation.from_dict(CHECKOUT).item_order_id(item) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (checkout_item("o-1", ["dynamodb-throttle", "x"]), ["dynamodb-throttle", "x"]),
        ({"meta": {"M": {"faults": {"SS": ["dynamodb-throttle"]}}}}, ["dynamodb-throttle"]),
        ({"meta": {"M": {"faults": {"S": "dynamodb-throttle"}}}}, []),
        ({"meta": {"L": [{"S": "dynamodb-throttle"}]}}, []),  # not a map: no step into it
        ({"chaos": {"L": [{"S": "dynamodb-throttle"}]}}, []),  # the default place is not looked at
    ],
)
def test_the_markers_of_an_item_are_at_its_nested_path(item: dict[str, Any], expected: list[str]) -> None:
    assert FaultLocation.from_dict(CHECKOUT).item_markers(item) == expected


def test_an_event_detail_is_read_as_plain_json() -> None:
    location = FaultLocation.from_dict({"orderIdPath": "order.ref", "markerPath": "meta.faults"})
    detail = {"order": {"ref": "o-7"}, "meta": {"faults": ["events-entry-failure", 3]}, "orderId": "o-x"}
    assert location.detail_order_id(detail) == "o-7"
    assert location.detail_markers(detail) == ["events-entry-failure"]
    assert location.detail_order_id({"order": "o-7"}) is None
    assert location.detail_markers({"meta": {"faults": "events-entry-failure"}}) == []


def test_the_default_location_is_the_reference_chains_contract() -> None:
    assert DEFAULT_LOCATION.to_dict() == {
        "orderIdPath": "orderId",
        "orderIdPrefix": "",
        "markerPath": "chaos",
    }
    assert FaultLocation.from_dict({}) == DEFAULT_LOCATION
    assert FaultLocation.from_dict({"markerPath": "meta.faults"}).order_id_path == ("orderId",)


@pytest.mark.parametrize(
    "raw",
    [
        {"orderIdPath": ""},
        {"orderIdPath": "a..b"},
        {"markerPath": ".chaos"},
        {"markerPath": 3},
        {"markerPath": "a b"},
        {"orderIdPrefix": 5},
        {"orderPath": "x"},
        "pk",
    ],
)
def test_a_malformed_location_is_refused(raw: object) -> None:
    with pytest.raises(LocationError):
        FaultLocation.from_dict(raw)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Orders", "Orders"),
        ("arn:aws:dynamodb:us-east-1:000000000000:table/Checkouts", "Checkouts"),
        ("arn:aws:events:us-east-1:000000000000:event-bus/checkout", "checkout"),
        ("", None),
        (None, None),
    ],
)
def test_a_resource_is_named_as_given_or_by_its_arn(given: object, expected: str | None) -> None:
    assert resource_name(given) == expected


# ------------------------------------------------------------------ the registry keeps them


def test_a_location_applies_to_its_own_resource_then_the_faults_default(registry: FaultRegistry) -> None:
    registry.locate({"fault": "dynamodb-throttle", "resource": "Checkouts", **CHECKOUT})
    assert registry.location("dynamodb-throttle", "Checkouts") == FaultLocation.from_dict(CHECKOUT)
    assert registry.location("dynamodb-throttle", "Orders") == DEFAULT_LOCATION
    assert registry.location("events-entry-failure", "Checkouts") == DEFAULT_LOCATION

    registry.locate({"fault": "dynamodb-throttle", "markerPath": "flags"})
    assert registry.location("dynamodb-throttle", "Orders").marker_path == ("flags",)
    assert registry.location("dynamodb-throttle", "Checkouts") == FaultLocation.from_dict(CHECKOUT)
    assert registry.locations() == [
        {"fault": "dynamodb-throttle", "resource": None, **DEFAULT_LOCATION.to_dict(), "markerPath": "flags"},
        {"fault": "dynamodb-throttle", "resource": "Checkouts", **CHECKOUT},
    ]

    registry.forget_locations()
    assert registry.locations() == []
    assert registry.location("dynamodb-throttle", "Checkouts") == DEFAULT_LOCATION


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"fault": "handler-500", "markerPath": "meta.faults"}, "chain's own code"),
        ({"fault": "nope", "markerPath": "meta.faults"}, "unknown fault"),
        ({"fault": "dynamodb-throttle", "resource": "", "markerPath": "x"}, "resource"),
        ({"fault": "dynamodb-throttle", "markerPath": "a..b"}, "markerPath"),
        (["dynamodb-throttle"], "expected"),
    ],
)
def test_the_registry_refuses_a_location_it_cannot_use(
    registry: FaultRegistry, raw: object, message: str
) -> None:
    with pytest.raises(FaultError, match=message):
        registry.locate(raw)
    assert registry.locations() == []


# ------------------------------------------------------------------ the managed faults use them


def test_a_throttle_on_a_chain_keyed_otherwise_names_the_order(registry: FaultRegistry) -> None:
    marked = {"TableName": "Checkouts", "Item": checkout_item("o-1", ["dynamodb-throttle"])}
    # Before the chain's location is known, its marker is not seen and nothing fires.
    assert managed.put_item_throttle(marked, registry=registry) is None

    registry.locate({"fault": "dynamodb-throttle", "resource": "Checkouts", **CHECKOUT})
    fired = managed.put_item_throttle(marked, registry=registry)
    assert fired is not None and (fired.order_id, fired.trigger) == ("o-1", "marker")

    registry.set("dynamodb-throttle", 1.0)
    table_arn = "arn:aws:dynamodb:us-east-1:000000000000:table/Checkouts"
    by_rate = managed.put_item_throttle(
        {"TableName": table_arn, "Item": checkout_item("o-2")}, registry=registry
    )
    assert by_rate is not None and (by_rate.order_id, by_rate.trigger) == ("o-2", "rate")
    # The reference chain's table still reads orderId and chaos.
    reference = {"TableName": "Orders", "Item": {"orderId": {"S": "o-3"}}}
    by_rate = managed.put_item_throttle(reference, registry=registry)
    assert by_rate is not None and by_rate.order_id == "o-3"


def test_an_entry_failure_on_a_chain_keyed_otherwise_names_the_order(registry: FaultRegistry) -> None:
    entry = checkout_entry("o-1", ["events-entry-failure"])
    assert managed.put_events_entry_failure(entry, registry=registry) is None

    registry.locate(
        {
            "fault": "events-entry-failure",
            "resource": "checkout",
            "orderIdPath": "order.ref",
            "markerPath": "meta.faults",
        }
    )
    fired = managed.put_events_entry_failure(entry, registry=registry)
    assert fired is not None and (fired.order_id, fired.trigger) == ("o-1", "marker")
    assert managed.put_events_entry_failure(checkout_entry("o-2", []), registry=registry) is None

    registry.set("events-entry-failure", 1.0)
    on_orders = managed.put_events_entry_failure(checkout_entry("o-4", [], bus="orders"), registry=registry)
    assert on_orders is not None and on_orders.order_id is None  # the orders bus reads orderId
    assert [e.order_id for e in registry.entries()] == ["o-1", None]
