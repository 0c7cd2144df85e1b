"""A worker's side of the order messages: announce before send, report after, retry until acknowledged.

Transport-free: ``send(message_type, data)`` is Locust's ``runner.send_message`` in a worker, a fake in the
unit tests; ``on_ack(batch_id)`` is called when the master's ``chainprobe:ack`` arrives; ``tick(now)`` is
called every ``FLUSH_S`` by one greenlet (it sends what was queued and resends what was not acknowledged).

- ``announce(intent)`` queues an order the worker means to send; ``intent_acked(seq)`` is true once the
  master committed it. A user sends the order only then (write before send).
- ``report(record)`` queues what happened to an announced order (sent, answered, failed, skipped).
- A batch stays in ``unacked`` until its ack comes, and is sent again every ``RETRY_S``: a dropped
  message (either way) costs one retry; a duplicate is harmless (the master's writes are idempotent).

Example::

    outbox = WorkerOutbox(worker="w1", send=runner.send_message)
    outbox.announce((7, "o-r-1-7-ab12", due))
    outbox.tick(time.monotonic())            # sends chainprobe:intent {"batch": "w1-0", ...}
    outbox.on_ack("w1-0"); outbox.intent_acked(7)   # True
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainprobe.drive.load.order_messages import (
    INTENT_MESSAGE,
    MAX_BATCH,
    REPORT_MESSAGE,
    RETRY_S,
    Intent,
    Record,
)

__all__ = ["Batch", "WorkerOutbox"]

Send = Callable[[str, dict[str, Any]], None]


@dataclass
class Batch:
    """A batch sent and not yet acknowledged: what to send again, and when it was last sent."""

    message_type: str
    data: dict[str, Any]
    sent_at: float
    seqs: tuple[int, ...]


class WorkerOutbox:
    """One worker process's outgoing order messages; see the module docstring."""

    def __init__(
        self,
        *,
        worker: str,
        send: Send,
        on_intents_acked: Callable[[tuple[int, ...]], None] = lambda _seqs: None,
        retry_s: float = RETRY_S,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.worker = worker
        self._send = send
        self._on_intents_acked = on_intents_acked
        self.retry_s = retry_s
        self.max_batch = max_batch
        self._ids = itertools.count()
        self._intents: list[Intent] = []
        self._records: list[Record] = []
        self._acked: set[int] = set()
        self.unacked: dict[str, Batch] = {}
        self.sent_messages = 0
        self.retried_messages = 0

    def announce(self, intent: Intent) -> None:
        self._intents.append(intent)

    def report(self, record: Record) -> None:
        self._records.append(record)

    def intent_acked(self, seq: int) -> bool:
        return seq in self._acked

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing waiting for an ack."""
        return not self._intents and not self._records and not self.unacked

    def tick(self, now: float | None = None) -> None:
        """Sends what is queued, then resends batches unacknowledged for ``retry_s``."""
        at = time.monotonic() if now is None else now
        self.flush(at)
        for batch in list(self.unacked.values()):
            if at - batch.sent_at >= self.retry_s:
                batch.sent_at = at
                self.retried_messages += 1
                self._send(batch.message_type, batch.data)

    def flush(self, now: float | None = None) -> None:
        """Sends every queued intent and record, in batches of at most ``max_batch``."""
        at = time.monotonic() if now is None else now
        intents, self._intents = self._intents, []
        records, self._records = self._records, []
        for start in range(0, len(intents), self.max_batch):
            orders = intents[start : start + self.max_batch]
            self._post(INTENT_MESSAGE, "orders", [list(i) for i in orders], [i[0] for i in orders], at)
        for start in range(0, len(records), self.max_batch):
            chunk = records[start : start + self.max_batch]
            self._post(REPORT_MESSAGE, "records", chunk, [int(r["seq"]) for r in chunk], at)

    def on_ack(self, batch_id: str) -> None:
        """The master committed batch ``batch_id`` (a repeated or unknown ack is ignored)."""
        batch = self.unacked.pop(batch_id, None)
        if batch is not None and batch.message_type == INTENT_MESSAGE:
            self._acked.update(batch.seqs)
            self._on_intents_acked(batch.seqs)

    def _post(self, message_type: str, key: str, items: list[Any], seqs: list[int], at: float) -> None:
        batch_id = f"{self.worker}-{next(self._ids)}"
        data = {"batch": batch_id, key: items}
        self.unacked[batch_id] = Batch(message_type, data, at, tuple(seqs))
        self.sent_messages += 1
        self._send(message_type, data)
