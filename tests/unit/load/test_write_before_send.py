"""A Locust user records each order in the ledger, with its send time, before the order's request leaves.

The Locust process runs against a stub API on 127.0.0.1 that, when a request arrives, reads the ledger
through a connection of its own (only what is committed counts) and notes whether the order is there
with ``sent_at`` set: the order of the two is checked, not only that both happened.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chainprobe.drive.load import DriverEnd, DriverProcesses, RunContext, load_shapes
from chainprobe.ledger import Ledger, OrderRecord

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "probes" / "orders.yaml"
SHAPE = load_shapes(environ={}).get("arrival-ramp").scaled(0.02)  # a dozen arrivals in under 3 s


class LedgerWatchingApi(ThreadingHTTPServer):
    """Answers 201 and notes, per order id, (found in the ledger, its sent_at, when the request came)."""

    ledger_path: Path
    seen: dict[str, tuple[bool, float | None, float]]


class Handler(BaseHTTPRequestHandler):
    server: LedgerWatchingApi

    def do_POST(self) -> None:
        arrived = time.time()
        order = json.loads(self.rfile.read(int(self.headers["content-length"])))
        with Ledger(self.server.ledger_path) as reader:
            record = reader.find_order(order["orderId"])
        self.server.seen[order["orderId"]] = (
            record is not None,
            None if record is None else record.sent_at,
            arrived,
        )
        payload = json.dumps({"orderId": order["orderId"], "status": "CREATED"}).encode()
        self.send_response(201)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def api(tmp_path: Path) -> Iterator[LedgerWatchingApi]:
    server = LedgerWatchingApi(("127.0.0.1", 0), Handler)
    server.ledger_path = tmp_path / "ledger.sqlite"
    server.seen = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def drive_orders(
    api: LedgerWatchingApi, tmp_path: Path, *, workers: int
) -> tuple[DriverEnd, list[OrderRecord]]:
    """SHAPE driven at ``api`` as ``chainprobe load`` drives it (``workers`` 0: one process); how the
    drivers ended and the run's orders in the ledger."""
    with Ledger(api.ledger_path) as ledger:
        run_id = ledger.create_run(spec_path=str(SPEC), spec_name="orders", target="stub").run_id
        context = RunContext(
            run_id=run_id,
            spec_path=str(SPEC),
            endpoints={
                "api_url": f"http://127.0.0.1:{api.server_address[1]}/prod",
                "courier_url": "http://127.0.0.1:9",
                "region": "us-east-1",
            },
            ledger_path=str(ledger.path),
            shape=SHAPE,
            processes=max(1, workers),
        )
        drivers = DriverProcesses(
            context=context, workers=workers, directory=tmp_path / "load", max_seconds=60, grace=20
        )
        drivers.start()
        ended = drivers.wait(timeout=90)
        return ended, ledger.orders(run_id)


def test_each_order_is_in_the_ledger_with_its_send_time_before_its_request_leaves(
    api: LedgerWatchingApi, tmp_path: Path
) -> None:
    ended, orders = drive_orders(api, tmp_path, workers=0)

    assert ended.failed is None, ended
    assert len(orders) == SHAPE.planned_orders and set(api.seen) == {o.order_id for o in orders}
    for order_id, (recorded, sent_at, arrived) in api.seen.items():
        assert recorded, f"{order_id} reached the API before the ledger had it"
        assert sent_at is not None and sent_at <= arrived, (
            f"{order_id} left before its send time was recorded"
        )
    assert all(o.api_status == 201 for o in orders)


def test_a_workers_order_is_in_the_masters_ledger_before_its_request_leaves(
    api: LedgerWatchingApi, tmp_path: Path
) -> None:
    """Distributed, only the master writes the ledger: each order a worker sends was announced to the
    master and committed (planned) before the request left; its send time is reported just after."""
    ended, orders = drive_orders(api, tmp_path, workers=2)

    assert ended.failed is None, ended
    assert [o.seq for o in orders] == list(range(SHAPE.planned_orders))
    assert set(api.seen) == {o.order_id for o in orders}
    assert all(recorded for recorded, _sent_at, _arrived in api.seen.values()), (
        "sent before the master had it"
    )
    for order in orders:
        assert order.api_status == 201 and order.sent_at is not None
        assert order.sent_at <= api.seen[order.order_id][2]  # the reported send time precedes the arrival
