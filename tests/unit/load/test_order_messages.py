"""The order messages between a worker and its master, over a fake transport that drops what it is told to.

The master side writes to a real ledger file (tmp): what these tests check is what the ledger holds after
a dropped batch, a dropped ack, a duplicate, and a worker that disappears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chainprobe.drive.load.master_inbox import MasterInbox
from chainprobe.drive.load.order_messages import ACK_MESSAGE, INTENT_MESSAGE, REPORT_MESSAGE
from chainprobe.drive.load.worker_outbox import WorkerOutbox
from chainprobe.ledger.model import FailureClass, OrderRecord
from chainprobe.ledger.store import Ledger

T0 = 1_000.0


@dataclass
class FakeLink:
    """One worker and the master: messages wait on the wire until ``deliver``; ``drop_next`` loses some."""

    to_master: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    to_worker: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    drop_to_master: int = 0
    drop_to_worker: int = 0

    def worker_send(self, message_type: str, data: dict[str, Any]) -> None:
        if self.drop_to_master:
            self.drop_to_master -= 1
            return
        self.to_master.append((message_type, data))

    def master_ack(self, _client_id: str, batch_id: str) -> None:
        if self.drop_to_worker:
            self.drop_to_worker -= 1
            return
        self.to_worker.append((ACK_MESSAGE, {"batch": batch_id}))

    def deliver(self, outbox: WorkerOutbox, inbox: MasterInbox) -> None:
        while self.to_master or self.to_worker:
            wire, self.to_master = self.to_master, []
            for message_type, data in wire:
                handle = inbox.on_intent if message_type == INTENT_MESSAGE else inbox.on_report
                assert message_type in (INTENT_MESSAGE, REPORT_MESSAGE)
                handle("w1", data)
            acks, self.to_worker = self.to_worker, []
            for _type, data in acks:
                outbox.on_ack(data["batch"])


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.create_run(spec_path="p.yaml", spec_name="p", target="local", run_id="r-1")
    return ledger


def parts(ledger: Ledger) -> tuple[FakeLink, WorkerOutbox, MasterInbox]:
    link = FakeLink()
    outbox = WorkerOutbox(worker="w1", send=link.worker_send, retry_s=1.0, max_batch=3)
    inbox = MasterInbox(run_id="r-1", ledger=ledger, ack=link.master_ack)
    return link, outbox, inbox


def announce(outbox: WorkerOutbox, count: int) -> None:
    for seq in range(count):
        outbox.announce((seq, f"o-r-1-{seq}", T0 + seq, T0 + seq + 0.5))  # due; may leave (late) from


def by_seq(ledger: Ledger) -> dict[int, OrderRecord]:
    return {order.seq: order for order in ledger.orders("r-1")}


def test_an_intent_is_in_the_ledger_maybe_sent_before_it_is_acknowledged(ledger: Ledger) -> None:
    link, outbox, inbox = parts(ledger)
    announce(outbox, 4)
    outbox.tick(now=0.0)
    assert [t for t, _ in link.to_master] == [INTENT_MESSAGE, INTENT_MESSAGE]  # 3 + 1: max_batch 3
    assert not outbox.intent_acked(0) and ledger.orders("r-1") == []
    link.deliver(outbox, inbox)
    orders = by_seq(ledger)
    assert sorted(orders) == [0, 1, 2, 3]
    assert all(o.planned_at == T0 + o.seq and o.sent_at == T0 + o.seq + 0.5 for o in orders.values())
    assert all(o.maybe_sent for o in orders.values())
    assert all(outbox.intent_acked(seq) for seq in range(4)) and outbox.idle


def test_reports_set_the_send_and_the_answer(ledger: Ledger) -> None:
    link, outbox, inbox = parts(ledger)
    announce(outbox, 2)
    outbox.tick(now=0.0)
    link.deliver(outbox, inbox)
    outbox.report({"seq": 0, "sent_at": T0 + 0.01})
    outbox.report({"seq": 0, "sent_at": T0 + 0.01, "status": 201, "latency_ms": 42.5, "body": "{}"})
    outbox.report({"seq": 1, "sent_at": T0 + 1.02, "failure": "api_timeout", "latency_ms": 10000.0})
    outbox.tick(now=0.1)
    link.deliver(outbox, inbox)
    orders = by_seq(ledger)
    assert (orders[0].sent_at, orders[0].api_status, orders[0].api_latency_ms) == (T0 + 0.01, 201, 42.5)
    assert orders[1].api_failure is FailureClass.API_TIMEOUT and orders[1].sent_at == T0 + 1.02
    assert outbox.idle and inbox.unsent == {"w1": {}}


def test_a_dropped_batch_is_sent_again_after_the_retry_interval(ledger: Ledger) -> None:
    link, outbox, inbox = parts(ledger)
    link.drop_to_master = 1
    announce(outbox, 1)
    outbox.tick(now=0.0)
    link.deliver(outbox, inbox)
    assert ledger.orders("r-1") == [] and not outbox.intent_acked(0)
    outbox.tick(now=0.5)  # not yet due for a retry
    assert link.to_master == []
    outbox.tick(now=1.0)
    assert outbox.retried_messages == 1
    link.deliver(outbox, inbox)
    assert [o.seq for o in ledger.orders("r-1")] == [0] and outbox.intent_acked(0) and outbox.idle


def test_a_lost_ack_makes_a_duplicate_that_the_master_records_once(ledger: Ledger) -> None:
    link, outbox, inbox = parts(ledger)
    announce(outbox, 2)
    outbox.tick(now=0.0)
    link.deliver(outbox, inbox)
    outbox.report({"seq": 0, "sent_at": T0, "status": 201, "latency_ms": 30.0, "body": "ok"})
    link.drop_to_worker = 1  # the master commits the report; its ack is lost
    outbox.tick(now=0.1)
    link.deliver(outbox, inbox)
    assert not outbox.idle
    outbox.tick(now=1.1)  # the same batch again
    link.deliver(outbox, inbox)
    assert outbox.idle and inbox.duplicates == 1
    assert by_seq(ledger)[0].api_status == 201 and len(ledger.orders("r-1")) == 2


def test_a_duplicate_intent_after_the_answer_changes_nothing(ledger: Ledger) -> None:
    _link, _outbox, inbox = parts(ledger)
    intent = {"batch": "w1-x", "orders": [[0, "o-r-1-0", T0, T0]]}
    inbox.on_intent("w1", intent)
    inbox.on_report(
        "w1",
        {
            "batch": "w1-y",
            "records": [{"seq": 0, "sent_at": T0, "status": 500, "latency_ms": 5.0, "body": "boom"}],
        },
    )
    inbox.on_intent("w1", intent)
    inbox.on_report("w1", {"batch": "w1-z", "records": [{"seq": 0, "sent_at": T0 + 9}]})  # late, stale
    inbox.on_report("w1", {"batch": "w1-s", "records": [{"seq": 0, "skipped": True}]})  # stale too
    order = by_seq(ledger)[0]
    assert (order.api_status, order.sent_at) == (500, T0) and inbox.unsent["w1"] == {}


def test_a_lost_worker_leaves_its_unreported_orders_maybe_sent_or_not_sent(ledger: Ledger) -> None:
    link, outbox, inbox = parts(ledger)
    announce(outbox, 6)  # may leave from T0 + 0.5 .. T0 + 5.5
    outbox.tick(now=0.0)
    link.deliver(outbox, inbox)
    outbox.report({"seq": 0, "sent_at": T0 + 0.5, "status": 201, "latency_ms": 30.0, "body": "ok"})
    outbox.report({"seq": 1, "sent_at": T0 + 1.501})  # it left; the answer never came back
    outbox.report({"seq": 2, "skipped": True})  # the worker gave it up
    outbox.tick(now=0.1)
    link.deliver(outbox, inbox)

    maybe, unsent = inbox.worker_lost("w1", at=T0 + 3.6)

    assert (maybe, unsent) == (1, 2)
    orders = by_seq(ledger)
    assert orders[0].answered
    assert orders[1].maybe_sent and orders[1].sent_at == T0 + 1.501  # its real send time
    assert orders[2].sent_at is None  # skipped: never left
    assert orders[3].maybe_sent and orders[3].sent_at == T0 + 3.5  # could leave before the loss
    assert orders[4].sent_at is None and orders[5].sent_at is None  # could not: never sent


def test_finish_records_every_arrival_nobody_announced(ledger: Ledger) -> None:
    link, outbox, inbox = parts(ledger)
    announce(outbox, 2)
    outbox.tick(now=0.0)
    link.deliver(outbox, inbox)
    arrivals = [(seq, f"o-r-1-{seq}-fill", T0 + seq, None) for seq in range(6)]

    filled = inbox.finish(T0 + 4.5, arrivals)

    assert filled == 3  # seqs 2, 3, 4; seq 5 was due after the stop
    orders = by_seq(ledger)
    assert sorted(orders) == [0, 1, 2, 3, 4]
    assert orders[0].sent_at == T0 + 0.5 and orders[1].sent_at == T0 + 1.5  # announced: maybe sent
    assert all(orders[seq].sent_at is None for seq in (2, 3, 4))
    assert inbox.finish(T0 + 4.5, arrivals) == 0  # idempotent


def test_the_master_awaits_each_order_of_a_live_worker_until_its_final_report(ledger: Ledger) -> None:
    link, outbox, inbox = parts(ledger)
    announce(outbox, 4)  # due T0 .. T0 + 3
    outbox.tick(now=0.0)
    link.deliver(outbox, inbox)
    outbox.report({"seq": 0, "sent_at": T0 + 0.5, "status": 201, "latency_ms": 30.0, "body": "ok"})
    outbox.report({"seq": 1, "sent_at": T0 + 1.5})  # in flight: its answer is still to come
    outbox.tick(now=0.1)
    link.deliver(outbox, inbox)
    arrivals = [(seq, f"o-r-1-{seq}", T0 + seq, None) for seq in range(6)]
    everyone = lambda _seq: True  # noqa: E731

    assert inbox.awaiting(arrivals, at=T0 + 4.5, live=everyone) == [1, 2, 3, 4]  # 5: due after the stop
    assert inbox.awaiting(arrivals, at=T0 + 4.5, live=lambda seq: seq % 2 == 0) == [2, 4]  # odd: gone

    outbox.report(
        {"seq": 1, "sent_at": T0 + 1.5, "failure": FailureClass.API_TIMEOUT.value, "latency_ms": 1e4}
    )
    outbox.report({"seq": 2, "sent_at": T0 + 2.5, "status": 201, "latency_ms": 40.0, "body": "ok"})
    outbox.report({"seq": 3, "skipped": True})
    link.drop_to_master = 1  # the first copy of this report batch is lost
    outbox.tick(now=0.2)
    link.deliver(outbox, inbox)
    assert inbox.awaiting(arrivals, at=T0 + 4.5, live=everyone) == [1, 2, 3, 4]
    outbox.tick(now=1.3)  # the retry
    link.deliver(outbox, inbox)

    assert inbox.awaiting(arrivals, at=T0 + 4.5, live=everyone) == [4]  # never announced: still awaited
    assert inbox.awaiting(arrivals, at=T0 + 4.5, live=lambda seq: seq != 4) == []
    orders = by_seq(ledger)
    assert [seq for seq, order in orders.items() if order.sent_at is not None and not order.answered] == []
    assert orders[1].api_failure is FailureClass.API_TIMEOUT and orders[3].sent_at is None
