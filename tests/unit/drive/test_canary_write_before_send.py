"""The canary records every order in the ledger, with its send time, before the order's request leaves.

The order of the two is what is checked: the fake transport, when a request arrives, reads the ledger
through a connection of its own (so only what is committed counts) and notes whether the order is
there with ``sent_at`` set. Afterwards every order must have been seen so, and answered.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from chainprobe.drive.canary import Canary
from chainprobe.ledger import Ledger
from chainprobe.spec import parse_spec

SPEC = parse_spec(
    """
name: shop
send:
  endpoint: "${api_url}/orders"
  payload: {customerId: c-1}
  order_id_path: orderId
  tag_path: probe
api: {expected_status: [201]}
deadlines: {api: 5}
""",
    source="shop.yaml",
)
COUNT = 6


@dataclass
class LedgerWatchingApi:
    """Answers 201; for each request, what the ledger (read apart) held for its order at that moment."""

    ledger_path: Path
    seen: dict[str, tuple[bool, float | None, float]] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        arrived = time.time()
        order_id = json.loads(request.content)["orderId"]
        with Ledger(self.ledger_path) as reader:
            record = reader.find_order(order_id)
        self.seen[order_id] = (record is not None, None if record is None else record.sent_at, arrived)
        return httpx.Response(201, json={"orderId": order_id, "status": "CREATED"})


def test_each_order_is_in_the_ledger_with_its_send_time_before_its_request_leaves(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    api = LedgerWatchingApi(path)
    with Ledger(path) as ledger:
        run_id = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="test").run_id
        canary = Canary(
            spec=SPEC,
            endpoints={"api_url": "http://api.test"},
            ledger=ledger,
            count=COUNT,
            rate=500.0,
            client=httpx.Client(transport=httpx.MockTransport(api)),
        )
        canary.send(run_id)
        orders = ledger.orders(run_id)

    assert len(orders) == COUNT and set(api.seen) == {o.order_id for o in orders}  # every order was sent
    for order_id, (recorded, sent_at, arrived) in api.seen.items():
        assert recorded, f"{order_id} reached the API before the ledger had it"
        assert sent_at is not None and sent_at <= arrived, (
            f"{order_id} left before its send time was recorded"
        )
    assert all(o.api_status == 201 for o in orders)
