"""Every template of a spec rendered for a sample order: an undefined variable anywhere names its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from chainprobe.spec import InvalidValueError, UnknownVariableError, parse_spec
from chainprobe.spec.http_url import InvalidUrlError
from chainprobe.spec.sample import SAMPLE_TAG, render_sample

ORDERS = Path(__file__).resolve().parents[3] / "probes" / "orders.yaml"
ENDPOINTS = {"api_url": "http://127.0.0.1:4566/api", "courier_url": "http://127.0.0.1:8089"}

Change = Callable[[dict[str, Any]], None]


def variant(change: Change) -> Any:
    data = yaml.safe_load(ORDERS.read_text())
    change(data)
    return parse_spec(yaml.safe_dump(data), source="variant.yaml")


def test_the_reference_spec_renders_for_a_sample_order() -> None:
    sample = render_sample(variant(lambda d: None), ENDPOINTS, faults=("handler-500",))
    assert sample.request.url == "http://127.0.0.1:4566/api/orders"
    assert sample.request.body["orderId"] == SAMPLE_TAG.order_id
    assert sample.request.body["chaos"] == ["handler-500"]
    assert sample.table == "Orders"
    assert sample.key == {"orderId": SAMPLE_TAG.order_id}
    assert sample.bus == "orders"
    assert sample.courier_admin_url == "http://127.0.0.1:8089"


def _set(path: str, value: object) -> Change:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set("send.payload.customerId", "${customer}"), "send.payload.customerId"),
        (_set("send.headers.x-api-key", "${api_key}"), "send.headers.x-api-key"),
        (_set("send.endpoint", "${api_base}/orders"), "send.endpoint"),
        (_set("api.checks.1.equals", "${expected_id}"), "api.checks[1].equals"),
        (_set("dynamodb.table", "${orders_table}"), "dynamodb.table"),
        (_set("dynamodb.key.orderId", "${order_key}"), "dynamodb.key.orderId"),
        (_set("dynamodb.checks.1.equals", "${customer}"), "dynamodb.checks[1].equals"),
        (_set("event.bus", "${event_bus}"), "event.bus"),
        (_set("courier.admin_url", "${wiremock}"), "courier.admin_url"),
    ],
)
def test_an_undefined_variable_anywhere_names_its_field(change: Change, field: str) -> None:
    spec = variant(change)
    with pytest.raises(UnknownVariableError) as raised:
        render_sample(spec, ENDPOINTS)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: unknown variable")


@pytest.mark.parametrize(
    ("endpoints", "field"),
    [
        ({**ENDPOINTS, "api_url": "ftp://127.0.0.1/api"}, "send.endpoint"),
        ({**ENDPOINTS, "api_url": "not-a-url"}, "send.endpoint"),
        ({**ENDPOINTS, "courier_url": "http://[::1"}, "courier.admin_url"),
    ],
)
def test_rendered_urls_must_be_http(endpoints: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidUrlError) as raised:
        render_sample(variant(lambda d: None), endpoints)
    assert raised.value.field == field


@pytest.mark.parametrize("key", ["s3cret-key-value\n", "s3cret\r\nx-evil: 1", "s3cret\x00", "s3cret\x7f"])
def test_a_header_value_with_a_control_character_names_the_header_not_the_value(key: str) -> None:
    spec = variant(_set("send.headers.x-api-key", "${api_key}"))
    with pytest.raises(InvalidValueError) as raised:
        render_sample(spec, {**ENDPOINTS, "api_key": key})
    message = str(raised.value)
    assert raised.value.field == "send.headers.x-api-key"
    assert "s3cret" not in message
    assert "\n" not in message


def test_a_tab_inside_a_header_value_is_allowed() -> None:
    spec = variant(_set("send.headers.x-note", "a\tb"))
    assert render_sample(spec, ENDPOINTS).request.headers["x-note"] == "a\tb"
