"""The recorder's group commit (``order_recorder_cases``, in a gevent-patched process of its own, as a
Locust process is): every call returns only once its write is committed, queued writes share one
transaction, a failing write fails alone, calls one at a time are one transaction each; and a process
killed while writes are in flight has kept every order whose ``plan_sent`` returned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chainprobe.ledger import Ledger

ROOT = Path(__file__).resolve().parents[3]
CASES = [sys.executable, "-m", "tests.unit.load.order_recorder_cases"]


def test_group_commit_keeps_write_before_send_and_each_callers_outcome(tmp_path: Path) -> None:
    ran = subprocess.run(
        [*CASES, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert ran.returncode == 0 and ran.stdout.strip() == "ok", ran.stderr[-3000:]


def test_a_process_killed_mid_batch_keeps_every_order_it_returned_for(tmp_path: Path) -> None:
    ran = subprocess.run(
        [*CASES, str(tmp_path), "kill"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert ran.returncode == -9, ran.stderr[-3000:]  # SIGKILL: nothing after it ran
    header, *lines = ran.stdout.splitlines()
    path, run_id = header.split()
    returned = {int(line) for line in lines}
    assert len(returned) >= 200
    with Ledger(path) as ledger:
        recorded = {order.seq for order in ledger.orders(run_id)}
    assert returned <= recorded, sorted(returned - recorded)[:10]
