"""A master and two workers, each in its own network namespace and working directory, one worker killed.

Needs root and ``ip netns`` (skipped otherwise, with the reason). The namespaces: the master's holds a
bridge (10.231.0.1/24) with one veth pair to each worker's (10.231.0.2, .3); nothing else routes between
them. Each namespace reaches the host's local stack on its own loopback, at the host's very ports, through
``tests.integration.netns_forward``. The master (``chainprobe load --expect-workers 2``) works in its
directory with the ledger; each worker (``chainprobe worker --master 10.231.0.1:P``) in its own, with
a ``CHAINPROBE_LEDGER`` there that must never be created: orders reach the master's ledger only through
Locust's messages. (The installed code, ``.venv``, is the one thing the processes share.)

A rate fault runs throughout (``handler-500`` at 25%, drawn by the chain per request and logged by the
fault registry: the ground truth). The report's ``http_5xx`` orders are exactly the logged orders that
were answered. The killed worker's orders relate to the log as follows: a ``not_sent`` order never reached
the chain, so the log never names one; a ``maybe_sent`` order may have reached it (then the fault may
have fired on it) or not, and its answer was lost with its worker: it is judged by what the chain kept,
and a faulted one kept nothing (the fault answers before the item is written), so it is ``api_timeout``,
never ``http_5xx``. The survivor's share is all answered, so the fault log names some of its orders.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainprobe.drive.load.shapes import load_shapes
from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.stacks.local.faults import FaultRegistryClient
from tests.integration.conftest import RunningStack

ROOT = Path(__file__).resolve().parents[2]
CHAINPROBE = str(Path(sys.executable).parent / "chainprobe")
SHAPE = load_shapes(environ={}).get("arrival-ramp").scaled(0.25)  # 30 s, 165 orders, 1 -> 10/s
SHAPE_ARGS = ("--shape", "arrival-ramp", "--time-scale", "0.25")
REPORTS = ("--no-metric-math", "--report-dir", "reports")
MASTER_ADDRESS, MASTER_PORT = "10.231.0.1", 5557
RATE_FAULT, FAULT_RATE = "handler-500", 0.25

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None,
    reason="needs root and iproute2 (ip netns) to give the master and each worker a network of its own",
)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str, str]]:
    tag = secrets.token_hex(2)
    master, workers = f"cpm-{tag}", (f"cpw1-{tag}", f"cpw2-{tag}")
    made: list[str] = []
    try:
        for name in (master, *workers):
            ip("netns", "add", name)
            made.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        ip("-n", master, "link", "add", "br0", "type", "bridge")
        ip("-n", master, "addr", "add", f"{MASTER_ADDRESS}/24", "dev", "br0")
        ip("-n", master, "link", "set", "br0", "up")
        for number, worker in enumerate(workers, start=1):
            near, far = f"cpm{number}-{tag}", f"cpw{number}-{tag}"
            ip("link", "add", near, "type", "veth", "peer", "name", far)
            ip("link", "set", near, "netns", master)
            ip("link", "set", far, "netns", worker)
            ip("-n", master, "link", "set", near, "master", "br0")
            ip("-n", master, "link", "set", near, "up")
            ip("-n", worker, "addr", "add", f"10.231.0.{number + 1}/24", "dev", far)
            ip("-n", worker, "link", "set", far, "up")
        yield master, workers[0], workers[1]
    finally:
        for name in made:  # deleting a namespace deletes its veth ends (and the peers)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


@pytest.fixture
def forwarded(namespaces: tuple[str, str, str], local_stack: RunningStack) -> Iterator[None]:
    ports = (local_stack.config.localstack_port, local_stack.config.courier_port)
    pairs = [f"{name}:{port}" for name in namespaces for port in ports]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.netns_forward", *pairs],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield
    finally:
        process.kill()
        process.wait()


def in_namespace(
    namespace: str, command: list[str], *, cwd: Path, env: dict[str, str]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ip", "netns", "exec", namespace, *command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ledger_rows(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COUNT(*) FROM orders WHERE sent_at IS NOT NULL").fetchone()[0])
    except sqlite3.OperationalError:  # the ledger is being created
        return 0


def fault_hits(faults: FaultRegistryClient, orders: list[OrderRecord], since: float) -> set[str]:
    """The run's orders the fault log names for the rate fault (the ground truth), all by rate."""
    ids = {o.order_id for o in orders}
    entries = [e for e in faults.log(since=since) if e.order_id in ids]
    assert {(e.fault, e.trigger) for e in entries} <= {(RATE_FAULT, "rate")}, entries
    return {e.order_id for e in entries if e.order_id is not None}


def test_workers_in_other_namespaces_report_every_order_to_the_master_and_a_killed_one_loses_none(
    namespaces: tuple[str, str, str],
    forwarded: None,
    cli_env: dict[str, str],
    tmp_path: Path,
    quick_spec: Path,
    faults: FaultRegistryClient,
) -> None:
    master_ns, worker1_ns, worker2_ns = namespaces
    master_dir, dirs = tmp_path / "master", (tmp_path / "worker-1", tmp_path / "worker-2")
    for folder in (master_dir, *dirs):
        folder.mkdir()
    shutil.copy(quick_spec, master_dir / "orders.yaml")
    shutil.copy(quick_spec, dirs[1] / "my-orders.yaml")  # worker 2: --spec, its own
    ledger = master_dir / "ledger.sqlite"
    master_env = {**cli_env, "CHAINPROBE_LEDGER": str(ledger), "HOME": str(master_dir)}
    worker_envs = [
        {
            **{k: v for k, v in cli_env.items() if k not in ("CHAINPROBE_STATE_DIR", "CHAINPROBE_LEDGER")},
            "CHAINPROBE_LEDGER": str(folder / "never.sqlite"),
            "HOME": str(folder),
        }
        for folder in dirs
    ]
    bind = ("--master-bind-host", MASTER_ADDRESS, "--master-bind-port", str(MASTER_PORT))
    faults_since = time.time()
    faults.set(RATE_FAULT, FAULT_RATE)  # the chain draws it per request; the fixture clears it after
    master = in_namespace(
        master_ns,
        [CHAINPROBE, "load", "--spec", "orders.yaml", *SHAPE_ARGS, "--expect-workers", "2", *bind, *REPORTS],
        cwd=master_dir,
        env=master_env,
    )
    address = f"{MASTER_ADDRESS}:{MASTER_PORT}"
    workers = [
        in_namespace(
            worker1_ns, [CHAINPROBE, "worker", "--master", address], cwd=dirs[0], env=worker_envs[0]
        ),
        in_namespace(
            worker2_ns,
            [CHAINPROBE, "worker", "--master", address, "--spec", "my-orders.yaml"],
            cwd=dirs[1],
            env=worker_envs[1],
        ),
    ]
    try:
        deadline = time.monotonic() + 150
        while ledger_rows(ledger) < 40 and time.monotonic() < deadline and master.poll() is None:
            time.sleep(0.2)
        assert ledger_rows(ledger) >= 40, "the distributed load did not start"
        os.kill(workers[0].pid, signal.SIGKILL)  # ip netns exec execs: this pid is the worker itself
        stdout, stderr = master.communicate(timeout=240)
        _out, survivor_err = workers[1].communicate(timeout=60)
    finally:
        for process in (master, *workers):
            if process.poll() is None:
                process.kill()
                process.wait()

    assert master.returncode == 1, stderr  # the killed worker's share was not sent: incomplete
    assert "Traceback" not in stderr, stderr
    assert workers[1].returncode == 0, survivor_err
    assert "2 Locust workers" in stdout
    assert not any((folder / "never.sqlite").exists() for folder in dirs)  # no worker opened a ledger
    report = json.loads((master_dir / "reports" / "report.json").read_text())
    run_id = report["run_id"]
    with Ledger(ledger) as opened:
        orders = opened.orders(run_id)
    # every planned order is in the master's ledger, once, and the report counts exactly what it holds
    assert [o.seq for o in orders] == list(range(SHAPE.planned_orders))
    verdicts = Counter(o.chain_verdict for o in orders)
    counts = report["orders"]
    assert counts["good"] == verdicts[Verdict.GOOD] and counts["bad"] == verdicts[Verdict.BAD]
    assert counts["not_sent"] == verdicts[Verdict.NOT_SENT] > 0  # the killed worker's later share
    assert counts["maybe_sent"] == sum(1 for o in orders if o.maybe_sent)
    assert counts["sent"] + counts["not_sent"] == SHAPE.planned_orders
    # Locust numbers workers in the order they connect: which share (seq parity) was the killed one's is
    # found from the ledger. The survivor's share was all answered; the killed one's stopped early.
    unsent_parities = {o.seq % 2 for o in orders if o.chain_verdict is Verdict.NOT_SENT}
    assert len(unsent_parities) == 1
    killed_parity = unsent_parities.pop()
    survivor = [o for o in orders if o.seq % 2 != killed_parity]
    assert all(o.answered for o in survivor), [o.seq for o in survivor if not o.answered]
    killed = [o for o in orders if o.seq % 2 == killed_parity]
    assert any(o.answered for o in killed)
    latencies = sorted(o.api_latency_ms for o in orders if o.api_latency_ms is not None and o.answered)
    assert len(latencies) == sum(1 for o in orders if o.answered)  # exact: one per answered order
    # the rate fault: the report's http_5xx orders are exactly the answered orders the fault log names
    hit = fault_hits(faults, orders, faults_since)
    answered_hits = {o.order_id for o in orders if o.answered} & hit
    http_5xx = {o.order_id for o in orders if o.chain_failure is FailureClass.HTTP_5XX}
    assert http_5xx == answered_hits
    assert counts["by_class"].get(FailureClass.HTTP_5XX.value, 0) == len(answered_hits)
    assert {o.order_id for o in survivor} & hit  # the fault fired where every order was answered
    assert not {o.order_id for o in orders if o.chain_verdict is Verdict.NOT_SENT} & hit  # never reached it
    assert not {o.order_id for o in orders if o.chain_verdict is Verdict.GOOD} & hit
    unanswered_hits = hit - answered_hits
    assert unanswered_hits <= {o.order_id for o in orders if o.maybe_sent}

    batches = [
        line
        for line in (ledger.parent / "load" / run_id / "master.log").read_text().splitlines()
        if "order batches" in line
    ]
    print(
        f"\ndistributed: {dict(counts)}; {RATE_FAULT} logged on {len(hit)} orders "
        f"({len(answered_hits)} answered, {len(unanswered_hits)} maybe_sent); "
        f"{batches[-1] if batches else 'no batch line'}"
    )
    finished = subprocess.run(
        ["ip", "netns", "exec", master_ns, CHAINPROBE, "verify", "--run", run_id],
        cwd=master_dir,
        env=master_env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 1 and "Traceback" not in finished.stderr, finished.stderr  # still short
    with Ledger(ledger) as opened:
        finished_orders = opened.orders(run_id)
    assert [o.seq for o in finished_orders if o.pending] == []
    # a maybe_sent order the fault hit kept nothing downstream: bad, by its lost answer's timeout
    assert {
        o.order_id: o.chain_failure for o in finished_orders if o.order_id in unanswered_hits
    } == dict.fromkeys(unanswered_hits, FailureClass.API_TIMEOUT)
