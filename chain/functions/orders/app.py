"""OrdersHandler: the reference chain's order API behind API Gateway (REST, Lambda proxy).

Routes:
    POST /orders            validate, PutItem into ``Orders``, PutEvents ``OrderCreated`` -> 201
    GET  /orders/{orderId}  the stored item -> 200, or 404

Example:
    POST /orders {"customerId": "c-1", "items": [{"sku": "w-1", "quantity": 2}], "amount": 25.0,
                  "probe": {"runId": "r-1", "seq": 7}, "chaos": ["handler-500"]}

Environment (read once per cold start):
    TABLE_NAME          DynamoDB table, partition key ``orderId`` (default ``Orders``).
    EVENT_BUS_NAME      bus receiving ``OrderCreated`` from source ``orders.api`` (default ``orders``).
    PUBLISH_MODE        ``strict``: a failed PutEvents entry answers 502; ``naive``: the failure is
                        ignored and the client still gets 201 (the source material's bug).
    FAULT_CONFIG_URL    optional: the fault config and the ground-truth log (``chain_faults``,
                        shared with DeliveryHandler and packaged next to this file).
    HANDLER_LATENCY_MS  delay added by the ``handler-latency`` fault (default 1500).
    POWERTOOLS_SERVICE_NAME, LOG_LEVEL  structured logging.

Handler faults (issue 3) fire for an order whose ``chaos`` list names them, or with the rate
given by the fault config. They fire after validation and before anything is written:
    handler-latency     sleeps HANDLER_LATENCY_MS, then answers normally (combines with the others).
    lambda-exception    raises: an unhandled error, Lambda ``Errors`` rises, the gateway answers 502.
    handler-500         an error is caught and answered as 500: Lambda looks healthy.
    malformed-response  returns a bare string, not a proxy response: the gateway answers 502.
Every fault that fires logs one JSON line carrying ``fault``, ``orderId`` and ``trigger``, and is
reported to the fault log as ``{"fault", "orderId", "trigger", "at", "detail"}`` before it acts.

Other failures: a failed PutItem (after botocore's 3 standard-mode attempts) answers 503; a failed
PutEvents call (an exception, not a failed entry) answers 502 in both publish modes.

Limitations: a POST with an existing orderId overwrites the item; GET is not subject to faults.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeGuard

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from chain_faults import ChainFaults, Trigger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_events.client import EventBridgeClient

TABLE_NAME = os.environ.get("TABLE_NAME", "Orders")
EVENT_BUS_NAME = os.environ.get("EVENT_BUS_NAME", "orders")
PUBLISH_MODE = os.environ.get("PUBLISH_MODE", "strict").strip().lower()
HANDLER_LATENCY_MS = int(os.environ.get("HANDLER_LATENCY_MS", "1500"))

EVENT_SOURCE = "orders.api"
EVENT_DETAIL_TYPE = "OrderCreated"
ORDER_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CORRELATION_HEADER = "x-correlation-id"

LATENCY_FAULT = "handler-latency"
# At most one of these fires per order, in this order of precedence.
FAILING_FAULTS = ("lambda-exception", "handler-500", "malformed-response")
MALFORMED_RESPONSE = "<html><body>this is not a Lambda proxy response</body></html>"

# Sized for the 6 s function timeout: a stuck call fails fast instead of hanging the request.
# 3 attempts in all: botocore's client-config ``max_attempts`` counts retries (3 would mean 4 calls),
# ``total_max_attempts`` counts calls, the initial one included.
AWS_CLIENT_CONFIG = Config(
    connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 3}
)

logger = Logger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", "orders-api"),
    level=os.environ.get("LOG_LEVEL", "INFO"),
)
faults = ChainFaults.from_environment(logger, function="OrdersHandler")

Response = dict[str, Any]


class InvalidOrder(ValueError):
    """The request body is not a valid order; the message names the offending field."""


class InjectedHandlerError(RuntimeError):
    """Raised on purpose by a handler fault (``lambda-exception``, ``handler-500``)."""


@dataclass(frozen=True)
class Order:
    """A validated order, as stored in DynamoDB and carried by the ``OrderCreated`` event."""

    order_id: str
    customer_id: str
    items: list[dict[str, Any]]
    amount: int | float
    created_at: str
    probe: dict[str, Any] | None = None
    chaos: list[str] | None = None

    def detail(self) -> dict[str, Any]:
        """The order as JSON-ready data (event detail, probe tag and chaos list included)."""
        detail: dict[str, Any] = {
            "orderId": self.order_id,
            "customerId": self.customer_id,
            "items": self.items,
            "amount": self.amount,
            "createdAt": self.created_at,
        }
        if self.probe is not None:
            detail["probe"] = self.probe
        if self.chaos is not None:
            detail["chaos"] = self.chaos
        return detail

    def item(self, *, now: float) -> dict[str, Any]:
        """The DynamoDB item: numbers as Decimal, plus ``expiresAt`` when the probe asked for a TTL."""
        item: dict[str, Any] = _to_dynamodb(self.detail())
        ttl = (self.probe or {}).get("ttlSeconds")
        if ttl is not None:
            item["expiresAt"] = int(now) + int(ttl)
        return item


@dataclass(frozen=True)
class FiredFault:
    """A handler fault chosen for one order, and whether its marker or its rate chose it."""

    name: str
    trigger: Trigger


# --------------------------------------------------------------------------- validation


def parse_body(event: Mapping[str, Any]) -> object:
    """The request body as JSON; raises InvalidOrder when it is missing or not JSON."""
    raw = event.get("body")
    if raw is None or raw == "":
        raise InvalidOrder("body must be a JSON object")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidOrder("body must be a JSON object") from exc
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:
        raise InvalidOrder("body must be a JSON object") from exc


def validate_order(body: object, *, default_order_id: str, created_at: str) -> Order:
    """Check ``body`` against the order contract (DESIGN.md, "The order"); raises InvalidOrder."""
    if not isinstance(body, dict):
        raise InvalidOrder("body must be a JSON object")

    order_id = body.get("orderId", default_order_id)
    if not isinstance(order_id, str) or not ORDER_ID_PATTERN.match(order_id):
        raise InvalidOrder(f"orderId must match {ORDER_ID_PATTERN.pattern}")

    customer_id = body.get("customerId")
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise InvalidOrder("customerId must be a non-empty string")

    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise InvalidOrder("items must be a non-empty list")
    clean_items: list[dict[str, Any]] = []
    for index, entry in enumerate(items):
        if not isinstance(entry, dict):
            raise InvalidOrder(f"items[{index}] must be an object with sku and quantity")
        sku, quantity = entry.get("sku"), entry.get("quantity")
        if not isinstance(sku, str) or not sku.strip():
            raise InvalidOrder(f"items[{index}].sku must be a non-empty string")
        if not _is_int(quantity) or quantity < 1:
            raise InvalidOrder(f"items[{index}].quantity must be an integer >= 1")
        clean_items.append({"sku": sku, "quantity": quantity})

    amount = body.get("amount")
    if not isinstance(amount, int | float) or isinstance(amount, bool) or not 0 <= amount < math.inf:
        raise InvalidOrder("amount must be a number >= 0")

    probe = body.get("probe")
    if probe is not None:
        if not isinstance(probe, dict):
            raise InvalidOrder("probe must be an object")
        ttl = probe.get("ttlSeconds")
        if ttl is not None and (not _is_int(ttl) or ttl < 1):
            raise InvalidOrder("probe.ttlSeconds must be an integer >= 1")

    chaos = body.get("chaos")
    if chaos is not None and (not isinstance(chaos, list) or not all(isinstance(c, str) for c in chaos)):
        raise InvalidOrder("chaos must be a list of strings")

    return Order(
        order_id=order_id,
        customer_id=customer_id,
        items=clean_items,
        amount=amount,
        created_at=created_at,
        probe=probe,
        chaos=chaos,
    )


# --------------------------------------------------------------------------- publishing


def publish_order_created(order: Order) -> str | None:
    """PutEvents one ``OrderCreated`` entry; the reason it failed, or None.

    In ``naive`` mode the answer is never looked at, as in the source material: a failed entry
    goes unnoticed and the client still gets 201. A failed call (an exception) fails in both modes.
    """
    response = _events().put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": EVENT_DETAIL_TYPE,
                "EventBusName": EVENT_BUS_NAME,
                "Detail": json.dumps(order.detail()),
            }
        ]
    )
    if PUBLISH_MODE == "naive":
        return None
    failed = [entry for entry in response.get("Entries", []) if entry.get("ErrorCode")]
    if response.get("FailedEntryCount", 0) or failed:
        first = failed[0] if failed else {}
        return f"{first.get('ErrorCode', 'FailedEntry')}: {first.get('ErrorMessage', 'entry not accepted')}"
    return None


# --------------------------------------------------------------------------- faults


def select_faults(chaos: list[str] | None, rates: Mapping[str, float]) -> list[FiredFault]:
    """The handler faults that fire for one order: markers first, then a draw per configured rate."""
    markers = set(chaos or ())
    fired: list[FiredFault] = []
    if LATENCY_FAULT in markers:
        fired.append(FiredFault(LATENCY_FAULT, "marker"))
    elif faults.draw(rates.get(LATENCY_FAULT)):
        fired.append(FiredFault(LATENCY_FAULT, "rate"))
    marked = [name for name in FAILING_FAULTS if name in markers]
    if marked:
        fired.append(FiredFault(marked[0], "marker"))
    else:
        drawn = next((name for name in FAILING_FAULTS if faults.draw(rates.get(name))), None)
        if drawn is not None:
            fired.append(FiredFault(drawn, "rate"))
    return fired


def inject_faults(order: Order) -> Response | str | None:
    """Apply the faults firing for ``order``: a response to return at once, or None to go on.

    Raises InjectedHandlerError for ``lambda-exception``.
    """
    for fault in select_faults(order.chaos, faults.rates()):
        logger.warning(
            "fault injected",
            extra={"fault": fault.name, "orderId": order.order_id, "trigger": fault.trigger},
        )
        faults.report(fault.name, order_id=order.order_id, trigger=fault.trigger)
        if fault.name == LATENCY_FAULT:
            time.sleep(HANDLER_LATENCY_MS / 1000)
        elif fault.name == "lambda-exception":
            logger.error("order failed", extra={"status": "FAILED", "reason": "unhandled exception"})
            raise InjectedHandlerError(f"injected fault lambda-exception for order {order.order_id}")
        elif fault.name == "handler-500":
            try:
                raise InjectedHandlerError(f"injected fault handler-500 for order {order.order_id}")
            except InjectedHandlerError:
                logger.exception("order failed", extra={"status": "FAILED", "httpStatus": 500})
                return _response(500, {"message": "internal error"})
        elif fault.name == "malformed-response":
            logger.error("order failed", extra={"status": "FAILED", "reason": "malformed response"})
            return MALFORMED_RESPONSE
    return None


# --------------------------------------------------------------------------- routes


def create_order(event: Mapping[str, Any], correlation_id: str | None) -> Response | str:
    """POST /orders."""
    body: object
    try:
        body = parse_body(event)
    except InvalidOrder:
        body = None  # validate_order rejects it with the same reason
    default_id = f"o-{uuid.uuid4().hex}"
    given_id = body.get("orderId") if isinstance(body, dict) else None
    logger.set_correlation_id(correlation_id or (given_id if isinstance(given_id, str) else default_id))
    logger.info("order received", extra={"status": "START"})

    try:
        order = validate_order(body, default_order_id=default_id, created_at=_now_iso())
    except InvalidOrder as exc:
        logger.info("order rejected", extra={"status": "FAILED", "httpStatus": 400, "reason": str(exc)})
        return _response(400, {"message": str(exc)})

    injected = inject_faults(order)
    if injected is not None:
        return injected

    try:
        _table().put_item(Item=order.item(now=time.time()))
    except (ClientError, BotoCoreError) as exc:
        logger.error("order not saved", extra={"status": "FAILED", "httpStatus": 503, "reason": str(exc)})
        return _response(503, {"message": "order could not be saved", "orderId": order.order_id})
    logger.info("order saved", extra={"status": "SAVED_IN_DATABASE"})

    try:
        failure = publish_order_created(order)
    except (ClientError, BotoCoreError) as exc:
        failure = str(exc)
    if failure is not None:
        logger.error("event not published", extra={"status": "FAILED", "httpStatus": 502, "reason": failure})
        return _response(502, {"message": "event publish failed", "orderId": order.order_id})
    logger.info("event published", extra={"status": "PUBLISHED"})

    logger.info("order created", extra={"status": "COMPLETED", "httpStatus": 201})
    return _response(201, {"orderId": order.order_id, "status": "CREATED"})


def get_order(event: Mapping[str, Any], correlation_id: str | None) -> Response:
    """GET /orders/{orderId}."""
    order_id = (event.get("pathParameters") or {}).get("orderId") or ""
    logger.set_correlation_id(correlation_id or order_id or None)
    if not ORDER_ID_PATTERN.match(order_id):
        return _response(404, {"message": "order not found"})
    item = _table().get_item(Key={"orderId": order_id}).get("Item")
    logger.info("order read", extra={"httpStatus": 200 if item else 404})
    if item is None:
        return _response(404, {"message": "order not found"})
    return _response(200, item)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> Response | str:
    method = str(event.get("httpMethod", "")).upper()
    resource = str(event.get("resource") or event.get("path") or "")
    correlation_id = _header(event, CORRELATION_HEADER)
    if method == "POST" and resource.rstrip("/") == "/orders":
        result = create_order(event, correlation_id)
    elif method == "GET" and resource.startswith("/orders/"):
        result = get_order(event, correlation_id)
    else:
        result = _response(404, {"message": "route not found"})
    if isinstance(result, dict) and correlation_id:
        result["headers"][CORRELATION_HEADER] = correlation_id
    return result


# --------------------------------------------------------------------------- helpers


@cache
def _table() -> Table:
    return boto3.resource("dynamodb", config=AWS_CLIENT_CONFIG).Table(TABLE_NAME)


@cache
def _events() -> EventBridgeClient:
    return boto3.client("events", config=AWS_CLIENT_CONFIG)


def _response(status: int, body: Mapping[str, Any]) -> Response:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, default=_json_default),
    }


def _header(event: Mapping[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name and isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _to_dynamodb(value: Any) -> Any:
    """Floats become Decimal (DynamoDB refuses floats), recursively."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _to_dynamodb(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_to_dynamodb(inner) for inner in value]
    return value


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
