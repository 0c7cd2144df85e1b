"""DeliveryHandler: hands each created order to the courier, with bounded, jittered retries.

Input: an SQS batch from the ``DeliveryQueue``; each message body is the ``OrderCreated`` EventBridge
event, whose ``detail`` is the order. For each record it POSTs ``{COURIER_URL}/deliveries`` with
``{"orderId", "customerId", "items", "probe"?, "chaos"?}`` and answers Lambda's partial batch
response: a record that could not be delivered is reported in ``batchItemFailures``, so SQS
redelivers it after the visibility timeout and moves it to the DLQ after ``maxReceiveCount``.

Retries inside one invocation: 2xx is delivered; 429, 5xx, timeouts and connection errors are
retried after a wait drawn uniformly from [RETRY_MIN_WAIT_S, RETRY_MAX_WAIT_S] (a longer
``Retry-After`` is honoured up to RETRY_MAX_WAIT_S), at most MAX_ATTEMPTS attempts; any other
status (a 4xx) is not retried and fails the record at once.

Time budget: one record takes at most MAX_ATTEMPTS x COURIER_TIMEOUT_S + (MAX_ATTEMPTS - 1) x
RETRY_MAX_WAIT_S = 3 x 5 + 2 x 8 = 31 s with the defaults, inside the 60 s function timeout; a batch
of five slow records would not fit, so every attempt and every wait is checked against the time
the invocation has left (minus SAFETY_MARGIN_S). A record that has no time left fails (and is
redelivered) instead of letting the function time out, which would redeliver the whole batch,
the records already delivered included.

Environment:
    COURIER_URL         courier base URL (required).
    MAX_ATTEMPTS        default 3.
    RETRY_MIN_WAIT_S    default 3.
    RETRY_MAX_WAIT_S    default 8.
    COURIER_TIMEOUT_S   per-attempt HTTP timeout, default 5.
    FAULT_CONFIG_URL    optional: the fault config and the ground-truth log (``chain_faults``,
                        shared with OrdersHandler and packaged next to this file).
    POWERTOOLS_SERVICE_NAME, LOG_LEVEL  structured logging.

Courier faults (issue 3) are served by the courier stub (WireMock) for a request whose ``chaos``
array names them. An order's own markers are forwarded as they are; a fault given a rate in the
fault config is drawn per attempt and added to that attempt's ``chaos`` (at most one courier fault
per request). Each attempt that carries a courier fault, by the order's marker or by rate, logs a
JSON line with ``fault``, ``orderId``, ``trigger`` and ``attempt`` and is reported to the fault log
(``detail.attempt``) before the call: one entry per courier call that carried a fault, which is
what the courier's request journal shows. If an order marks several courier faults, the first in
COURIER_FAULTS order is the one logged.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from chain_faults import ChainFaults, Trigger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

COURIER_URL = os.environ.get("COURIER_URL", "").rstrip("/")
MAX_ATTEMPTS = max(1, int(os.environ.get("MAX_ATTEMPTS", "3")))
RETRY_MIN_WAIT_S = float(os.environ.get("RETRY_MIN_WAIT_S", "3"))
RETRY_MAX_WAIT_S = max(RETRY_MIN_WAIT_S, float(os.environ.get("RETRY_MAX_WAIT_S", "8")))
COURIER_TIMEOUT_S = float(os.environ.get("COURIER_TIMEOUT_S", "5"))

SAFETY_MARGIN_S = 2.0  # kept free at the end of the invocation to answer the batch response
MIN_ATTEMPT_S = 1.0  # an attempt is not started with less time than this left
COURIER_FAULTS = ("courier-5xx", "courier-slow", "courier-reset", "courier-429")

logger = Logger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", "delivery"),
    level=os.environ.get("LOG_LEVEL", "INFO"),
)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
faults = ChainFaults.from_environment(logger, function="DeliveryHandler")
_rng = random.Random()  # the retries' jitter
_sleep = time.sleep


class DeliveryFailed(RuntimeError):
    """The courier did not accept the delivery; the record fails and SQS redelivers it."""

    def __init__(self, reason: str, *, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


@dataclass(frozen=True)
class Attempt:
    """What one POST to the courier gave: an HTTP status, or None and the connection error."""

    status: int | None
    error: str = ""
    retry_after_s: float = 0.0

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else self.error


# --------------------------------------------------------------------------- the courier call


def courier_payload(order: Mapping[str, Any]) -> dict[str, Any]:
    """The body POSTed to the courier for one order."""
    payload = {
        "orderId": order["orderId"],
        "customerId": order.get("customerId"),
        "items": order.get("items"),
    }
    for optional in ("probe", "chaos"):
        if order.get(optional) is not None:
            payload[optional] = order[optional]
    return payload


def post_delivery(payload: Mapping[str, Any], *, timeout_s: float) -> Attempt:
    """One POST to ``{COURIER_URL}/deliveries``; never raises for HTTP or network errors."""
    request = urllib.request.Request(
        f"{COURIER_URL}/deliveries",
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            answer.read()
            return Attempt(status=answer.status)
    except urllib.error.HTTPError as exc:
        return Attempt(status=exc.code, retry_after_s=_retry_after(exc.headers.get("Retry-After")))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return Attempt(status=None, error=f"{type(reason).__name__}: {reason}".rstrip(": "))


def deliver(order: Mapping[str, Any], *, deadline: float) -> tuple[int, Attempt]:
    """Deliver one order with retries; (attempts made, last attempt). Raises DeliveryFailed.

    ``deadline`` is a ``time.monotonic()`` value past which no attempt or wait may end.
    """
    order_id = str(order["orderId"])
    payload = courier_payload(order)
    for attempt_no in range(1, MAX_ATTEMPTS + 1):
        left = deadline - time.monotonic()
        if left < MIN_ATTEMPT_S:
            raise DeliveryFailed("no time left in this invocation", attempts=attempt_no - 1)
        attempt = post_delivery(
            with_courier_fault(payload, order_id=order_id, attempt_no=attempt_no),
            timeout_s=min(COURIER_TIMEOUT_S, left),
        )
        if attempt.delivered:
            return attempt_no, attempt
        if not attempt.retryable:
            raise DeliveryFailed(f"courier refused: {attempt.describe()}", attempts=attempt_no)
        if attempt_no == MAX_ATTEMPTS:
            raise DeliveryFailed(f"attempts exhausted, last: {attempt.describe()}", attempts=attempt_no)
        wait_s = max(
            _rng.uniform(RETRY_MIN_WAIT_S, RETRY_MAX_WAIT_S), min(attempt.retry_after_s, RETRY_MAX_WAIT_S)
        )
        if time.monotonic() + wait_s + MIN_ATTEMPT_S > deadline:
            raise DeliveryFailed(f"no time left to retry, last: {attempt.describe()}", attempts=attempt_no)
        logger.info(
            "courier attempt failed, retrying",
            extra={
                "status": "RETRYING",
                "attempt": attempt_no,
                "reason": attempt.describe(),
                "waitS": wait_s,
            },
        )
        _sleep(wait_s)
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- faults


def with_courier_fault(payload: Mapping[str, Any], *, order_id: str, attempt_no: int) -> dict[str, Any]:
    """The payload for one attempt, with a rate-drawn courier fault added to ``chaos``; logs faults."""
    chaos = list(payload.get("chaos") or [])
    marked = [name for name in COURIER_FAULTS if name in chaos]
    trigger: Trigger = "marker"
    if not marked:
        rates = faults.rates()
        drawn = next((name for name in COURIER_FAULTS if faults.draw(rates.get(name))), None)
        if drawn is None:
            return dict(payload)
        marked, trigger = [drawn], "rate"
        chaos.append(drawn)
    logger.warning(
        "fault injected",
        extra={"fault": marked[0], "orderId": order_id, "trigger": trigger, "attempt": attempt_no},
    )
    faults.report(marked[0], order_id=order_id, trigger=trigger, detail={"attempt": attempt_no})
    return {**payload, "chaos": chaos}


# --------------------------------------------------------------------------- the batch


def order_from_record(record: SQSRecord) -> dict[str, Any]:
    """The order carried by one SQS message (an EventBridge event whose detail is the order)."""
    event = json.loads(record.body)
    detail = event.get("detail") if isinstance(event, dict) else None
    if isinstance(detail, str):
        detail = json.loads(detail)
    if not isinstance(detail, dict) or not isinstance(detail.get("orderId"), str):
        raise ValueError("message is not an OrderCreated event with detail.orderId")
    return detail


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    """Deliver one record; raising marks it as a batch item failure."""
    try:
        order = order_from_record(record)
    except ValueError as exc:
        logger.set_correlation_id(None)
        logger.error(
            "delivery failed", extra={"status": "FAILED", "messageId": record.message_id, "reason": str(exc)}
        )
        raise
    logger.set_correlation_id(order["orderId"])
    logger.info("delivery started", extra={"status": "START", "messageId": record.message_id})
    try:
        attempts, last = deliver(order, deadline=_deadline(lambda_context))
    except DeliveryFailed as exc:
        logger.error(
            "delivery failed", extra={"status": "FAILED", "attempts": exc.attempts, "reason": exc.reason}
        )
        raise
    logger.info("delivered", extra={"status": "COMPLETED", "attempts": attempts, "httpStatus": last.status})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


# --------------------------------------------------------------------------- helpers


def _deadline(context: LambdaContext | None) -> float:
    if context is None:
        return math.inf
    return time.monotonic() + context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_S


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:  # an HTTP date: not worth parsing, the jittered wait applies
        return 0.0
