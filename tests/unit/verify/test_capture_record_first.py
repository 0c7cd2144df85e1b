"""A captured event is deleted from the capture queue only once the ledger holds it: a pass whose
ledger write fails leaves the event in the queue, and the next verifier records it (not event_missing).
On moto's SQS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chainprobe.ledger import LedgerBusyError, Verdict
from chainprobe.verify.run_verifier import RunVerifier
from tests.unit.verify.capture_queue import (
    ENDPOINTS,
    SPEC,
    CaptureWorld,
    answer_good,
    capture_world,
    sent_order,
)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CaptureWorld]:
    with capture_world(monkeypatch, tmp_path) as world:
        yield world


def test_an_event_the_ledger_did_not_take_stays_in_the_queue(
    world: CaptureWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, sqs = world.ledger, world.clients.sqs
    run_id = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
    sent_at = sent_order(ledger, run_id, 0, "o-1")
    answer_good(ledger, run_id, 0, "o-1", sent_at)
    own = world.event("o-1")

    def locked(*_args: Any, **_kwargs: Any) -> None:
        raise LedgerBusyError("ledger: the ledger stayed locked (database is locked)")

    with monkeypatch.context() as patch:
        patch.setattr(ledger, "record_observations", locked)
        with pytest.raises(LedgerBusyError):
            world.verifier.verify_pass(run_id, ledger.pending_orders(run_id))

    assert own not in sqs.deleted
    assert world.left_in_queue() == 1  # received, not deleted: it comes back
    assert ledger.get_order(run_id, 0).event_at is None

    sqs.come_back_now(world.queue_url, own)  # as it will once its visibility timeout ends
    later = RunVerifier(
        spec=SPEC, endpoints=dict(ENDPOINTS), clients=world.clients, ledger=ledger, poll_interval=0.05
    )
    later.verify(run_id)

    order = ledger.get_order(run_id, 0)
    assert order.event_at is not None and order.chain_verdict is Verdict.GOOD
    assert sqs.deleted == [own] and world.left_in_queue() == 0


def test_more_events_than_one_sqs_batch_are_all_deleted_once_recorded(world: CaptureWorld) -> None:
    """The events of one pass are deleted together, after the ledger write: more than SQS takes in one
    delete call (10) go in several."""
    ledger = world.ledger
    run_id = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
    events = []
    for seq in range(25):
        sent_at = sent_order(ledger, run_id, seq, f"o-{seq}")
        answer_good(ledger, run_id, seq, f"o-{seq}", sent_at)
        events.append(world.event(f"o-{seq}"))

    world.verifier.verify(run_id)

    assert sorted(world.clients.sqs.deleted) == sorted(events) and world.left_in_queue() == 0
    assert all(order.chain_verdict is Verdict.GOOD for order in ledger.orders(run_id))
