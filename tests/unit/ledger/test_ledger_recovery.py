"""Crash recovery: whatever was recorded before a crash is there afterwards, and nothing is lost.

The writer runs in a child process that dies without closing its connection (``os._exit``, and
SIGKILL in the middle of a write loop); the ledger is then reopened and the pending orders listed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from chainprobe.ledger import Ledger, RunState, Verdict

SRC = Path(__file__).resolve().parents[3] / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}

WRITER = textwrap.dedent(
    """
    import os, sys
    from chainprobe.ledger import Ledger, OrderOutcome, Verdict
    ledger = Ledger(sys.argv[1])
    run = ledger.create_run(spec_path="probes/o.yaml", spec_name="orders", target="local", run_id="r-crash")
    for seq in range(5):
        ledger.plan_order(run.run_id, seq=seq, order_id=f"o-{seq}", expect_delivery=True)
        if seq < 2:
            ledger.record_api_answer(run.run_id, seq, sent_at=1.0, status=201, latency_ms=100.0)
    good = OrderOutcome(seq=0, chain_verdict=Verdict.GOOD, delivery_verdict=Verdict.GOOD)
    ledger.record_outcomes(run.run_id, [good])
    os._exit(137)  # crash: no close, no atexit, no finally
    """
)

LOOP = textwrap.dedent(
    """
    import sys
    from chainprobe.ledger import Ledger
    ledger = Ledger(sys.argv[1])
    ledger.create_run(spec_path="p", spec_name="n", target="local", run_id="r-loop")
    seq = 0
    while True:
        ledger.plan_order("r-loop", seq=seq, order_id=f"o-{seq}")
        print(seq, flush=True)  # printed only once the plan is committed
        seq += 1
    """
)


def test_orders_recorded_before_a_crash_are_pending_after_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    child = subprocess.run(
        [sys.executable, "-c", WRITER, str(path)], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 137, child.stderr

    with Ledger(path) as ledger:
        run = ledger.get_run("r-crash")
        assert run.state is RunState.RUNNING
        orders = ledger.orders("r-crash")
        assert [order.order_id for order in orders] == [f"o-{seq}" for seq in range(5)]
        pending = ledger.pending_orders("r-crash")
        assert [order.seq for order in pending] == [1, 2, 3, 4]
        assert [order.seq for order in pending if order.maybe_sent] == [2, 3, 4]  # planned, maybe sent
        assert pending[0].api_status == 201 and pending[0].chain_verdict is Verdict.PENDING
        assert ledger.get_order("r-crash", 0).delivery_verdict is Verdict.GOOD


def test_sigkill_mid_run_loses_no_committed_order(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", LOOP, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert child.stdout is not None
    acknowledged = -1
    try:
        while acknowledged < 25:
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "child ended"
            acknowledged = int(line)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        if child.stderr:
            child.stderr.close()

    with Ledger(path) as ledger:
        seqs = [order.seq for order in ledger.pending_orders("r-loop")]
    assert seqs[: acknowledged + 1] == list(range(acknowledged + 1))
    assert seqs == list(range(len(seqs)))  # no gap, no torn write
