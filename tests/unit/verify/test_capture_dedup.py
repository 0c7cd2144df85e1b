"""SQS delivers at least once: the same message (one MessageId) received twice is one event, never an
``event_duplicate``; two messages for one order are two events, and that is a duplicate.

The verifier runs its passes on moto's SQS; the first delete does not land, so the next pass receives
the same message again, as SQS redelivers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainprobe.ledger import FailureClass, Verdict
from tests.unit.verify.capture_queue import CaptureWorld, answer_good, capture_world, sent_order


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CaptureWorld]:
    with capture_world(monkeypatch, tmp_path) as world:
        yield world


def verify_answering_after(
    world: CaptureWorld, run_id: str, order_id: str, sent_at: float, passes: int
) -> None:
    """Runs the verifier to the end; the API answer is recorded after ``passes`` passes (until then the
    order stays pending, so every delivery before it is judged together)."""
    done = 0

    def progress(_verified: int, _total: int) -> None:
        nonlocal done
        done += 1
        if done == passes:
            answer_good(world.ledger, run_id, 0, order_id, sent_at)

    world.verifier.verify(run_id, progress=progress)


def test_a_redelivered_message_is_one_event(world: CaptureWorld) -> None:
    run_id = world.ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
    sent_at = sent_order(world.ledger, run_id, 0, "o-1")
    message = world.event("o-1")
    world.clients.sqs.lose_deletes = 1

    verify_answering_after(world, run_id, "o-1", sent_at, passes=2)

    assert world.clients.sqs.received[message] == 2  # SQS did deliver it twice
    order = world.ledger.get_order(run_id, 0)
    assert (order.chain_verdict, order.chain_failure) == (Verdict.GOOD, None)
    assert order.event_at is not None and order.event_at >= sent_at - 1
    assert world.left_in_queue() == 0


def test_two_messages_for_one_order_are_a_duplicate(world: CaptureWorld) -> None:
    run_id = world.ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
    sent_at = sent_order(world.ledger, run_id, 0, "o-1")
    first, second = world.event("o-1"), world.event("o-1")

    verify_answering_after(world, run_id, "o-1", sent_at, passes=1)

    assert world.clients.sqs.received[first] == world.clients.sqs.received[second] == 1
    order = world.ledger.get_order(run_id, 0)
    assert (order.chain_verdict, order.chain_failure) == (Verdict.BAD, FailureClass.EVENT_DUPLICATE)


def test_a_foreign_message_received_again_is_counted_once(world: CaptureWorld) -> None:
    run_id = world.ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
    sent_at = sent_order(world.ledger, run_id, 0, "o-1")
    world.event("o-1")
    foreign = world.event("o-someone-elses")
    sqs = world.clients.sqs

    def progress(_verified: int, _total: int) -> None:
        # The released message comes back for the next pass (it would, a second later, by itself).
        if sqs.received[foreign] == 1:
            sqs.come_back_now(world.queue_url, foreign)
        elif sqs.received[foreign] == 2:
            answer_good(world.ledger, run_id, 0, "o-1", sent_at)

    world.verifier.verify(run_id, progress=progress)

    assert sqs.received[foreign] >= 2
    assert world.verifier.tally.foreign == 1
    order = world.ledger.get_order(run_id, 0)
    assert (order.chain_verdict, order.chain_failure) == (Verdict.GOOD, None)
