"""OrdersHandler (chain/functions/orders/app.py) against moto's DynamoDB and EventBridge."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

from .conftest import FakeLambdaContext, LoadedHandler, ScriptedServer, json_reply

TABLE = "Orders"
BUS = "orders"


@dataclass
class Chain:
    """The moto resources the handler talks to, and the events the bus accepted from it.

    moto routes bus events to rule targets only with the optional jsonpath-ng installed, so the
    accepted entries are recorded on the handler's own EventBridge client instead.
    """

    dynamodb: Any
    published: list[dict[str, Any]] = field(default_factory=list)

    def item(self, order_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = (
            self.dynamodb.Table(TABLE).get_item(Key={"orderId": order_id}).get("Item")
        )
        return item

    def item_count(self) -> int:
        return len(self.dynamodb.Table(TABLE).scan()["Items"])

    def events(self) -> list[dict[str, Any]]:
        """Accepted entries as EventBridge would deliver them (source, detail-type, detail)."""
        return self.published

    def spy_on(self, events_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        put_events = events_client.put_events

        def recording_put_events(**kwargs: Any) -> Any:
            answer = put_events(**kwargs)
            for entry, result in zip(kwargs["Entries"], answer["Entries"], strict=True):
                if "EventId" in result and not result.get("ErrorCode"):
                    assert entry["EventBusName"] == BUS
                    self.published.append(
                        {
                            "source": entry["Source"],
                            "detail-type": entry["DetailType"],
                            "detail": json.loads(entry["Detail"]),
                        }
                    )
            return answer

        monkeypatch.setattr(events_client, "put_events", recording_put_events)


@pytest.fixture
def chain(aws_env: None) -> Iterator[Chain]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("events", region_name="us-east-1").create_event_bus(Name=BUS)
        yield Chain(dynamodb=dynamodb)


@pytest.fixture
def orders(
    chain: Chain, load_handler: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., LoadedHandler]:
    """Load OrdersHandler with the chain's names and the given extra environment."""

    def load(**env: str) -> LoadedHandler:
        base = {
            "TABLE_NAME": TABLE,
            "EVENT_BUS_NAME": BUS,
            "PUBLISH_MODE": "strict",
            "FAULT_CONFIG_URL": "",
            "POWERTOOLS_SERVICE_NAME": "orders-api",
            "LOG_LEVEL": "INFO",
            "HANDLER_LATENCY_MS": "1500",
        }
        handler = load_handler("orders", **{**base, **env})
        chain.spy_on(handler.module._events(), monkeypatch)
        return handler

    return load


def post(body: Any, *, headers: dict[str, str] | None = None, raw: str | None = None) -> dict[str, Any]:
    return {
        "resource": "/orders",
        "path": "/orders",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "pathParameters": None,
        "body": raw if raw is not None else json.dumps(body),
        "isBase64Encoded": False,
    }


def get(order_id: str) -> dict[str, Any]:
    return {
        "resource": "/orders/{orderId}",
        "path": f"/orders/{order_id}",
        "httpMethod": "GET",
        "headers": {},
        "pathParameters": {"orderId": order_id},
        "body": None,
        "isBase64Encoded": False,
    }


def an_order(**overrides: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "orderId": "o-test-1",
        "customerId": "c-1",
        "items": [{"sku": "w-1", "quantity": 2}],
        "amount": 25.5,
        "probe": {"runId": "r-1", "seq": 7},
    }
    order.update(overrides)
    return {key: value for key, value in order.items() if value is not None}


def invoke(handler: LoadedHandler, event: dict[str, Any]) -> Any:
    return handler.module.handler(event, FakeLambdaContext(function_name="OrdersHandler"))


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


# ------------------------------------------------------------------ the happy path


def test_valid_order_is_saved_published_and_answered_201(
    chain: Chain, orders: Callable[..., LoadedHandler]
) -> None:
    handler = orders()
    response = invoke(handler, post(an_order(chaos=["events-entry-failure"])))

    assert response["statusCode"] == 201
    assert body_of(response) == {"orderId": "o-test-1", "status": "CREATED"}

    item = chain.item("o-test-1")
    assert item is not None
    assert item["customerId"] == "c-1"
    assert item["items"] == [{"sku": "w-1", "quantity": Decimal(2)}]
    assert item["amount"] == Decimal("25.5")
    assert item["probe"] == {"runId": "r-1", "seq": Decimal(7)}
    assert item["chaos"] == ["events-entry-failure"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["createdAt"])
    assert "expiresAt" not in item

    [event] = chain.events()
    assert event["source"] == "orders.api"
    assert event["detail-type"] == "OrderCreated"
    assert event["detail"]["orderId"] == "o-test-1"
    assert event["detail"]["probe"] == {"runId": "r-1", "seq": 7}
    assert event["detail"]["chaos"] == ["events-entry-failure"]
    assert event["detail"]["amount"] == 25.5

    assert handler.statuses() == ["START", "SAVED_IN_DATABASE", "PUBLISHED", "COMPLETED"]
    lines = [line for line in handler.log_lines() if "status" in line]
    assert {line["correlation_id"] for line in lines} == {"o-test-1"}
    assert {line["service"] for line in lines} == {"orders-api"}
    assert handler.faults() == []


def test_order_id_is_generated_when_absent(chain: Chain, orders: Callable[..., LoadedHandler]) -> None:
    response = invoke(orders(), post(an_order(orderId=None)))

    assert response["statusCode"] == 201
    order_id = body_of(response)["orderId"]
    assert re.fullmatch(r"o-[0-9a-f]{32}", order_id)
    assert chain.item(order_id) is not None


def test_probe_ttl_sets_expires_at(chain: Chain, orders: Callable[..., LoadedHandler]) -> None:
    before = int(time.time())
    invoke(orders(), post(an_order(probe={"runId": "r-1", "seq": 1, "ttlSeconds": 3600})))

    item = chain.item("o-test-1")
    assert item is not None
    assert before + 3600 <= int(item["expiresAt"]) <= int(time.time()) + 3600


def test_base64_body_is_accepted(chain: Chain, orders: Callable[..., LoadedHandler]) -> None:
    event = post(None, raw=base64.b64encode(json.dumps(an_order()).encode()).decode())
    event["isBase64Encoded"] = True

    assert invoke(orders(), event)["statusCode"] == 201


def test_correlation_header_wins_and_is_echoed(chain: Chain, orders: Callable[..., LoadedHandler]) -> None:
    handler = orders()
    response = invoke(handler, post(an_order(), headers={"X-Correlation-Id": "corr-42"}))

    assert response["statusCode"] == 201
    assert response["headers"]["x-correlation-id"] == "corr-42"
    assert {line["correlation_id"] for line in handler.log_lines() if "status" in line} == {"corr-42"}


def test_get_order_returns_the_item_or_404(chain: Chain, orders: Callable[..., LoadedHandler]) -> None:
    handler = orders()
    invoke(handler, post(an_order()))

    found = invoke(handler, get("o-test-1"))
    assert found["statusCode"] == 200
    assert body_of(found)["orderId"] == "o-test-1"
    assert body_of(found)["amount"] == 25.5
    assert body_of(found)["items"] == [{"sku": "w-1", "quantity": 2}]

    missing = invoke(handler, get("o-nope"))
    assert missing["statusCode"] == 404
    assert body_of(missing) == {"message": "order not found"}


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (an_order(orderId="bad id with spaces"), "orderId"),
        (an_order(orderId=""), "orderId"),
        (an_order(orderId="x" * 129), "orderId"),
        (an_order(orderId=17), "orderId"),
        (an_order(customerId=None), "customerId"),
        (an_order(customerId=""), "customerId"),
        (an_order(customerId=5), "customerId"),
        (an_order(items=None), "items"),
        (an_order(items=[]), "items"),
        (an_order(items="w-1"), "items"),
        (an_order(items=["w-1"]), "items[0]"),
        (an_order(items=[{"quantity": 1}]), "items[0].sku"),
        (an_order(items=[{"sku": "", "quantity": 1}]), "items[0].sku"),
        (an_order(items=[{"sku": "w-1", "quantity": 1}, {"sku": "w-2", "quantity": 0}]), "items[1].quantity"),
        (an_order(items=[{"sku": "w-1", "quantity": 1.5}]), "items[0].quantity"),
        (an_order(items=[{"sku": "w-1", "quantity": True}]), "items[0].quantity"),
        (an_order(items=[{"sku": "w-1", "quantity": "2"}]), "items[0].quantity"),
        (an_order(amount=None), "amount"),
        (an_order(amount=-0.01), "amount"),
        (an_order(amount="25"), "amount"),
        (an_order(amount=True), "amount"),
        (an_order(probe="r-1"), "probe"),
        (an_order(probe={"runId": "r", "ttlSeconds": 0}), "probe.ttlSeconds"),
        (an_order(chaos="handler-500"), "chaos"),
        (an_order(chaos=["handler-500", 3]), "chaos"),
        ([an_order()], "body"),
    ],
)
def test_invalid_order_is_rejected_with_400_and_nothing_written(
    chain: Chain, orders: Callable[..., LoadedHandler], body: Any, field: str
) -> None:
    handler = orders()
    response = invoke(handler, post(body))

    assert response["statusCode"] == 400
    message = body_of(response)["message"]
    assert message.startswith(field + " "), message
    assert chain.item_count() == 0
    assert chain.events() == []
    assert handler.statuses() == ["START", "FAILED"]


@pytest.mark.parametrize("raw", ["", "{not json", '{"amount": NaN}', '{"amount": 1e999}', "null"])
def test_unparseable_body_is_rejected_with_400(
    chain: Chain, orders: Callable[..., LoadedHandler], raw: str
) -> None:
    response = invoke(orders(), post(None, raw=raw))

    assert response["statusCode"] == 400
    assert body_of(response)["message"].split()[0] in {"body", "customerId", "amount"}
    assert chain.item_count() == 0


def test_unknown_route_is_404(chain: Chain, orders: Callable[..., LoadedHandler]) -> None:
    event = get("o-1")
    event["httpMethod"] = "DELETE"
    assert invoke(orders(), event)["statusCode"] == 404


# ------------------------------------------------------------------ publish modes


def fail_put_events(handler: LoadedHandler, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def put_events(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return {
            "FailedEntryCount": 1,
            "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "injected by the test"}],
        }

    monkeypatch.setattr(handler.module._events(), "put_events", put_events)
    return calls


def test_strict_mode_answers_502_when_an_entry_fails(
    chain: Chain, orders: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = orders(PUBLISH_MODE="strict")
    calls = fail_put_events(handler, monkeypatch)

    response = invoke(handler, post(an_order()))

    assert len(calls) == 1
    assert response["statusCode"] == 502
    assert body_of(response) == {"message": "event publish failed", "orderId": "o-test-1"}
    assert handler.statuses() == ["START", "SAVED_IN_DATABASE", "FAILED"]
    failed = next(line for line in handler.log_lines() if line.get("status") == "FAILED")
    assert "InternalFailure" in failed["reason"]


def test_naive_mode_ignores_the_failed_entry_and_answers_201(
    chain: Chain, orders: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = orders(PUBLISH_MODE="naive")
    calls = fail_put_events(handler, monkeypatch)

    response = invoke(handler, post(an_order()))

    assert len(calls) == 1
    assert response["statusCode"] == 201
    assert body_of(response) == {"orderId": "o-test-1", "status": "CREATED"}
    assert chain.item("o-test-1") is not None
    assert chain.events() == []  # the event never reached the bus, and nobody noticed
    assert handler.statuses() == ["START", "SAVED_IN_DATABASE", "PUBLISHED", "COMPLETED"]


def test_put_events_entries_are_checked_even_without_failed_entry_count(
    chain: Chain, orders: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = orders(PUBLISH_MODE="strict")
    monkeypatch.setattr(
        handler.module._events(),
        "put_events",
        lambda **_: {"Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}]},
    )
    assert invoke(handler, post(an_order()))["statusCode"] == 502


# ------------------------------------------------------------------ handler faults by marker


def test_lambda_exception_marker_raises_and_writes_nothing(
    chain: Chain, orders: Callable[..., LoadedHandler]
) -> None:
    handler = orders()
    with pytest.raises(handler.module.InjectedHandlerError):
        invoke(handler, post(an_order(chaos=["lambda-exception"])))

    assert chain.item_count() == 0
    assert chain.events() == []
    assert [(f["fault"], f["orderId"], f["trigger"]) for f in handler.faults()] == [
        ("lambda-exception", "o-test-1", "marker")
    ]
    assert handler.statuses() == ["START", "FAILED"]


def test_handler_500_marker_answers_500_without_raising(
    chain: Chain, orders: Callable[..., LoadedHandler]
) -> None:
    handler = orders()
    response = invoke(handler, post(an_order(chaos=["handler-500"])))

    assert response["statusCode"] == 500
    assert body_of(response) == {"message": "internal error"}
    assert chain.item_count() == 0
    assert [(f["fault"], f["orderId"]) for f in handler.faults()] == [("handler-500", "o-test-1")]


def test_malformed_response_marker_returns_no_proxy_response(
    chain: Chain, orders: Callable[..., LoadedHandler]
) -> None:
    handler = orders()
    response = invoke(handler, post(an_order(chaos=["malformed-response"])))

    assert not isinstance(response, dict)  # API Gateway cannot map it: the client sees 502
    json.dumps(response)  # but the Lambda runtime can still serialise it
    assert chain.item_count() == 0
    assert [f["fault"] for f in handler.faults()] == ["malformed-response"]


def test_handler_latency_marker_delays_then_succeeds(
    chain: Chain, orders: Callable[..., LoadedHandler]
) -> None:
    handler = orders(HANDLER_LATENCY_MS="200")
    started = time.monotonic()
    response = invoke(handler, post(an_order(chaos=["handler-latency"])))

    assert time.monotonic() - started >= 0.2
    assert response["statusCode"] == 201
    assert chain.item("o-test-1") is not None
    assert [f["fault"] for f in handler.faults()] == ["handler-latency"]


def test_latency_combines_with_a_failing_fault(chain: Chain, orders: Callable[..., LoadedHandler]) -> None:
    handler = orders(HANDLER_LATENCY_MS="10")
    response = invoke(handler, post(an_order(chaos=["handler-500", "handler-latency", "courier-5xx"])))

    assert response["statusCode"] == 500
    assert [f["fault"] for f in handler.faults()] == ["handler-latency", "handler-500"]


def test_markers_of_other_layers_are_carried_not_fired(
    chain: Chain, orders: Callable[..., LoadedHandler]
) -> None:
    handler = orders()
    response = invoke(handler, post(an_order(chaos=["courier-5xx", "dynamodb-throttle"])))

    assert response["statusCode"] == 201
    assert handler.faults() == []
    [event] = chain.events()
    assert event["detail"]["chaos"] == ["courier-5xx", "dynamodb-throttle"]


# ------------------------------------------------------------------ handler faults by rate


def test_fault_fires_by_rate_from_the_fault_config(
    chain: Chain, orders: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.default = lambda path, body: json_reply(200, {"faults": {"handler-500": {"rate": 1.0}}})
    handler = orders(FAULT_CONFIG_URL=f"{http_server.url}/faults")

    first = invoke(handler, post(an_order(orderId="o-1")))
    second = invoke(handler, post(an_order(orderId="o-2")))

    assert (first["statusCode"], second["statusCode"]) == (500, 500)
    assert [(f["fault"], f["orderId"], f["trigger"]) for f in handler.faults()] == [
        ("handler-500", "o-1", "rate"),
        ("handler-500", "o-2", "rate"),
    ]
    reads = [r for r in http_server.received if r.method == "GET"]
    assert [r.path for r in reads] == ["/faults"]  # cached for a second
    reported = [r.body for r in http_server.received if r.method == "POST"]
    assert [(e["fault"], e["orderId"], e["trigger"]) for e in reported if e] == [
        ("handler-500", "o-1", "rate"),
        ("handler-500", "o-2", "rate"),
    ]


def test_rate_zero_and_foreign_faults_fire_nothing(
    chain: Chain, orders: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    config = {"faults": {"handler-500": {"rate": 0}, "courier-5xx": {"rate": 1.0}, "bogus": "x"}}
    http_server.default = lambda path, body: json_reply(200, config)
    handler = orders(FAULT_CONFIG_URL=f"{http_server.url}/faults")

    assert invoke(handler, post(an_order()))["statusCode"] == 201
    assert handler.faults() == []


def test_fault_config_is_reread_after_a_second(
    chain: Chain, orders: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.script = [lambda path, body: json_reply(200, {"faults": {}})]
    http_server.default = lambda path, body: json_reply(200, {"faults": {"malformed-response": {"rate": 1}}})
    handler = orders(FAULT_CONFIG_URL=f"{http_server.url}/faults")

    assert invoke(handler, post(an_order(orderId="o-1")))["statusCode"] == 201
    time.sleep(1.05)
    assert isinstance(invoke(handler, post(an_order(orderId="o-2"))), str)
    assert [(r.method, r.path) for r in http_server.received] == [
        ("GET", "/faults"),
        ("GET", "/faults"),
        ("POST", "/faults/log"),
    ]


def test_each_fired_fault_is_reported_to_the_fault_log_before_it_acts(
    chain: Chain, orders: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    http_server.default = lambda path, body: json_reply(201 if body else 200, {"faults": {}})
    handler = orders(FAULT_CONFIG_URL=f"{http_server.url}/faults/", HANDLER_LATENCY_MS="10")
    before = time.time()

    with pytest.raises(handler.module.InjectedHandlerError):
        invoke(handler, post(an_order(orderId="o-1", chaos=["lambda-exception", "handler-latency"])))
    assert invoke(handler, post(an_order(orderId="o-2")))["statusCode"] == 201

    reported = [r for r in http_server.received if r.method == "POST"]
    assert [r.path for r in reported] == ["/faults/log", "/faults/log"]
    entries = [r.body or {} for r in reported]
    assert [(e["fault"], e["orderId"], e["trigger"]) for e in entries] == [
        ("handler-latency", "o-1", "marker"),
        ("lambda-exception", "o-1", "marker"),
    ]
    assert all(before <= e["at"] <= time.time() for e in entries)
    assert entries[0]["detail"] == {"function": "OrdersHandler"}


@pytest.mark.parametrize("answer", ["unreachable", "500", "slow"])
def test_a_failing_fault_log_never_changes_the_answer(
    chain: Chain,
    orders: Callable[..., LoadedHandler],
    http_server: ScriptedServer,
    closed_port_url: str,
    answer: str,
) -> None:
    if answer == "500":
        http_server.default = 500
    elif answer == "slow":
        http_server.default = ("sleep", 1.0)  # past the 0.5 s timeout
    url = closed_port_url if answer == "unreachable" else http_server.url
    handler = orders(FAULT_CONFIG_URL=f"{url}/faults")

    started = time.monotonic()
    response = invoke(handler, post(an_order(chaos=["handler-500"])))

    assert response["statusCode"] == 500
    assert time.monotonic() - started < 2.5
    assert [f["fault"] for f in handler.faults()] == ["handler-500"]
    assert any(line.get("unreported") == "handler-500" for line in handler.log_lines())


def test_no_fault_config_means_nothing_is_reported(
    chain: Chain, orders: Callable[..., LoadedHandler], http_server: ScriptedServer
) -> None:
    handler = orders(FAULT_CONFIG_URL="")

    assert invoke(handler, post(an_order(chaos=["handler-500"])))["statusCode"] == 500
    assert http_server.received == []


def test_aws_calls_make_three_attempts_in_all(chain: Chain, orders: Callable[..., LoadedHandler]) -> None:
    module = orders().module

    for client in (module._table().meta.client, module._events()):
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}


@pytest.mark.parametrize("answer", ["unreachable", "500", "not-json"])
def test_unusable_fault_config_means_no_faults(
    chain: Chain,
    orders: Callable[..., LoadedHandler],
    http_server: ScriptedServer,
    closed_port_url: str,
    answer: str,
) -> None:
    if answer == "500":
        http_server.default = 500
    elif answer == "not-json":
        http_server.default = (200, {"Content-Type": "text/plain"}, b"faults: all")
    url = closed_port_url if answer == "unreachable" else http_server.url
    handler = orders(FAULT_CONFIG_URL=f"{url}/faults")

    assert invoke(handler, post(an_order()))["statusCode"] == 201
    assert handler.faults() == []


def test_select_faults_prefers_markers_and_fires_at_most_one_failing_fault(
    chain: Chain, orders: Callable[..., LoadedHandler]
) -> None:
    module = orders().module
    everything = dict.fromkeys(["lambda-exception", "handler-500", "malformed-response"], 1.0)

    fired = module.select_faults(["malformed-response"], everything)
    assert [(f.name, f.trigger) for f in fired] == [("malformed-response", "marker")]

    fired = module.select_faults(None, everything)
    assert [(f.name, f.trigger) for f in fired] == [("lambda-exception", "rate")]

    assert module.select_faults(None, {}) == []


# ------------------------------------------------------------------ downstream failures


def test_a_failed_put_item_answers_503_and_publishes_nothing(
    chain: Chain, orders: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    handler = orders()

    def throttled(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected by the test"}},
            "PutItem",
        )

    monkeypatch.setattr(handler.module._table(), "put_item", throttled)
    response = invoke(handler, post(an_order()))

    assert response["statusCode"] == 503
    assert body_of(response)["orderId"] == "o-test-1"
    assert chain.events() == []
    assert handler.statuses() == ["START", "FAILED"]


@pytest.mark.parametrize("mode", ["strict", "naive"])
def test_a_failed_put_events_call_answers_502_in_both_modes(
    chain: Chain, orders: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    from botocore.exceptions import EndpointConnectionError

    handler = orders(PUBLISH_MODE=mode)

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://events.invalid")

    monkeypatch.setattr(handler.module._events(), "put_events", unreachable)

    assert invoke(handler, post(an_order()))["statusCode"] == 502
