"""One ledger file, several processes writing at once (a load run's workers and its verifier)."""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.synchronize import Event
from pathlib import Path

from chainprobe.ledger import Ledger, OrderOutcome, Verdict

ORDERS_PER_WRITER = 150
WRITERS = 3
HANDSHAKE_TIMEOUT_S = 60.0


def write_orders(path: str, run_id: str, index: int, stride: int, reader_judged: Event) -> None:
    """A worker's writes: each order planned (with its send time) before it is sent, answered after.

    Halfway, the worker waits until the reader has judged something, so reads and writes really
    overlap however fast this machine's disk is (a fast fsync let every writer finish unseen).
    """
    with Ledger(path) as ledger:
        for k in range(ORDERS_PER_WRITER):
            if k == ORDERS_PER_WRITER // 2 and not reader_judged.wait(HANDSHAKE_TIMEOUT_S):
                raise SystemExit(3)
            seq = index + k * stride
            now = time.time()
            ledger.plan_order(run_id, seq=seq, order_id=f"o-{run_id}-{seq}", planned_at=now, sent_at=now)
            ledger.record_api_answer(run_id, seq, sent_at=now, status=201, latency_ms=1.0, body="{}")


def test_processes_share_the_ledger_without_loss_or_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        run_id = ledger.create_run(spec_path="s.yaml", spec_name="s", target="local").run_id
        spawn = multiprocessing.get_context("spawn")
        reader_judged = spawn.Event()
        writers = [
            spawn.Process(target=write_orders, args=(str(path), run_id, index, WRITERS, reader_judged))
            for index in range(WRITERS)
        ]
        for writer in writers:
            writer.start()
        judged: set[int] = set()
        while any(writer.is_alive() for writer in writers):  # the verifier, judging as orders come
            answered = [o for o in ledger.pending_orders(run_id) if o.api_status is not None]
            ledger.record_outcomes(
                run_id, [OrderOutcome(seq=o.seq, chain_verdict=Verdict.GOOD) for o in answered]
            )
            judged.update(o.seq for o in answered)
            if judged:
                reader_judged.set()
            time.sleep(0.01)
        for writer in writers:
            writer.join()
        assert [writer.exitcode for writer in writers] == [0] * WRITERS
        orders = ledger.orders(run_id)
    assert [o.seq for o in orders] == list(range(WRITERS * ORDERS_PER_WRITER))
    assert all(o.sent_at is not None and o.api_status == 201 for o in orders)
    assert judged, "the reader judged nothing while the writers wrote"


def test_plan_order_can_record_the_send_time_in_the_same_transaction(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = ledger.create_run(spec_path="s.yaml", spec_name="s", target="local").run_id
        record = ledger.plan_order(run_id, seq=0, order_id="o-1", planned_at=10.0, sent_at=10.5)
        assert record.sent_at == 10.5
        stored = ledger.get_order(run_id, 0)
    assert (stored.planned_at, stored.sent_at, stored.maybe_sent) == (10.0, 10.5, True)
