"""The recorder's group commit, in a gevent-patched process of its own as in a Locust process:
``python -m tests.unit.load.order_recorder_cases FOLDER`` prints ``ok`` when every case holds;
``... FOLDER kill`` records orders from many greenlets, prints the seq of each ``plan_sent`` as it
returns, and SIGKILLs itself halfway (``test_order_recorder`` checks that every printed seq is there).

A real ``OrderRecorder`` on a real ledger file; a second connection (``Ledger`` of its own) reads what
is committed, at the moment each call returns, and the recorder's connection's SQL trace counts the
transactions (``BEGIN IMMEDIATE``, ``COMMIT``, ``ROLLBACK``, ``SAVEPOINT``).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import signal  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

from chainprobe.drive.load.recorder import OrderRecorder  # noqa: E402
from chainprobe.ledger import DuplicateOrderError, Ledger, OrderNotFoundError  # noqa: E402

ORDERS = 40
USERS = 16
KILL_AFTER = 200


def new_run(folder: Path, name: str) -> tuple[Path, str]:
    path = folder / f"{name}.sqlite"
    with Ledger(path) as ledger:
        return path, ledger.create_run(spec_path="s.yaml", spec_name="s", target="stub").run_id


def traced(recorder: OrderRecorder) -> list[str]:
    """The transaction statements the recorder's connection runs from now on."""
    statements: list[str] = []
    kept = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT")

    def keep(sql: str) -> None:
        if sql.startswith(kept):
            statements.append(sql.split()[0])

    recorder._ledger._connection.set_trace_callback(keep)
    return statements


def at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Runs the calls in greenlets started together (what concurrent users do); each one's result or error."""
    greenlets = [gevent.spawn(call) for call in calls]
    gevent.joinall(greenlets)
    return [g.value if g.successful() else g.exception for g in greenlets]


def plan_and_read(recorder: OrderRecorder, reader: Ledger, seq: int) -> object:
    """``plan_sent``, then at once (no switch in between) what a second connection reads of the order."""
    recorder.plan_sent(seq=seq, order_id=f"o-{seq}", planned_at=1.0, sent_at=2.0)
    record = reader.find_order(f"o-{seq}")
    return None if record is None else record.sent_at


def answer_and_read(recorder: OrderRecorder, reader: Ledger, seq: int) -> object:
    recorder.answer(seq, sent_at=2.0, status=201, latency_ms=5.0, body="{}")
    return reader.get_order(recorder.run_id, seq).api_status


def returns_only_once_its_order_is_committed(folder: Path) -> None:
    """(a) write before send, and one transaction for all that queued up together."""
    path, run_id = new_run(folder, "committed")
    recorder, reader = OrderRecorder(path, run_id), Ledger(path)
    statements = traced(recorder)
    planned = at_once([lambda s=seq: plan_and_read(recorder, reader, s) for seq in range(ORDERS)])
    assert planned == [2.0] * ORDERS, planned
    answered = at_once([lambda s=seq: answer_and_read(recorder, reader, s) for seq in range(ORDERS)])
    assert answered == [201] * ORDERS, answered
    assert statements.count("BEGIN") == statements.count("COMMIT") == 2, statements  # 80 writes, 2 commits
    recorder.close()
    reader.close()


def one_write_per_transaction_at_a_low_rate(folder: Path) -> None:
    """(d) calls one at a time: each its own transaction, as before group commit (no savepoint)."""
    path, run_id = new_run(folder, "low-rate")
    recorder, reader = OrderRecorder(path, run_id), Ledger(path)
    statements = traced(recorder)
    for seq in range(3):
        assert plan_and_read(recorder, reader, seq) == 2.0
        assert answer_and_read(recorder, reader, seq) == 201
    assert statements == ["BEGIN", "COMMIT"] * 6, statements
    recorder.close()
    reader.close()


def a_failing_write_fails_alone(folder: Path) -> None:
    """(c) in one batch, a duplicate order and an answer for no order raise to their callers only."""
    path, run_id = new_run(folder, "failing")
    recorder, reader = OrderRecorder(path, run_id), Ledger(path)
    recorder.plan_sent(seq=0, order_id="o-0", planned_at=1.0, sent_at=2.0)
    statements = traced(recorder)
    calls: list[Callable[[], object]] = [
        lambda s=seq: plan_and_read(recorder, reader, s) for seq in range(1, 9)
    ]
    calls.insert(3, lambda: recorder.plan_sent(seq=0, order_id="o-0", planned_at=1.0, sent_at=2.0))
    calls.insert(6, lambda: recorder.answer(99, sent_at=2.0, status=201, latency_ms=5.0, body=None))
    outcomes = at_once(calls)
    assert isinstance(outcomes.pop(6), OrderNotFoundError), outcomes
    assert isinstance(outcomes.pop(3), DuplicateOrderError), outcomes
    assert outcomes == [2.0] * 8, outcomes
    assert statements.count("BEGIN") == statements.count("COMMIT") == 1, statements  # one batch
    assert len(reader.orders(run_id)) == 9
    recorder.close()
    reader.close()


def a_batch_that_fails_whole_is_retried_one_by_one(folder: Path) -> None:
    """(c) the batch's transaction fails at its end (as a failed COMMIT would): nothing of it stays, so
    each write is run again in a transaction of its own, and every caller hears its own outcome."""
    path, run_id = new_run(folder, "retried")
    recorder, reader = OrderRecorder(path, run_id), Ledger(path)
    real = recorder._ledger.one_transaction

    @contextmanager
    def failing_at_commit() -> Iterator[None]:
        with real():
            yield
            raise sqlite3.OperationalError("disk I/O error")

    recorder._ledger.one_transaction = failing_at_commit  # type: ignore[method-assign]
    statements = traced(recorder)
    outcomes = at_once([lambda s=seq: plan_and_read(recorder, reader, s) for seq in range(8)])
    assert outcomes == [2.0] * 8, outcomes
    assert statements.count("ROLLBACK") == 1 and statements.count("COMMIT") == 8, statements
    recorder.close()
    reader.close()


def killed_halfway(folder: Path) -> None:
    """(b) users plan orders in a loop; each seq is printed once its ``plan_sent`` returned, and the
    process SIGKILLs itself after KILL_AFTER of them, while the other users' writes are in flight."""
    path, run_id = new_run(folder, "killed")
    print(path, run_id, flush=True)
    recorder = OrderRecorder(path, run_id)
    returned: list[int] = []

    def user(first: int) -> None:
        for seq in range(first, 100_000, USERS):
            recorder.plan_sent(seq=seq, order_id=f"o-{seq}", planned_at=1.0, sent_at=2.0)
            returned.append(seq)
            print(seq, flush=True)
            if len(returned) == KILL_AFTER:
                os.kill(os.getpid(), signal.SIGKILL)

    gevent.joinall([gevent.spawn(user, first) for first in range(USERS)])


if __name__ == "__main__":
    where = Path(sys.argv[1])
    if sys.argv[2:] == ["kill"]:
        killed_halfway(where)
    else:
        returns_only_once_its_order_is_committed(where)
        one_write_per_transaction_at_a_low_rate(where)
        a_failing_write_fails_alone(where)
        a_batch_that_fails_whole_is_retried_one_by_one(where)
        print("ok")
