"""Tagged order requests built from the reference spec; endpoint variables; durations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from chainprobe.spec import (
    ProbeTag,
    UnknownVariableError,
    build_order_request,
    endpoint_variables,
    format_duration,
    load_spec,
    order_variables,
    parse_duration,
)

ORDERS = Path(__file__).resolve().parents[3] / "probes" / "orders.yaml"


def test_order_request_carries_order_id_and_tag_in_body_and_header() -> None:
    spec = load_spec(ORDERS)
    tag = ProbeTag(run_id="r-1", seq=7, order_id="o-r-1-7")
    request = build_order_request(spec.send, {"api_url": "http://api.test/local"}, tag)
    assert request.method == "POST"
    assert request.url == "http://api.test/local/orders"
    assert request.headers == {
        "content-type": "application/json",
        "x-chainprobe-run": "runId=r-1;seq=7;orderId=o-r-1-7",
    }
    assert request.body == {
        "customerId": "c-1",
        "items": [{"sku": "w-1", "quantity": 2}],
        "amount": 25.0,
        "orderId": "o-r-1-7",
        "probe": {"runId": "r-1", "seq": 7},
    }


def test_requests_do_not_share_state() -> None:
    spec = load_spec(ORDERS)
    first = build_order_request(spec.send, {"api_url": "u"}, ProbeTag("r", 0, "o-0"))
    first.body["items"][0]["sku"] = "changed"  # type: ignore[index]
    second = build_order_request(spec.send, {"api_url": "u"}, ProbeTag("r", 1, "o-1"))
    assert second.body["items"] == [{"sku": "w-1", "quantity": 2}]
    assert spec.send.payload["items"] == [{"sku": "w-1", "quantity": 2}]


def test_missing_endpoint_value_is_one_clear_line() -> None:
    spec = load_spec(ORDERS)
    with pytest.raises(UnknownVariableError, match=r"^send\.endpoint: unknown variable \$\{api_url\}"):
        build_order_request(spec.send, {}, ProbeTag("r", 0, "o"))


def test_tag_header_round_trip_and_rejects() -> None:
    tag = ProbeTag(run_id="r-20250101t000000-abc123", seq=12, order_id="o-x")
    assert ProbeTag.parse_header(tag.header_value()) == tag
    with pytest.raises(ValueError, match="not a probe tag header"):
        ProbeTag.parse_header("runId=r;seq=x;orderId=o")


def test_endpoint_variables_environment_wins_over_status() -> None:
    status = {
        "api_url": "http://local",
        "region": "us-east-1",
        "healthy": True,
        "nested": {"a": 1},
        "port": 4566,
    }
    environ = {
        "CHAINPROBE_API_URL": "https://prod",
        "CHAINPROBE_API_KEY": "k",
        "HOME": "/root",
        "CHAINPROBE_": "x",
    }
    assert endpoint_variables(status, environ=environ) == {
        "api_url": "https://prod",
        "region": "us-east-1",
        "port": 4566,
        "api_key": "k",
    }


def test_order_variables_win_over_endpoints() -> None:
    values = order_variables({"seq": "env", "api_url": "u"}, run_id="r", seq=3, order_id="o")
    assert values == {"api_url": "u", "seq": 3, "run_id": "r", "order_id": "o"}


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("30d", timedelta(days=30)),
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("90s", timedelta(seconds=90)),
    ],
)
def test_durations(text: str, duration: timedelta) -> None:
    assert parse_duration(text) == duration
    assert parse_duration(format_duration(duration)) == duration


@pytest.mark.parametrize("text", ["", "30", "0d", "1h30m", "-1d", "2y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_format_duration_picks_the_largest_unit() -> None:
    assert [format_duration(timedelta(hours=h)) for h in (72, 6, 1)] == ["3d", "6h", "1h"]
    assert format_duration(timedelta(minutes=30)) == "30m"
    assert format_duration(timedelta(days=14)) == "2w"
