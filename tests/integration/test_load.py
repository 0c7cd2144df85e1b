"""``chainprobe load`` end to end on the real local stack: an arrival ramp, two workers, a killed worker.

Each run is the shipped ``arrival-ramp`` shape compressed in time (``--time-scale``): the rates are
the design's (1 -> 10 orders/s), the durations 12-30 s. Verdicts are not asserted (a loaded 2-core
machine may well breach the SLO): the accounting is. Every arrival of the shape is recorded once in
the ledger, sent, and judged; the report, the ledger and Locust count the same orders.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from chainprobe.drive.load.shapes import load_shapes
from chainprobe.ledger.model import OrderRecord, Verdict
from chainprobe.ledger.store import Ledger
from tests.integration.conftest import RunningStack, free_port

ROOT = Path(__file__).resolve().parents[2]
CHAINPROBE = [str(Path(sys.executable).parent / "chainprobe")]
ARRIVAL_RAMP = load_shapes(environ={}).get("arrival-ramp")
WORKERS = ("--workers", "2", "--no-metric-math")


@pytest.fixture(scope="module", autouse=True)
def settled_stack(local_stack: RunningStack) -> Iterator[None]:
    """After this module's load, waits (up to 90 s) until the shared stack answers quickly again, so the
    tests that follow do not inherit a backlog: on a starved 2-core machine the local Lambda executor
    replaces each timed-out function process with a cold one, and needs a quiet moment to catch up."""
    yield
    url = f"{local_stack.endpoints.api_url}/orders"
    order = {"customerId": "c-settle", "items": [{"sku": "w-1", "quantity": 1}], "amount": 1.0}
    deadline, quick = time.monotonic() + 90, 0
    while quick < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            answered = httpx.post(url, json=order, timeout=5).status_code == 201
        except httpx.HTTPError:
            answered = False
        quick = quick + 1 if answered and time.monotonic() - started < 2 else 0
        time.sleep(0.5)


def load(
    env: dict[str, str], spec: Path, *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHAINPROBE, "load", "--spec", str(spec), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ledger_orders(ledger_path: Path, run_id: str) -> list[OrderRecord]:
    with Ledger(ledger_path) as ledger:
        return ledger.orders(run_id)


def assert_judged(orders: list[OrderRecord]) -> None:
    """Every order has a final verdict: good, or bad with its class (or never sent, then in no SLI)."""
    assert [o.seq for o in orders if o.pending] == []
    for order in orders:
        assert order.chain_verdict in (Verdict.GOOD, Verdict.BAD, Verdict.NOT_SENT), order
        if order.chain_verdict is Verdict.BAD:
            assert order.chain_failure is not None, order


def reports(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    report = json.loads((folder / "report.json").read_text())
    return report, json.loads((folder / "load.json").read_text())


def test_an_arrival_ramp_sends_every_planned_order_and_accounts_for_each(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    shape = ARRIVAL_RAMP.scaled(0.25)  # 30 s, 165 orders, 1 -> 10/s

    ran = load(
        cli_env,
        quick_spec,
        *("--shape", "arrival-ramp", "--time-scale", "0.25", "--report-dir", str(tmp_path / "reports")),
        *("--metric-math-wait", "10"),
    )

    assert ran.returncode in (0, 1), ran.stderr
    assert "Traceback" not in ran.stderr
    report, load_report = reports(tmp_path / "reports")
    assert report["complete"] is True and report["end_reason"] is None  # it sent its whole shape
    orders = ledger_orders(ledger_path, report["run_id"])
    sent = [o for o in orders if o.sent_at is not None]
    assert [o.seq for o in orders] == list(range(shape.planned_orders))  # each arrival once
    assert report["orders"]["sent"] == len(sent) == len(orders) == shape.planned_orders == 165
    assert load_report["locust"]["requests"] == len(orders)  # Locust saw one request per order
    assert report["orders"]["good"] + report["orders"]["bad"] == len(sent)
    assert sum(report["orders"]["by_class"].values()) == report["orders"]["bad"]
    assert_judged(orders)
    assert all(o.sent_at is not None and o.sent_at >= o.planned_at for o in orders)
    assert load_report["planned"]["orders"] == load_report["achieved"]["sent"] == 165
    assert load_report["achieved"]["lateness_ms"]["p50"] < 1000  # an open model: on time while users are free
    assert len(load_report["series"]) == 30
    assert "arrivals    planned 165 at 5.50/s (peak 10/s); sent 165" in ran.stdout
    assert "locust      165 requests" in ran.stdout
    assert (
        "## Load: arrival-ramp x0.25 (30 s), 1 Locust process"
        in (tmp_path / "reports" / "summary.md").read_text()
    )


def test_a_load_cut_short_by_max_seconds_is_incomplete(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    """``--max-seconds`` before the shape's end: the orders that left are judged and reported, but the run
    did not send what its shape planned, so it is never graded as complete."""
    shape = ARRIVAL_RAMP.scaled(0.1)  # 12 s, 66 orders
    ran = load(
        cli_env,
        quick_spec,
        *("--shape", "arrival-ramp", "--time-scale", "0.1", "--max-seconds", "8", "--no-metric-math"),
        *("--report-dir", str(tmp_path / "reports")),
    )

    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    report, load_report = reports(tmp_path / "reports")
    counts = report["orders"]
    assert counts["sent"] == counts["good"] + counts["bad"] + counts["pending"] < shape.planned_orders
    assert report["complete"] is False
    assert report["end_reason"] == (
        f"the load sent {counts['sent']} of the {shape.planned_orders} orders its shape planned "
        "(stopped by --max-seconds 8)"
    )
    assert report["slo"]["met"] is False
    assert f"run {report['run_id']} incomplete: {report['end_reason']}" in ran.stderr
    assert load_report["achieved"]["sent"] == counts["sent"]


def test_two_workers_share_the_arrivals(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    shape = ARRIVAL_RAMP.scaled(0.1)  # 12 s, 66 orders

    ran = load(
        cli_env,
        quick_spec,
        *("--shape", "arrival-ramp", "--time-scale", "0.1", "--workers", "2", "--no-metric-math"),
        *("--report-dir", str(tmp_path / "reports")),
    )

    assert ran.returncode in (0, 1), ran.stderr
    report, load_report = reports(tmp_path / "reports")
    orders = ledger_orders(ledger_path, report["run_id"])
    assert [o.seq for o in orders] == list(range(shape.planned_orders))  # no seq twice across workers
    assert {o.seq % 2 for o in orders} == {0, 1}  # worker i sends seq i, i + 2, i + 4, ...
    assert report["orders"]["sent"] == len(orders) == load_report["locust"]["requests"] == 66
    assert load_report["processes"] == 2
    assert_judged(orders)
    logs = ledger_path.parent / "load" / report["run_id"]
    assert {p.name for p in logs.glob("*.log")} == {"master.log", "worker-1.log", "worker-2.log"}
    assert "2 Locust workers" in ran.stdout


def planned_count(ledger_path: Path) -> tuple[str | None, int]:
    if not ledger_path.exists():
        return None, 0
    try:
        with sqlite3.connect(ledger_path) as db:
            row = db.execute("SELECT run_id, COUNT(*) FROM orders GROUP BY run_id").fetchone()
    except sqlite3.OperationalError:  # the ledger is being created
        return None, 0
    return (row[0], row[1]) if row else (None, 0)


def wait_for_orders(ledger_path: Path, at_least: int, deadline: float) -> tuple[str | None, int]:
    run_id, planned = None, 0
    while time.monotonic() < deadline and planned < at_least:
        time.sleep(0.2)
        run_id, planned = planned_count(ledger_path)
    return run_id, planned


def test_a_worker_killed_mid_run_loses_no_order(
    cli_env: dict[str, str], ledger_path: Path, quick_spec: Path
) -> None:
    process = subprocess.Popen(
        [
            *CHAINPROBE,
            "load",
            "--spec",
            str(quick_spec),
            "--shape",
            "arrival-ramp",
            "--time-scale",
            "0.25",
            *WORKERS,
        ],
        env=cli_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_id, planned = wait_for_orders(ledger_path, 40, time.monotonic() + 90)
        assert run_id is not None and planned >= 40, "the load did not start"
        workers = [
            child
            for child in psutil.Process(process.pid).children()
            if "worker" in child.cmdline() and "chainprobe.drive.load.runner" in " ".join(child.cmdline())
        ]
        assert len(workers) == 2
        workers[0].send_signal(signal.SIGKILL)
        killed_at = planned_count(ledger_path)[1]
        stdout, stderr = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    # the killed worker's share was never sent: the run is incomplete, its gate not met (exit 1)
    assert process.returncode == 1, stderr
    assert f"(pid {workers[0].pid}) killed by SIGKILL during the run" in stdout
    assert f"run {run_id} incomplete: the load sent " in stderr and "Traceback" not in stderr
    finished = subprocess.run(
        [*CHAINPROBE, "verify", "--run", run_id],
        env=cli_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 1 and "Traceback" not in finished.stderr, finished.stderr  # still short
    orders = ledger_orders(ledger_path, run_id)
    assert_judged(orders)
    assert len(orders) >= killed_at
    seqs = [o.seq for o in orders]
    assert seqs == list(range(ARRIVAL_RAMP.scaled(0.25).planned_orders))  # every planned order, once
    sent = [o.seq for o in orders if o.sent_at is not None]
    by_parity = {parity: max(s for s in sent if s % 2 == parity) for parity in (0, 1)}
    survivor_last = max(by_parity.values())
    assert survivor_last >= ARRIVAL_RAMP.scaled(0.25).planned_orders - 2  # the survivor sent to the end
    assert min(by_parity.values()) < survivor_last - 20  # the killed worker's share stopped early
    # the rest of its share: recorded by the master as planned and never sent
    assert any(o.chain_verdict is Verdict.NOT_SENT for o in orders if o.seq > min(by_parity.values()))
    assert all(o.sent_at is not None for o in orders if o.api_status is not None)


def test_plain_locust_master_and_workers_record_every_answer_before_verifying(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    """``locust --headless --master`` ends at the shape's end with its workers still running (Locust quits
    the master without stopping them): with every answer 1.5 s late (``handler-latency``), orders are in
    flight then. The master waits for their final reports before it verifies: every planned order in
    its ledger, every order sent has its answer (none left ``maybe_sent``), Locust's exit code the gate's."""
    shape = ARRIVAL_RAMP.scaled(0.1)  # 12 s, 66 orders
    port = str(free_port())
    locust = [str(Path(sys.executable).parent / "locust"), "-f", "loadtests/locustfile.py"]
    fault = [*CHAINPROBE, "fault"]
    subprocess.run([*fault, "set", "handler-latency", "--rate", "1"], env=cli_env, check=True, timeout=60)
    workers = [
        subprocess.Popen(
            [*locust, "--worker", "--master-host", "127.0.0.1", "--master-port", port],
            env=cli_env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        master = subprocess.run(
            [
                *locust,
                *("--headless", "--master", "--expect-workers", "2"),
                *("--master-bind-host", "127.0.0.1", "--master-bind-port", port),
                *("--chainprobe-spec", str(quick_spec), "--chainprobe-shape", "arrival-ramp"),
                *("--chainprobe-time-scale", "0.1", "--chainprobe-report-dir", str(tmp_path / "reports")),
            ],
            env=cli_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
        for worker in workers:
            assert worker.wait(timeout=60) == 0  # the master's quit ends its workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        subprocess.run([*fault, "clear"], env=cli_env, check=True, timeout=60)

    assert "Traceback" not in master.stderr, master.stderr
    assert "waiting for the final reports of" in master.stderr  # orders were in flight at the stop
    report, _load_report = reports(tmp_path / "reports")
    assert master.returncode == (0 if report["slo"]["met"] else 1), master.stderr  # the gate's code
    orders = ledger_orders(ledger_path, report["run_id"])
    assert [o.seq for o in orders] == list(range(shape.planned_orders))  # every planned order, once
    assert [o.seq for o in orders if o.maybe_sent] == []  # every answer (or failure) is in
    assert all(o.sent_at is not None and o.answered for o in orders)
    sent = [o for o in orders if o.sent_at is not None]
    assert len(sent) == report["orders"]["sent"] == shape.planned_orders == 66
    assert report["orders"]["good"] + report["orders"]["bad"] == len(sent)
    assert_judged(orders)
