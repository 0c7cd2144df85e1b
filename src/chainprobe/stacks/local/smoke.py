"""The order ``up`` sends to prove the chain works end to end before it says the stack is up."""

from __future__ import annotations

import time
import uuid

import httpx

from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.courier_admin import CourierAdmin
from chainprobe.stacks.endpoints import StackEndpoints
from chainprobe.stacks.exceptions import SmokeOrderError


def courier_saw(courier_url: str, order_id: str) -> bool:
    """Whether the courier stub's journal holds a ``POST /deliveries`` for ``order_id`` (CourierAdminError
    when its admin API does not answer within 5 s)."""
    admin = CourierAdmin(courier_url, timeout=5.0)
    found = admin.find(method="POST", url="/deliveries", json_path=f"$[?(@.orderId == '{order_id}')]")
    return bool(found)


def send_smoke_order(endpoints: StackEndpoints, clients: AwsClients, *, timeout: float) -> str:
    """Sends one tagged order and waits until its item exists and the courier was called."""
    order_id = f"o-smoke-{uuid.uuid4().hex[:12]}"
    order = {
        "orderId": order_id,
        "customerId": "c-smoke",
        "items": [{"sku": "w-1", "quantity": 1}],
        "amount": 1.0,
        "probe": {"runId": "smoke", "seq": 0},
    }
    try:
        response = httpx.post(f"{endpoints.api_url}/orders", json=order, timeout=30.0)
    except httpx.HTTPError as e:
        raise SmokeOrderError(f"smoke order: the API did not answer: {e}") from e
    if response.status_code != 201:
        raise SmokeOrderError(f"smoke order: API answered {response.status_code}: {response.text[:200]}")
    item = clients.client("dynamodb").get_item(
        TableName=endpoints.table, Key={"orderId": {"S": order_id}}, ConsistentRead=True
    )
    if "Item" not in item:
        raise SmokeOrderError(f"smoke order {order_id}: answered 201 but no item in {endpoints.table}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if courier_saw(endpoints.courier_url, order_id):
            return order_id
        time.sleep(0.5)
    raise SmokeOrderError(f"smoke order {order_id}: the courier was not called within {timeout:.0f} s")
