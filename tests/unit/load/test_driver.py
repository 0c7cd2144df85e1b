"""The Locust processes against a stub API on 127.0.0.1: every arrival recorded, sent once, answered.

No local stack: a threaded HTTP stub plays the API (201 and the order id back; a 500 for some orders,
a 201 with an error body for others), so the driver's side is checked in seconds: the ledger's orders,
Locust's request count and failures, and the sequence numbers across workers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chainprobe.drive.load import DriverProcesses, LoadSummary, RunContext, load_shapes
from chainprobe.ledger import Ledger

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "probes" / "orders.yaml"
SHAPE = load_shapes(environ={}).get("arrival-ramp").scaled(0.05)  # 33 arrivals over 6 s, 1 -> 10/s


class StubApi(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        order = json.loads(self.rfile.read(int(self.headers["content-length"])))
        seq = order["probe"]["seq"]
        status, body = 201, {"orderId": order["orderId"], "status": "CREATED"}
        if seq % 10 == 3:
            status, body = 500, {"message": "Internal server error"}
        elif seq % 10 == 7:
            body = {"orderId": order["orderId"], "status": "FAILED"}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/prod"
    server.shutdown()


@pytest.mark.parametrize("workers", [0, 2])
def test_every_arrival_is_recorded_sent_once_and_answered(api_url: str, tmp_path: Path, workers: int) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = ledger.create_run(spec_path=str(SPEC), spec_name="orders", target="stub").run_id
        context = RunContext(
            run_id=run_id,
            spec_path=str(SPEC),
            endpoints={"api_url": api_url, "courier_url": "http://127.0.0.1:9", "region": "us-east-1"},
            ledger_path=str(ledger.path),
            shape=SHAPE,
            processes=max(1, workers),
        )
        drivers = DriverProcesses(
            context=context, workers=workers, directory=tmp_path / "load", max_seconds=60, grace=20
        )
        drivers.start()
        ended = drivers.wait(timeout=90)
        orders = ledger.orders(run_id)

    assert ended.failed is None, ended
    assert [p.returncode for p in ended.processes] == [0] * (1 + workers)
    assert ended.result is not None and ended.result.start is not None
    assert [o.seq for o in orders] == list(range(SHAPE.planned_orders))  # each arrival once, none missing
    assert all(o.sent_at is not None and o.sent_at >= o.planned_at for o in orders)
    assert all(o.api_status is not None for o in orders)
    assert {o.api_status for o in orders if o.seq % 10 == 3} == {500}
    stats = ended.result.stats
    assert stats.requests == len(orders)  # Locust saw one request per order in the ledger
    bad_api = sum(1 for o in orders if o.seq % 10 in (3, 7))
    assert stats.failures == bad_api  # Locust's failures are the spec's API verdicts
    assert any("http_5xx" in error for error in stats.errors)
    assert any("http_2xx_error_body" in error for error in stats.errors)
    summary = LoadSummary.build(shape=SHAPE, orders=orders, result=ended.result)
    assert summary.sent == SHAPE.planned_orders
    assert summary.lateness_ms is not None and summary.lateness_ms["p95"] < 500
    if workers:
        processes = {p.role for p in ended.processes}
        assert processes == {"master", "worker-1", "worker-2"}
        assert ended.result.processes == 2
        assert {o.seq % 2 for o in orders} == {0, 1}  # both workers sent their share
