"""One capture queue serves every harness probing a bus: a verifier consumes (deletes) only the events of
orders its ledger knows (and events with no order id, which are no one's), releases the others' events
(their visibility set to ``RELEASE_SECONDS``, not deleted) for the harness that sent them, and deletes a
foreign event only once it is older than ``UNCLAIMED_HOLD_SECONDS``. On moto's SQS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainprobe.ledger import Ledger, Verdict
from chainprobe.verify.capture import RELEASE_SECONDS
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


def test_only_the_ledgers_own_events_are_consumed(world: CaptureWorld) -> None:
    ledger, sqs = world.ledger, world.clients.sqs
    earlier = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
    sent_order(ledger, earlier, 0, "o-earlier")
    run_id = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
    sent_at = sent_order(ledger, run_id, 0, "o-1")
    answer_good(ledger, run_id, 0, "o-1", sent_at)
    sqs.aged.add("sent-long-ago")
    own = world.event("o-1")
    other_run = world.event("o-earlier")
    untagged = world.event(None)
    foreign = world.event("o-another-harness")
    abandoned = world.event("o-a-harness-killed-long-ago", marker="sent-long-ago")

    world.verifier.verify(run_id)

    assert set(sqs.deleted) == {own, other_run, untagged, abandoned}
    assert {message for message, _ in sqs.released} == {foreign}
    assert {timeout for _, timeout in sqs.released} == {RELEASE_SECONDS}
    assert world.left_in_queue() == 1  # the other harness's event is still there for it
    assert ledger.get_order(run_id, 0).chain_verdict is Verdict.GOOD
    assert ledger.get_order(earlier, 0).event_at is not None  # recorded against its own run
    assert world.verifier.tally.untagged == 1
    assert dict(world.verifier.tally.other_runs) == {earlier: 1}


def test_a_released_event_reaches_the_harness_that_sent_it(world: CaptureWorld, tmp_path: Path) -> None:
    ours = world.ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
    sent_at = sent_order(world.ledger, ours, 0, "o-ours")
    answer_good(world.ledger, ours, 0, "o-ours", sent_at)
    with Ledger(tmp_path / "theirs.sqlite") as their_ledger:
        theirs = their_ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
        their_sent_at = sent_order(their_ledger, theirs, 0, "o-theirs")
        answer_good(their_ledger, theirs, 0, "o-theirs", their_sent_at)
        world.event("o-theirs")
        world.event("o-ours")

        world.verifier.verify(ours)  # reads both, releases theirs
        assert world.left_in_queue() == 1
        their_verifier = RunVerifier(
            spec=SPEC,
            endpoints=dict(ENDPOINTS),
            clients=world.clients,
            ledger=their_ledger,
            poll_interval=0.05,
        )
        their_verifier.verify(theirs)  # waits for it to come back, then consumes it

        order = their_ledger.get_order(theirs, 0)
    assert (order.chain_verdict, order.chain_failure) == (Verdict.GOOD, None)
    assert world.left_in_queue() == 0
    assert world.verifier.tally.foreign == 1 and their_verifier.tally.foreign == 0
