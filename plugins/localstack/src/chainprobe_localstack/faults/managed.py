"""Managed-service faults: decided and logged here, failed by the providers the way AWS fails them.

Where a request names its order and its markers is the registry's ``location`` for the fault and the
table or bus (``locations.py``; by default a top-level ``orderId`` and ``chaos``).

- ``dynamodb-throttle``: a PutItem whose item's markers (an ``L`` of ``S``, an ``SS``) name the fault,
  or a draw at the fault's rate, is throttled: the provider raises
  ProvisionedThroughputExceededException. Every throttled call is logged once, so a client that
  retries (botocore does, 3 attempts in standard mode) logs one entry per attempt, as AWS would
  count one ThrottledRequests per attempt.
- ``events-entry-failure``: a PutEvents entry whose ``Detail`` has the fault among its markers,
  or a draw at the fault's rate, fails alone (``InternalFailure``, ``FailedEntryCount`` > 0, HTTP
  200). Logged once per failed entry.

No LocalStack import here: the providers import this module, not the other way round.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chainprobe_localstack.faults.locations import DEFAULT_LOCATION, resource_name
from chainprobe_localstack.faults.registry import REGISTRY, FaultRegistry, FiredFault

DYNAMODB_THROTTLE = "dynamodb-throttle"
EVENTS_ENTRY_FAILURE = "events-entry-failure"
THROTTLE_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)
ENTRY_FAILURE_CODE = "InternalFailure"
ENTRY_FAILURE_MESSAGE = f"Injected fault: {EVENTS_ENTRY_FAILURE}"


def item_markers(item: Mapping[str, Any]) -> list[str]:
    """The strings of an item's top-level ``chaos`` attribute (the default location)."""
    return DEFAULT_LOCATION.item_markers(item)


def put_item_throttle(
    put_item_input: Mapping[str, Any], *, registry: FaultRegistry = REGISTRY
) -> FiredFault | None:
    """The logged throttle when this PutItem call must be throttled, else None."""
    item = put_item_input.get("Item")
    item = item if isinstance(item, Mapping) else {}
    location = registry.location(DYNAMODB_THROTTLE, resource_name(put_item_input.get("TableName")))
    trigger = registry.fires(DYNAMODB_THROTTLE, location.item_markers(item))
    if trigger is None:
        return None
    return registry.record(
        DYNAMODB_THROTTLE,
        order_id=location.item_order_id(item),
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
    bus = resource_name(entry.get("EventBusName")) or "default"
    location = registry.location(EVENTS_ENTRY_FAILURE, bus)
    trigger = registry.fires(EVENTS_ENTRY_FAILURE, location.detail_markers(detail))
    if trigger is None:
        return None
    return registry.record(
        EVENTS_ENTRY_FAILURE,
        order_id=location.detail_order_id(detail),
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
