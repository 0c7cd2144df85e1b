"""The master's side of the order messages: every order into the one ledger, each batch acknowledged.

Transport-free: the Locust master calls ``on_intent``/``on_report`` with a worker's message, in the order
the worker sent them (one ZeroMQ connection per worker); ``ack(client_id, batch_id)`` sends
``chainprobe:ack`` back once the batch is committed. The ledger is the master's (``InboxLedger``: the
few ``Ledger`` methods used here).

- An intent is recorded before it is acknowledged, so the worker sends nothing the ledger does not
  hold: planned, with ``sent_at`` = the moment from which it may leave (``maybe_sent`` until a report
  comes). Recording is idempotent (by seq and order id): a batch that comes twice is acknowledged twice
  and recorded once.
- A report sets the order's real send time and its API outcome, or (skipped) clears its ``sent_at``:
  it never left. Applied twice, a report sets the same values; one that comes after the order's final
  report is ignored.
- ``worker_lost(client_id, at)``: the worker stopped answering (Locust marked it missing) or stopped with
  reports missing. Of its announced orders with no report yet, those that could leave by ``at`` stay
  ``maybe_sent`` (judged from the evidence downstream); the others get their ``sent_at`` cleared
  (``not_sent``): a worker that has not heard the master's heartbeat for ``SEND_SILENCE_S`` sends
  nothing, and Locust marks a worker missing only after a longer silence.
- ``awaiting(arrivals, at=..., live=...)``: the orders due by ``at``, of workers still there, whose final
  report (answered, failed, skipped) has not come: what the master waits for at test stop while its
  workers still run (plain ``locust --headless --master`` stops at the shape's end without stopping them).
- ``finish(at, arrivals)`` at test stop: every worker with orders still unreported is lost at ``at``, and
  every arrival due by ``at`` that no worker announced (a lost worker's later share) is recorded planned
  and unsent, so the ledger holds every planned order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from chainprobe.drive.load.order_messages import Intent, Record
from chainprobe.ledger.model import FailureClass

__all__ = ["InboxLedger", "MasterInbox"]

logger = logging.getLogger("chainprobe.load")
Ack = Callable[[str, str], None]


class InboxLedger(Protocol):
    def plan_orders(self, run_id: str, orders: Iterable[tuple[int, str, float, float | None]]) -> int: ...

    def mark_order_sent(self, run_id: str, seq: int, *, sent_at: float) -> None: ...

    def mark_order_unsent(self, run_id: str, seq: int) -> None: ...

    def record_api_answer(
        self, run_id: str, seq: int, *, sent_at: float, status: int, latency_ms: float, body: str | None
    ) -> None: ...

    def record_api_failure(
        self,
        run_id: str,
        seq: int,
        *,
        sent_at: float,
        failure: FailureClass,
        latency_ms: float | None,
        details: str | None,
    ) -> None: ...


class MasterInbox:
    """One run's incoming order messages on the master; see the module docstring."""

    def __init__(self, *, run_id: str, ledger: InboxLedger, ack: Ack) -> None:
        self.run_id = run_id
        self.ledger = ledger
        self._ack = ack
        self.known: set[int] = set()  # every seq the ledger holds (announced or filled in)
        self.unsent: dict[str, dict[int, float]] = {}  # worker -> announced, no report: seq -> leave at
        self.unanswered: dict[str, set[int]] = {}  # worker -> reported sent, no outcome yet
        self.finished: set[int] = set()  # seqs with a final report (answered, failed, skipped)
        self.batches = 0
        self.duplicates = 0
        self._seen: set[tuple[str, str]] = set()

    def on_intent(self, client_id: str, data: dict[str, Any]) -> None:
        batch_id = str(data["batch"])
        intents: list[Intent] = [(int(s), str(o), float(p), float(t)) for s, o, p, t in data["orders"]]
        fresh = [intent for intent in intents if intent[0] not in self.known]
        if fresh:
            self.ledger.plan_orders(self.run_id, fresh)
            unsent = self.unsent.setdefault(client_id, {})
            for seq, _order_id, _planned_at, leave_at in fresh:
                self.known.add(seq)
                unsent[seq] = leave_at
        self._done(client_id, batch_id)

    def on_report(self, client_id: str, data: dict[str, Any]) -> None:
        batch_id = str(data["batch"])
        for record in data["records"]:
            self._apply(client_id, record)
        self._done(client_id, batch_id)

    def worker_lost(self, client_id: str, at: float) -> tuple[int, int]:
        """The worker is gone; returns (orders left maybe sent, orders left unsent)."""
        unsent = self.unsent.pop(client_id, {})
        self.unanswered.pop(client_id, None)
        never = sorted(seq for seq, leave_at in unsent.items() if leave_at > at)
        for seq in never:
            self.ledger.mark_order_unsent(self.run_id, seq)
        maybe, left = len(unsent) - len(never), len(never)
        if unsent:
            logger.warning(
                "worker %s lost: %d announced orders may have been sent, %d were not",
                client_id,
                maybe,
                left,
            )
        return maybe, left

    def awaiting(
        self,
        arrivals: Iterable[tuple[int, str, float, float | None]],
        *,
        at: float,
        live: Callable[[int], bool],
    ) -> list[int]:
        """The seqs of ``arrivals`` due by ``at`` whose worker is there (``live(seq)``) and whose final
        report has not come: announced and unreported, reported sent and unanswered, or not announced."""
        return [seq for seq, _o, due, _t in arrivals if due <= at and seq not in self.finished and live(seq)]

    def finish(self, at: float, arrivals: Iterable[tuple[int, str, float, float | None]]) -> int:
        """At test stop: workers with unreported orders are lost; unannounced arrivals due by ``at`` are
        recorded unsent. Returns how many arrivals were filled in."""
        for client_id in [c for c, unsent in self.unsent.items() if unsent]:
            self.worker_lost(client_id, at)
        missing = [(s, o, d, None) for s, o, d, _t in arrivals if d <= at and s not in self.known]
        if missing:
            self.ledger.plan_orders(self.run_id, missing)
            self.known.update(seq for seq, _o, _d, _t in missing)
        return len(missing)

    def _apply(self, client_id: str, record: Record) -> None:
        seq = int(record["seq"])
        if seq in self.finished:
            return  # a retried batch: already applied
        unsent = self.unsent.get(client_id, {})
        unsent.pop(seq, None)
        if record.get("skipped"):
            self.ledger.mark_order_unsent(self.run_id, seq)
            self.finished.add(seq)
            return
        sent_at = float(record["sent_at"])
        if "status" in record:
            self.ledger.record_api_answer(
                self.run_id,
                seq,
                sent_at=sent_at,
                status=int(record["status"]),
                latency_ms=float(record["latency_ms"]),
                body=record.get("body"),
            )
        elif "failure" in record:
            self.ledger.record_api_failure(
                self.run_id,
                seq,
                sent_at=sent_at,
                failure=FailureClass(record["failure"]),
                latency_ms=float(record["latency_ms"]),
                details=record.get("details"),
            )
        else:
            self.ledger.mark_order_sent(self.run_id, seq, sent_at=sent_at)
            self.unanswered.setdefault(client_id, set()).add(seq)
            return
        self.unanswered.get(client_id, set()).discard(seq)
        self.finished.add(seq)

    def _done(self, client_id: str, batch_id: str) -> None:
        self.batches += 1
        if (client_id, batch_id) in self._seen:
            self.duplicates += 1
        self._seen.add((client_id, batch_id))
        self._ack(client_id, batch_id)
