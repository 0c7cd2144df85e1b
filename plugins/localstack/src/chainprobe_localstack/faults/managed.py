"""Managed-service faults: decided and logged here, failed by the providers the way AWS fails them.

- ``dynamodb-throttle``: a PutItem whose item's ``chaos`` list (an ``L`` of ``S``) names the fault,
  or a draw at the fault's rate, is throttled: the provider raises
  ProvisionedThroughputExceededException. Every throttled call is logged once, so a client that
  retries (botocore does, 3 attempts in standard mode) logs one entry per attempt, as AWS would
  count one ThrottledRequests per attempt.
- ``events-entry-failure``: a PutEvents entry whose ``Detail`` has the fault in its ``chaos`` list,
  or a draw at the fault's rate, fails alone (``InternalFailure``, ``FailedEntryCount`` > 0, HTTP
  200). Logged once per failed entry.

No LocalStack import here: the providers import this module, not the other way round.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chainprobe_localstack.faults.registry import REGISTRY, FaultRegistry, FiredFault

DYNAMODB_THROTTLE = "dynamodb-throttle"
EVENTS_ENTRY_FAILURE = "events-entry-failure"
THROTTLE_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)
ENTRY_FAILURE_CODE = "InternalFailure"
ENTRY_FAILURE_MESSAGE = f"Injected fault: {EVENTS_ENTRY_FAILURE}"


def _string_attribute(value: object) -> str | None:
    """The string of a DynamoDB ``{"S": ...}`` attribute value, else None."""
    if isinstance(value, Mapping) and isinstance(value.get("S"), str):
        return str(value["S"])
    return None


def item_markers(item: Mapping[str, Any]) -> list[str]:
    """The strings of an item's ``chaos`` attribute (a list ``L`` or a string set ``SS``)."""
    chaos = item.get("chaos")
    if not isinstance(chaos, Mapping):
        return []
    if isinstance(chaos.get("SS"), list):
        return [value for value in chaos["SS"] if isinstance(value, str)]
    if isinstance(chaos.get("L"), list):
        return [s for s in (_string_attribute(value) for value in chaos["L"]) if s is not None]
    return []


def put_item_throttle(
    put_item_input: Mapping[str, Any], *, registry: FaultRegistry = REGISTRY
) -> FiredFault | None:
    """The logged throttle when this PutItem call must be throttled, else None."""
    item = put_item_input.get("Item")
    item = item if isinstance(item, Mapping) else {}
    trigger = registry.fires(DYNAMODB_THROTTLE, item_markers(item))
    if trigger is None:
        return None
    return registry.record(
        DYNAMODB_THROTTLE,
        order_id=_string_attribute(item.get("orderId")),
        trigger=trigger,
        detail={
            "service": "dynamodb",
            "operation": "PutItem",
            "tableName": put_item_input.get("TableName"),
        },
    )


def entry_detail(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A PutEvents entry's ``Detail`` as an object ({} when absent or not a JSON object)."""
    try:
        detail = json.loads(entry.get("Detail") or "{}")
    except (TypeError, ValueError):
        return {}
    return detail if isinstance(detail, dict) else {}


def put_events_entry_failure(
    entry: Mapping[str, Any], *, registry: FaultRegistry = REGISTRY
) -> FiredFault | None:
    """The logged failure when this PutEvents entry must fail, else None."""
    detail = entry_detail(entry)
    chaos = detail.get("chaos")
    markers = [c for c in chaos if isinstance(c, str)] if isinstance(chaos, list) else []
    trigger = registry.fires(EVENTS_ENTRY_FAILURE, markers)
    if trigger is None:
        return None
    order_id = detail.get("orderId")
    return registry.record(
        EVENTS_ENTRY_FAILURE,
        order_id=order_id if isinstance(order_id, str) else None,
        trigger=trigger,
        detail={
            "service": "events",
            "operation": "PutEvents",
            "eventBusName": entry.get("EventBusName") or "default",
            "detailType": entry.get("DetailType"),
            "errorCode": ENTRY_FAILURE_CODE,
        },
    )


def failed_entry() -> dict[str, str]:
    """The result entry AWS gives a failed PutEvents entry."""
    return {"ErrorCode": ENTRY_FAILURE_CODE, "ErrorMessage": ENTRY_FAILURE_MESSAGE}
