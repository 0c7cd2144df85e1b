"""DeliveryHandler (chain/functions/delivery/app.py) against a local scripted courier."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import FakeLambdaContext, LoadedHandler, ScriptedServer, json_reply


@pytest.fixture
def delivery(
    load_handler: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> Callable[..., LoadedHandler]:
    """Load DeliveryHandler pointed at the scripted courier; retries wait (almost) nothing."""

    def load(**env: str) -> LoadedHandler:
        base = {
            "COURIER_URL": http_server.url,
            "FAULT_CONFIG_URL": "",
            "POWERTOOLS_SERVICE_NAME": "delivery",
            "LOG_LEVEL": "INFO",
            "MAX_ATTEMPTS": "3",
            "RETRY_MIN_WAIT_S": "0",
            "RETRY_MAX_WAIT_S": "0.01",
            "COURIER_TIMEOUT_S": "2",
        }
        return load_handler("delivery", **{**base, **env})

    return load


def an_order(order_id: str = "o-1", **extra: Any) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "customerId": "c-1",
        "items": [{"sku": "w-1", "quantity": 2}],
        "amount": 25.0,
        "createdAt": "2026-11-22T10:00:00.000Z",
        **extra,
    }


def sqs_record(body: dict[str, Any] | str) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:DeliveryQueue",
        "awsRegion": "us-east-1",
    }


def order_created(order: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event as the rule's SQS target receives it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "OrderCreated",
        "source": "orders.api",
        "account": "123456789012",
        "time": "2026-11-22T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": order,
    }


def run(
    handler: LoadedHandler, *records: dict[str, Any], remaining_ms: int = 60_000
) -> tuple[list[str], list[str]]:
    """Invoke with an SQS batch; (all message ids, failed message ids)."""
    answer = handler.module.handler(
        {"Records": list(records)},
        FakeLambdaContext(function_name="DeliveryHandler", remaining_ms=remaining_ms),
    )
    failed = [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]
    return [record["messageId"] for record in records], failed


def status_lines(handler: LoadedHandler, status: str) -> list[dict[str, Any]]:
    return [line for line in handler.log_lines() if line.get("status") == status]


def test_delivered_on_first_attempt(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    handler = delivery()
    order = an_order(probe={"runId": "r-1", "seq": 3}, chaos=["events-entry-failure"])

    _, failed = run(handler, sqs_record(order_created(order)))

    assert failed == []
    [request] = http_server.received
    assert request.path == "/deliveries"
    assert request.body == {
        "orderId": "o-1",
        "customerId": "c-1",
        "items": [{"sku": "w-1", "quantity": 2}],
        "probe": {"runId": "r-1", "seq": 3},
        "chaos": ["events-entry-failure"],
    }
    assert handler.statuses() == ["START", "COMPLETED"]
    [completed] = status_lines(handler, "COMPLETED")
    assert (completed["attempts"], completed["correlation_id"], completed["service"]) == (
        1,
        "o-1",
        "delivery",
    )
    assert handler.faults() == []


def test_payload_omits_absent_probe_and_chaos(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    run(delivery(), sqs_record(order_created(an_order())))

    assert http_server.received[0].body == {
        "orderId": "o-1",
        "customerId": "c-1",
        "items": [{"sku": "w-1", "quantity": 2}],
    }


def test_429_and_5xx_are_retried_until_delivered(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.script = [503, json_reply(429, {}, {"Retry-After": "0"}), 201]
    handler = delivery()

    _, failed = run(handler, sqs_record(order_created(an_order())))

    assert failed == []
    assert len(http_server.received) == 3
    assert handler.statuses() == ["START", "RETRYING", "RETRYING", "COMPLETED"]
    assert status_lines(handler, "COMPLETED")[0]["attempts"] == 3


def test_4xx_is_not_retried_and_fails_the_record(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.script = [400, 201]
    handler = delivery()

    ids, failed = run(handler, sqs_record(order_created(an_order())))

    assert failed == ids
    assert len(http_server.received) == 1
    [line] = status_lines(handler, "FAILED")
    assert line["attempts"] == 1
    assert "HTTP 400" in line["reason"]


def test_exhausted_attempts_fail_the_record(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.default = 503
    handler = delivery()

    ids, failed = run(handler, sqs_record(order_created(an_order())))

    assert failed == ids
    assert len(http_server.received) == 3
    assert handler.statuses() == ["START", "RETRYING", "RETRYING", "FAILED"]
    [line] = status_lines(handler, "FAILED")
    assert (line["attempts"], line["correlation_id"]) == (3, "o-1")
    assert "attempts exhausted" in line["reason"]


def test_connection_errors_are_retried(delivery: Callable[..., LoadedHandler], closed_port_url: str) -> None:
    handler = delivery(COURIER_URL=closed_port_url)

    ids, failed = run(handler, sqs_record(order_created(an_order())))

    assert failed == ids
    assert status_lines(handler, "FAILED")[0]["attempts"] == 3
    assert "Connection" in status_lines(handler, "RETRYING")[0]["reason"]


def test_a_slow_courier_times_out_and_is_retried(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.script = [("sleep", 1.0)]
    handler = delivery(COURIER_TIMEOUT_S="0.2")

    _, failed = run(handler, sqs_record(order_created(an_order())))

    assert failed == []
    assert len(http_server.received) == 2
    assert "timed out" in status_lines(handler, "RETRYING")[0]["reason"]


def test_only_the_failing_record_is_reported(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.default = lambda path, body: (
        (503, {}, b"") if body["orderId"] == "o-bad" else (201, {}, b"{}")
    )
    handler = delivery()
    good, bad = sqs_record(order_created(an_order("o-good"))), sqs_record(order_created(an_order("o-bad")))

    _, failed = run(handler, good, bad)

    assert failed == [bad["messageId"]]
    completed = status_lines(handler, "COMPLETED")
    assert [line["correlation_id"] for line in completed] == ["o-good"]


@pytest.mark.parametrize("body", ["not json", json.dumps({"detail": {"customerId": "c-1"}}), json.dumps([1])])
def test_a_malformed_message_fails_its_record(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer, body: str
) -> None:
    handler = delivery()
    ids, failed = run(handler, sqs_record(body))

    assert failed == ids
    assert http_server.received == []
    assert handler.statuses() == ["FAILED"]


def test_retry_waits_are_jittered_between_3_and_8_seconds(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_server.script = [503, json_reply(429, {}, {"Retry-After": "1"}), 201]
    handler = delivery(RETRY_MIN_WAIT_S="3", RETRY_MAX_WAIT_S="8")
    waits: list[float] = []
    monkeypatch.setattr(handler.module, "_sleep", waits.append)

    _, failed = run(handler, sqs_record(order_created(an_order())))

    assert failed == []
    assert len(waits) == 2
    assert all(3 <= wait <= 8 for wait in waits)


def test_a_long_retry_after_is_honoured_up_to_the_maximum_wait(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_server.script = [json_reply(429, {}, {"Retry-After": "30"}), 201]
    handler = delivery(RETRY_MIN_WAIT_S="3", RETRY_MAX_WAIT_S="8")
    waits: list[float] = []
    monkeypatch.setattr(handler.module, "_sleep", waits.append)

    run(handler, sqs_record(order_created(an_order())))

    assert waits == [8.0]


def test_the_default_retry_budget_fits_the_function_timeout(delivery: Callable[..., LoadedHandler]) -> None:
    module = delivery(RETRY_MIN_WAIT_S="3", RETRY_MAX_WAIT_S="8", COURIER_TIMEOUT_S="5").module
    worst_case_s = (
        module.MAX_ATTEMPTS * module.COURIER_TIMEOUT_S + (module.MAX_ATTEMPTS - 1) * module.RETRY_MAX_WAIT_S
    )

    assert worst_case_s == 31
    assert worst_case_s < 60 - module.SAFETY_MARGIN_S  # the template's Timeout


def test_no_attempt_starts_without_time_left(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    handler = delivery()

    ids, failed = run(handler, sqs_record(order_created(an_order())), remaining_ms=2500)

    assert failed == ids
    assert http_server.received == []
    assert "no time left" in status_lines(handler, "FAILED")[0]["reason"]


def test_no_retry_wait_runs_past_the_deadline(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_server.default = 503
    handler = delivery(RETRY_MIN_WAIT_S="3", RETRY_MAX_WAIT_S="8")
    waits: list[float] = []
    monkeypatch.setattr(handler.module, "_sleep", waits.append)

    started = time.monotonic()
    ids, failed = run(handler, sqs_record(order_created(an_order())), remaining_ms=6000)

    assert failed == ids
    assert waits == []  # 6 s - 2 s margin leaves no room for a 3-8 s wait and another attempt
    assert len(http_server.received) == 1
    assert time.monotonic() - started < 2
    [line] = status_lines(handler, "FAILED")
    assert (line["attempts"], "no time left to retry" in line["reason"]) == (1, True)


# ------------------------------------------------------------------ courier faults


def test_courier_fault_markers_are_forwarded_and_logged_per_attempt(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.default = lambda path, body: (503, {}, b"") if "courier-5xx" in body.get("chaos", []) else 201
    handler = delivery()

    ids, failed = run(handler, sqs_record(order_created(an_order(chaos=["courier-5xx"]))))

    assert failed == ids
    assert [request.body["chaos"] for request in http_server.received if request.body] == [
        ["courier-5xx"]
    ] * 3
    assert [(f["fault"], f["orderId"], f["trigger"], f["attempt"]) for f in handler.faults()] == [
        ("courier-5xx", "o-1", "marker", 1),
        ("courier-5xx", "o-1", "marker", 2),
        ("courier-5xx", "o-1", "marker", 3),
    ]


def test_courier_fault_by_rate_is_added_to_the_attempt(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    def courier_or_config(path: str, body: dict[str, Any] | None) -> Any:
        if path == "/faults":
            return json_reply(200, {"faults": {"courier-429": {"rate": 1.0}, "handler-500": {"rate": 1.0}}})
        return (
            json_reply(429, {}, {"Retry-After": "0"})
            if "courier-429" in (body or {}).get("chaos", [])
            else 201
        )

    http_server.default = courier_or_config
    handler = delivery(FAULT_CONFIG_URL=f"{http_server.url}/faults", MAX_ATTEMPTS="2")

    ids, failed = run(handler, sqs_record(order_created(an_order(chaos=["handler-latency"]))))

    assert failed == ids
    deliveries = [request.body for request in http_server.received if request.path == "/deliveries"]
    assert [body["chaos"] for body in deliveries if body] == [["handler-latency", "courier-429"]] * 2
    assert [(f["fault"], f["trigger"], f["attempt"]) for f in handler.faults()] == [
        ("courier-429", "rate", 1),
        ("courier-429", "rate", 2),
    ]
    reported = [r.body or {} for r in http_server.received if r.path == "/faults/log"]
    assert [(e["fault"], e["orderId"], e["trigger"], e["detail"]["attempt"]) for e in reported] == [
        ("courier-429", "o-1", "rate", 1),
        ("courier-429", "o-1", "rate", 2),
    ]


def test_every_courier_call_carrying_a_marker_is_reported_before_it_is_made(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    def courier_or_registry(path: str, body: dict[str, Any] | None) -> Any:
        if path.startswith("/faults"):
            return json_reply(201 if path == "/faults/log" else 200, {"faults": {}})
        return (503, {}, b"") if "courier-5xx" in (body or {}).get("chaos", []) else 201

    http_server.default = courier_or_registry
    handler = delivery(FAULT_CONFIG_URL=f"{http_server.url}/faults")

    ids, failed = run(
        handler,
        sqs_record(order_created(an_order("o-1", chaos=["courier-5xx"]))),
        sqs_record(order_created(an_order("o-2"))),
    )

    assert failed == ids[:1]
    calls = [(r.path, (r.body or {}).get("orderId")) for r in http_server.received if r.method == "POST"]
    assert calls == [
        ("/faults/log", "o-1"),
        ("/deliveries", "o-1"),
        ("/faults/log", "o-1"),
        ("/deliveries", "o-1"),
        ("/faults/log", "o-1"),
        ("/deliveries", "o-1"),
        ("/deliveries", "o-2"),
    ]
    reported = [r.body or {} for r in http_server.received if r.path == "/faults/log"]
    assert [(e["fault"], e["trigger"], e["detail"]) for e in reported] == [
        ("courier-5xx", "marker", {"function": "DeliveryHandler", "attempt": n}) for n in (1, 2, 3)
    ]


def test_an_unreachable_fault_log_never_fails_a_delivery(
    delivery: Callable[..., LoadedHandler], http_server: ScriptedServer, closed_port_url: str
) -> None:
    handler = delivery(FAULT_CONFIG_URL=f"{closed_port_url}/faults")

    _, failed = run(handler, sqs_record(order_created(an_order(chaos=["courier-slow"]))))

    assert failed == []
    assert [r.body["chaos"] for r in http_server.received if r.body] == [["courier-slow"]]
    assert [line["unreported"] for line in handler.log_lines() if "unreported" in line] == ["courier-slow"]


def test_no_fault_config_means_no_courier_faults(
    delivery: Callable[..., LoadedHandler], closed_port_url: str
) -> None:
    handler = delivery(FAULT_CONFIG_URL=f"{closed_port_url}/faults")

    payload = handler.module.with_courier_fault({"orderId": "o-1"}, order_id="o-1", attempt_no=1)

    assert payload == {"orderId": "o-1"}
    assert handler.faults() == []
