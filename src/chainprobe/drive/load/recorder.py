"""A Locust process's writes to the run ledger, made from one native thread beside the gevent hub.

Every order is recorded, and committed, before its request leaves (``plan_sent``) and its answer after
(``answer`` or ``failure``), each call returning once the transaction holding it is durable. The writes
run in a one-thread pool: the user's greenlet waits for its commit, while the hub goes on timing the
other users' requests. Called on the hub itself, an ``fsync`` or a wait for the write lock (the verifier
and the other workers share the file) would freeze every greenlet of the process and add its length to
the latency of every answer in flight; measured here, it stretches a 5 ms hub tick to hundreds of ms.

Group commit: the calls queue their writes; one drain at a time hands the thread every write queued at
that moment, run in ONE transaction (``Ledger.one_transaction``: one commit, one ``fsync``), and then
releases each caller with its own outcome. The writes queued while a commit is on disk make the next
drain, so at a high rate one ``fsync`` serves many orders, while at a low rate each drain holds the one
write there is, in a transaction of its own, as before: a drain never waits for more writes to come.
A write that fails in a batch is undone alone (a savepoint) and raises to its caller only; a batch whose
transaction fails as a whole (the lock stayed taken, the commit failed) is retried one write per
transaction, so each caller gets its own write's outcome and no write is lost with another's.

A ``Ledger`` per process: the SQLite file is shared across processes safely (WAL, one
``BEGIN IMMEDIATE`` transaction per drain, a 10 s busy timeout); see ``chainprobe.ledger.store``.
Nothing is buffered past a call's return, so a process killed between two calls loses nothing it
recorded.

Example (in a gevent-patched process)::

    recorder = OrderRecorder(ledger_path, run_id)
    recorder.plan_sent(seq=7, order_id="o-r-1-7-ab12cd", planned_at=due, sent_at=time.time())
    ...send...
    recorder.answer(7, sent_at=sent_at, status=201, latency_ms=41.2, body=text)
    recorder.close()
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

import gevent
from gevent.event import AsyncResult
from gevent.threadpool import ThreadPool

from chainprobe.ledger.model import FailureClass
from chainprobe.ledger.store import Ledger

__all__ = ["OrderRecorder", "Recorder"]


class Recorder(Protocol):
    """What a user records through: ``OrderRecorder`` (the ledger file) or a worker's ``RemoteRecorder``."""

    def announce(self, *, seq: int, order_id: str, planned_at: float) -> None: ...

    def plan_sent(self, *, seq: int, order_id: str, planned_at: float, sent_at: float) -> bool: ...

    def answer(
        self, seq: int, *, sent_at: float, status: int, latency_ms: float, body: str | None
    ) -> None: ...

    def failure(
        self, seq: int, *, sent_at: float, failure: FailureClass, latency_ms: float, details: str | None
    ) -> None: ...

    def skip(self, seq: int) -> None: ...

    def close(self) -> None: ...


class OrderRecorder:
    """Records one run's orders into the ledger at ``ledger_path``; see the module docstring."""

    def __init__(self, ledger_path: str | os.PathLike[str], run_id: str) -> None:
        self.run_id = run_id
        self._pool: Any = ThreadPool(1)
        # Opened in the pool's thread, the only one that ever touches the connection.
        self._ledger: Ledger = self._pool.apply(Ledger, (ledger_path,))
        self._queued: list[tuple[Write, AsyncResult]] = []
        self._drain: Any = None  # the greenlet handing queued writes to the thread, while there are some

    def announce(self, *, seq: int, order_id: str, planned_at: float) -> None:
        """Nothing to do ahead of the send here (a worker's ``RemoteRecorder`` tells its master)."""

    def plan_sent(self, *, seq: int, order_id: str, planned_at: float, sent_at: float) -> bool:
        """The order is recorded, with the moment it leaves, before its request is sent (always true:
        the order may be sent)."""
        self._write(
            partial(
                self._ledger.plan_order,
                self.run_id,
                seq=seq,
                order_id=order_id,
                planned_at=planned_at,
                sent_at=sent_at,
            )
        )
        return True

    def skip(self, seq: int) -> None:
        """A claimed order that will not be sent: never recorded here, so nothing to do."""

    def answer(self, seq: int, *, sent_at: float, status: int, latency_ms: float, body: str | None) -> None:
        """The API answered."""
        self._write(
            partial(
                self._ledger.record_api_answer,
                self.run_id,
                seq,
                sent_at=sent_at,
                status=status,
                latency_ms=latency_ms,
                body=body,
            )
        )

    def failure(
        self, seq: int, *, sent_at: float, failure: FailureClass, latency_ms: float, details: str | None
    ) -> None:
        """No HTTP answer came: ``api_timeout`` or ``connection_error``."""
        self._write(
            partial(
                self._ledger.record_api_failure,
                self.run_id,
                seq,
                sent_at=sent_at,
                failure=failure,
                latency_ms=latency_ms,
                details=details,
            )
        )

    def close(self) -> None:
        """Closes the ledger (everything recorded is already committed) and the thread."""
        if self._drain is not None:
            self._drain.join()
        self._pool.apply(self._ledger.close)
        self._pool.kill()

    def _write(self, write: Write) -> None:
        """Queues ``write`` and returns once the transaction holding it is committed (raises its error)."""
        done = AsyncResult()
        self._queued.append((write, done))
        if self._drain is None:
            self._drain = gevent.spawn(self._drain_queue)
        done.get()

    def _drain_queue(self) -> None:
        """Hands the thread what is queued now, as one batch, until nothing is; releases each caller."""
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    errors = self._pool.apply(write_batch, (self._ledger, [write for write, _ in batch]))
                except Exception as failed:  # the thread itself failed: every caller hears it
                    errors = [failed] * len(batch)
                for (_, done), error in zip(batch, errors, strict=True):
                    if error is None:
                        done.set(None)
                    else:
                        done.set_exception(error)
        finally:
            self._drain = None


Write = Callable[[], object]
"""One ledger write, run in the recorder's thread."""


def write_batch(ledger: Ledger, writes: list[Write]) -> list[BaseException | None]:
    """Runs ``writes`` in one transaction (a lone write: in its own, as outside a batch); each one's
    error, or ``None`` for a write committed. A batch whose transaction fails as a whole (its start or
    its commit: nothing of it stays) is run again one write per transaction."""
    if len(writes) == 1:
        return [outcome(writes[0])]
    try:
        with ledger.one_transaction():
            errors = [outcome(write) for write in writes]
    except Exception:
        return [outcome(write) for write in writes]
    return errors


def outcome(write: Write) -> BaseException | None:
    """Runs one write: its error, or ``None``."""
    try:
        write()
    except Exception as error:
        return error
    return None
