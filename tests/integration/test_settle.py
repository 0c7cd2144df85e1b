"""Settle windows on the real local stack: a "must not happen" that comes after an order's timeline
looked complete, but inside its settle window, turns the verdict bad; an order with none is good, and
final only once the window has passed.

One canary of four orders; the test watches the ledger and, as soon as an order's timeline is complete
(condition, not time), injects its violation:

- seq 0 asks the chain for ``handler-500`` (the API rejects it); once its answer is recorded, the test
  calls the courier for it: ``courier_unexpected``;
- seq 1: once its event and delivery are observed, the same detail is put on the bus again (a second,
  distinct event): ``event_duplicate``;
- seq 2: once observed, a second courier call: ``courier_duplicate``;
- seq 3: nothing: good, its verdict final only after the courier's settle window.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from boto3.dynamodb.types import TypeDeserializer

from chainprobe.ledger.model import FailureClass, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.target import Target
from tests.integration.spec_variants import Spec, spec_variant
from tests.integration.test_canary import CHAINPROBE, ROOT

WINDOW_S = 45.0  # both stages' settle windows: room for a loaded machine to show the timeline first
CONDITION_TIMEOUT_S = WINDOW_S - 10  # an injection must land well inside the window, or the test says so


def windows(data: Spec) -> None:
    data["event"]["settle_seconds"] = WINDOW_S
    data["courier"]["settle_seconds"] = WINDOW_S


def order_row(ledger_path: Path, seq: int) -> dict[str, Any] | None:
    if not ledger_path.exists():
        return None
    try:
        with sqlite3.connect(ledger_path) as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM orders WHERE seq = ?", (seq,)).fetchone()
    except sqlite3.OperationalError:
        return None  # the canary has created the file but not its tables yet
    return dict(row) if row else None


def wait_for(ledger_path: Path, seq: int, *columns: str) -> dict[str, Any]:
    """The order's row once every column in ``columns`` is set; fails past the settle window's margin."""
    deadline = time.monotonic() + 3 * CONDITION_TIMEOUT_S
    while time.monotonic() < deadline:
        row = order_row(ledger_path, seq)
        if row is not None and all(row[c] is not None for c in columns):
            assert row["chain_verdict"] == "pending", f"seq {seq} was final before its window closed: {row}"
            assert time.time() < row["sent_at"] + CONDITION_TIMEOUT_S, f"seq {seq}: the chain was too slow"
            return row
        time.sleep(0.1)
    raise AssertionError(f"seq {seq}: {columns} never observed")


def event_detail(target: Target, order_id: str) -> dict[str, Any]:
    """The order as the chain stored it: the ``OrderCreated`` detail it published."""
    table = str(target.endpoints.get("table") or "Orders")
    item = target.clients.client("dynamodb").get_item(
        TableName=table, Key={"orderId": {"S": order_id}}, ConsistentRead=True
    )["Item"]
    deserializer = TypeDeserializer()
    detail = {name: deserializer.deserialize(value) for name, value in item.items()}
    plain: dict[str, Any] = json.loads(
        json.dumps(detail, default=lambda n: float(n) if isinstance(n, Decimal) else str(n))
    )
    return plain


def inject_violations(target: Target, ledger_path: Path) -> None:
    """Each order's violation, as soon as the ledger shows what it follows."""
    courier = str(target.endpoints["courier_url"])
    rejected = wait_for(ledger_path, 0, "api_status")
    assert rejected["api_status"] == 500
    httpx.post(f"{courier}/deliveries", json={"orderId": rejected["order_id"]}, timeout=10)

    duplicated = wait_for(ledger_path, 1, "event_at", "courier_at")
    target.clients.client("events").put_events(
        Entries=[
            {
                "Source": "orders.api",
                "DetailType": "OrderCreated",
                "EventBusName": str(target.endpoints.get("bus") or "orders"),
                "Detail": json.dumps(event_detail(target, duplicated["order_id"])),
            }
        ]
    )

    called_twice = wait_for(ledger_path, 2, "event_at", "courier_at")
    httpx.post(f"{courier}/deliveries", json={"orderId": called_twice["order_id"]}, timeout=10)


def test_violations_inside_the_settle_window_turn_verdicts_bad(
    target: Target, cli_env: dict[str, str], ledger_path: Path, tmp_path: Path
) -> None:
    spec_path = spec_variant(tmp_path, "orders-settle.yaml", windows, settle=True)
    reports = tmp_path / "reports"
    options = [
        "--count",
        "4",
        "--rate",
        "2",
        "--fault",
        "handler-500",
        "--fault-every",
        "4",
        "--no-metric-math",
    ]
    canary = subprocess.Popen(
        [
            *CHAINPROBE,
            "canary",
            "--spec",
            str(spec_path),
            *options,
            "--no-metric-math",
            "--report-dir",
            str(reports),
        ],
        env=cli_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        inject_violations(target, ledger_path)
        _, stderr = canary.communicate(timeout=300)
    finally:
        if canary.poll() is None:  # never leave it running: it would drain other tests' events
            canary.kill()
            canary.wait()
    assert canary.returncode == 1 and "Traceback" not in stderr, stderr  # the delivery SLO is breached

    report = json.loads((reports / "report.json").read_text())
    run_id = report["run_id"]
    with Ledger(ledger_path) as ledger:
        orders = {o.seq: o for o in ledger.orders(run_id)}
        run = ledger.get_run(run_id)
    zero, one, two, three = (orders[seq] for seq in range(4))
    assert (zero.chain_failure, zero.delivery_verdict, zero.delivery_failure) == (
        FailureClass.HTTP_5XX,
        Verdict.BAD,
        FailureClass.COURIER_UNEXPECTED,
    )
    assert (one.chain_verdict, one.chain_failure) == (Verdict.BAD, FailureClass.EVENT_DUPLICATE)
    assert (two.chain_verdict, two.delivery_verdict, two.delivery_failure) == (
        Verdict.GOOD,
        Verdict.BAD,
        FailureClass.COURIER_DUPLICATE,
    )
    assert (three.chain_verdict, three.delivery_verdict) == (Verdict.GOOD, Verdict.GOOD)
    # Final only once the courier's window had passed with no violation, and not much later.
    assert three.sent_at is not None and run.ended_at is not None
    assert three.sent_at + WINDOW_S <= run.ended_at <= three.sent_at + WINDOW_S + 30
    assert report["delivery"]["by_class"] == {"courier_duplicate": 1, "courier_unexpected": 1}
    assert report["settle"]["windows_s"] == {"event": WINDOW_S, "courier": WINDOW_S}
    assert report["settle"]["waited"] >= 3  # seq 1, 2 and 3 were held with their timelines complete
