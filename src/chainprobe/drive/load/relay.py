"""The order messages on Locust: a worker records through its master, the master into the one ledger.

Distributed, only the master opens the run's ledger; workers share no file with it:

- a worker's users record through a ``RemoteRecorder`` (the ``OrderRecorder`` calls, over Locust's
  custom messages: ``chainprobe.drive.load.order_messages``). An order is announced when a user claims
  its arrival (before it is due), and sent only once the master acknowledged it, so the ack's round trip
  is hidden unless the worker is late. It is not sent at all (and is reported skipped) when the test is
  stopping, the worker has not heard the master's heartbeat for ``SEND_SILENCE_S``, or the ack came
  ``LATE_ACK_LIMIT_S`` after the order could leave (the verifier counts its API deadline from then);
- the master's ``MasterRelay`` writes what comes into the ledger (``MasterInbox``) and acknowledges it,
  watches for workers Locust marks missing (their unreported orders become ``maybe_sent`` or stay unsent)
  and, at test stop, records every arrival no worker announced, so the ledger holds every planned order.

Locust facts this relies on (``locust/runners.py``): a worker's messages reach the master in the order
they were sent (one ZeroMQ DEALER socket); the master handles each custom message in its listener
greenlet, one at a time, and a worker's ``client_stopped`` (sent right after its ``test_stop``) is handled
after every message the worker sent before it, so the master's own stop returns with the workers' last
reports committed (``chainprobe load``'s master stops its workers so). Plain ``locust --headless
--master`` does not: at the shape's end it quits, its ``test_stop`` comes at once and the workers hear
"quit" only after it, so the master waits there (``MasterRelay.await_final_reports``, bounded) until
every due order of a connected worker has its final report. A worker's listener is busy while the
worker stops: acks that arrive then wait, so a worker sends its last reports at ``test_stop`` and keeps
retrying them until they are acknowledged or the master tells it to quit. The master marks a worker
missing after ``HEARTBEAT_LIVENESS`` (3) missed 1 s heartbeats.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import gevent
from gevent.event import Event
from gevent.threadpool import ThreadPool
from locust.env import Environment
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from chainprobe.drive.canary import order_id_for
from chainprobe.drive.load.context import RunContext
from chainprobe.drive.load.master_inbox import MasterInbox
from chainprobe.drive.load.order_messages import ACK_MESSAGE, FLUSH_S, INTENT_MESSAGE, REPORT_MESSAGE
from chainprobe.drive.load.schedule import ArrivalSchedule
from chainprobe.drive.load.worker_outbox import WorkerOutbox
from chainprobe.ledger.model import FailureClass
from chainprobe.ledger.store import Ledger

__all__ = [
    "LATE_ACK_LIMIT_S",
    "SEND_SILENCE_S",
    "MasterRelay",
    "RemoteRecorder",
    "listen_on_master",
    "listen_on_worker",
]

SEND_SILENCE_S = 2.5  # no order leaves after this long without the master's heartbeat (< Locust's 3-4 s)
LATE_ACK_LIMIT_S = 3.0  # nor one whose ack came this long after it could leave (well inside API deadlines)
WATCH_S = 0.5

logger = logging.getLogger("chainprobe.load")


class RemoteRecorder:
    """A worker's recorder: the ``OrderRecorder`` calls, over the master's messages (see module doc)."""

    def __init__(
        self, runner: WorkerRunner, *, stopping: Callable[[], bool], late_limit: float = LATE_ACK_LIMIT_S
    ) -> None:
        self._runner = runner
        self._stopping = stopping
        self.late_limit = late_limit
        self._acked: dict[int, Event] = {}
        self._leave_at: dict[int, float] = {}
        self.outbox = WorkerOutbox(worker=f"{runner.client_id}", send=self._send, on_intents_acked=self._wake)
        self._closed = False
        self._pump = gevent.spawn(self._run)

    def announce(self, *, seq: int, order_id: str, planned_at: float) -> None:
        """The order may be sent once the master acknowledges this (from its due time, or now if late)."""
        leave_at = max(planned_at, time.time())
        self._acked[seq] = Event()
        self._leave_at[seq] = leave_at
        self.outbox.announce((seq, order_id, planned_at, leave_at))

    def plan_sent(self, *, seq: int, order_id: str, planned_at: float, sent_at: float) -> bool:
        """Waits for the order's acknowledgement; true when it may be sent now (its send is reported).

        False (and the order reported skipped) when the test is stopping, the master has been silent for
        ``SEND_SILENCE_S``, or the ack came more than ``late_limit`` after the order could leave: the
        master's verifier may already be judging it by the moment it was announced for.
        """
        if seq not in self._acked:
            self.announce(seq=seq, order_id=order_id, planned_at=planned_at)
        event = self._acked[seq]
        while not event.wait(timeout=FLUSH_S):
            if self._stopping() or self._master_silent():
                break
        now = time.time()
        too_late = now > self._leave_at.get(seq, now) + self.late_limit
        if not event.is_set() or too_late or self._stopping() or self._master_silent():
            self.skip(seq)
            return False
        self.outbox.report({"seq": seq, "sent_at": now})
        return True

    def answer(self, seq: int, *, sent_at: float, status: int, latency_ms: float, body: str | None) -> None:
        self._acked.pop(seq, None)
        self._leave_at.pop(seq, None)
        record = {"seq": seq, "sent_at": sent_at, "status": status, "latency_ms": latency_ms, "body": body}
        self.outbox.report(record)

    def failure(
        self, seq: int, *, sent_at: float, failure: FailureClass, latency_ms: float, details: str | None
    ) -> None:
        self._acked.pop(seq, None)
        self._leave_at.pop(seq, None)
        record = {"seq": seq, "sent_at": sent_at, "failure": failure.value, "latency_ms": latency_ms}
        self.outbox.report({**record, "details": details})

    def skip(self, seq: int) -> None:
        """A claimed (perhaps announced) order that will not be sent."""
        self._leave_at.pop(seq, None)
        if self._acked.pop(seq, None) is not None:
            self.outbox.report({"seq": seq, "skipped": True})

    def on_ack(self, batch_id: str) -> None:
        self.outbox.on_ack(batch_id)

    def close(self) -> None:
        """Sends what is queued now; unacknowledged batches are retried until acked or the process ends."""
        self._closed = True
        self.outbox.flush()

    def _master_silent(self) -> bool:
        heard = self._runner.last_heartbeat_timestamp
        return heard is not None and time.time() - heard > SEND_SILENCE_S

    def _send(self, message_type: str, data: dict[str, Any]) -> None:
        try:
            self._runner.send_message(message_type, data)
        except Exception as error:  # a broken connection: the batch stays unacked and is retried
            logger.warning("sending %s failed: %s", message_type, error)

    def _wake(self, seqs: tuple[int, ...]) -> None:
        for seq in seqs:
            event = self._acked.get(seq)
            if event is not None:
                event.set()

    def _run(self) -> None:
        while not (self._closed and self.outbox.idle):
            self.outbox.tick()
            gevent.sleep(FLUSH_S)


class PooledLedger:
    """The master's ledger, each call made in one native thread (the hub keeps running meanwhile)."""

    def __init__(self, path: str) -> None:
        self._pool: Any = ThreadPool(1)
        self._ledger: Ledger = self._pool.apply(Ledger, (path,))

    def plan_orders(self, run_id: str, orders: Iterable[tuple[int, str, float, float | None]]) -> int:
        added: int = self._pool.apply(self._ledger.plan_orders, (run_id, list(orders)))
        return added

    def mark_order_unsent(self, run_id: str, seq: int) -> None:
        self._pool.apply(self._ledger.mark_order_unsent, (run_id, seq))

    def mark_order_sent(self, run_id: str, seq: int, *, sent_at: float) -> None:
        self._pool.apply(self._ledger.mark_order_sent, (run_id, seq), {"sent_at": sent_at})

    def record_api_answer(
        self, run_id: str, seq: int, *, sent_at: float, status: int, latency_ms: float, body: str | None
    ) -> None:
        kwargs = {"sent_at": sent_at, "status": status, "latency_ms": latency_ms, "body": body}
        self._pool.apply(self._ledger.record_api_answer, (run_id, seq), kwargs)

    def record_api_failure(
        self,
        run_id: str,
        seq: int,
        *,
        sent_at: float,
        failure: FailureClass,
        latency_ms: float | None,
        details: str | None,
    ) -> None:
        kwargs = {"sent_at": sent_at, "failure": failure, "latency_ms": latency_ms, "details": details}
        self._pool.apply(self._ledger.record_api_failure, (run_id, seq), kwargs)

    def close(self) -> None:
        self._pool.apply(self._ledger.close)
        self._pool.kill()


class MasterRelay:
    """The master's side for one run: the inbox on the run's ledger, the watch for missing workers."""

    def __init__(self, master: MasterRunner, context: RunContext) -> None:
        self.master = master
        self.context = context
        self.ledger = PooledLedger(context.ledger_path)
        self.inbox = MasterInbox(run_id=context.run_id, ledger=self.ledger, ack=self._ack)
        self._lost: set[str] = set()
        self._watch = gevent.spawn(self._watch_workers)

    def _ack(self, client_id: str, batch_id: str) -> None:
        self.master.send_message(ACK_MESSAGE, {"batch": batch_id}, client_id=client_id)

    def _watch_workers(self) -> None:
        while True:
            for client in list(self.master.clients.values()):
                if client.state == STATE_MISSING and client.id not in self._lost:
                    self._lost.add(client.id)
                    self.inbox.worker_lost(client.id, time.time())
            gevent.sleep(WATCH_S)

    def await_final_reports(self, timeout: float) -> list[int]:
        """At test stop, before ``finish``: waits (at most ``timeout``) until every order due by the stop of
        a worker still connected has its final report; returns the seqs still awaited then.

        Under ``chainprobe load`` the master stops its workers first (Locust's ``stop`` message) and
        its test stop comes after each worker's ``client_stopped``, so nothing is awaited. Under plain
        ``locust --headless --master`` the shape's end quits the master: its ``test_stop`` comes at
        once, the workers still running, their last answers not yet reported. A worker Locust marks
        missing meanwhile is no longer waited for (its orders are judged by ``finish``).
        """
        started, stopped_at = time.monotonic(), time.time()  # orders due later are not waited for
        arrivals, processes = self._arrivals(), max(1, self.context.processes)
        awaited = self.inbox.awaiting(arrivals, at=stopped_at, live=self._owner_live(processes))
        if awaited:
            logger.info(
                "run %s: waiting for the final reports of %d orders", self.context.run_id, len(awaited)
            )
        while awaited and time.monotonic() - started < timeout:
            gevent.sleep(FLUSH_S)
            awaited = self.inbox.awaiting(arrivals, at=stopped_at, live=self._owner_live(processes))
        if awaited:
            logger.warning(
                "run %s: %d orders had no final report %.0f s after the test stopped",
                self.context.run_id,
                len(awaited),
                timeout,
            )
        return awaited

    def _owner_live(self, processes: int) -> Callable[[int], bool]:
        """Whether the worker that owns a seq (index = seq mod processes) is connected and not missing."""
        clients = list(self.master.clients.values())
        live = {self.master.get_worker_index(c.id) for c in clients if c.state != STATE_MISSING}
        return lambda seq: seq % processes in live

    def _arrivals(self) -> list[tuple[int, str, float, float | None]]:
        assert self.context.start is not None
        schedule = ArrivalSchedule(shape=self.context.shape, start=self.context.start)
        return list(_arrivals(schedule, self.context.run_id))

    def finish(self) -> int:
        """At test stop, after ``await_final_reports``: every planned order in the ledger (see
        ``MasterInbox.finish``). The ledger stays open for a retried batch that comes later."""
        self._watch.kill()
        filled = self.inbox.finish(time.time(), self._arrivals())
        logger.info(
            "run %s: %d order batches from the workers (%d duplicates), %d orders announced",
            self.context.run_id,
            self.inbox.batches,
            self.inbox.duplicates,
            len(self.inbox.known) - filled,
        )
        if filled:
            logger.info(
                "run %s: %d planned arrivals no worker announced, recorded unsent",
                self.context.run_id,
                filled,
            )
        return filled

    def close(self) -> None:
        self._watch.kill()
        self.ledger.close()


def _arrivals(schedule: ArrivalSchedule, run_id: str) -> Iterable[tuple[int, str, float, float | None]]:
    seq = 0
    while (arrival := schedule.arrival(seq)) is not None:
        yield arrival.seq, order_id_for(run_id, arrival.seq), arrival.due, None
        seq += 1


def listen_on_master(master: MasterRunner, current: Callable[[], MasterRelay | None]) -> None:
    """Registers the master's handlers for the workers' order messages (once per runner)."""

    def on_intent(environment: Environment, msg: Any, **_kwargs: Any) -> None:
        relay = current()
        if relay is not None:
            relay.inbox.on_intent(msg.node_id, msg.data)

    def on_report(environment: Environment, msg: Any, **_kwargs: Any) -> None:
        relay = current()
        if relay is not None:
            relay.inbox.on_report(msg.node_id, msg.data)

    master.register_message(INTENT_MESSAGE, on_intent)
    master.register_message(REPORT_MESSAGE, on_report)


def listen_on_worker(worker: WorkerRunner, current: Callable[[], RemoteRecorder | None]) -> None:
    """Registers the worker's handler for the master's acks (once per runner)."""

    def on_ack(environment: Environment, msg: Any, **_kwargs: Any) -> None:
        recorder = current()
        if recorder is not None:
            recorder.on_ack(str(msg.data["batch"]))

    worker.register_message(ACK_MESSAGE, on_ack)
