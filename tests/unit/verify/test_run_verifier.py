"""RunVerifier passes with the stages faked (capture queue, courier journal) and a real ledger file:
SQS redeliveries are no duplicates, a distinct second event is, settle windows hold verdicts pending
while the passes keep reading, and the tally records how long they waited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chainprobe.ledger import FailureClass, Ledger, Verdict
from chainprobe.spec import parse_spec
from chainprobe.stacks.clients import AwsClients
from chainprobe.verify import run_verifier
from chainprobe.verify.capture import CapturedEvent
from chainprobe.verify.courier import CourierCall
from chainprobe.verify.run_verifier import RunVerifier
from tests.unit.verify.test_verdict import ENDPOINTS, SPEC_TEXT

WINDOWED = SPEC_TEXT.replace("  settle_seconds: 0\n", "").split("dynamodb:")[0] + SPEC_TEXT.split(
    "customerId, equals: c-1}\n"
)[1].replace("  settle_seconds: 0\n", "")
T0 = 1_000.0
ORDER_ID = "o-1"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeCapture:
    """The capture queue: each receive gives the batches queued since the last one."""

    queued: list[CapturedEvent] = field(default_factory=list)
    consumed: list[str] = field(default_factory=list)
    queue_url: str = "fake"
    emptied: bool = False
    capped: bool = False  # the drains stop at max_batches: what is queued stays, the queue not emptied

    def receive(self, *, wait_seconds: int = 1) -> Iterator[list[CapturedEvent]]:
        self.emptied = False
        if self.capped:
            return
        batch, self.queued = self.queued, []
        if batch:
            yield batch
        self.emptied = True

    def settle(self, *, consumed: list[CapturedEvent], released: list[CapturedEvent]) -> None:
        self.consumed += [c.message_id for c in consumed]


@dataclass
class FakeJournal:
    calls: list[CourierCall] = field(default_factory=list)

    def calls_since(self, since: float, order_ids: set[str]) -> dict[str, list[CourierCall]]:
        found = [c for c in self.calls if c.order_id in order_ids]
        return {ORDER_ID: found} if found else {}


Setup = tuple[RunVerifier, Ledger, str, FakeCapture, FakeJournal]


def event(message_id: str, at: float) -> CapturedEvent:
    return CapturedEvent(
        event={"detail": {"orderId": ORDER_ID}},
        delivered_at=T0 + at,
        message_id=message_id,
        receipt_handle="r",
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(run_verifier, "time", fake)
    return fake


@pytest.fixture
def setup(
    tmp_path: Path, clock: Clock
) -> Iterator[tuple[RunVerifier, Ledger, str, FakeCapture, FakeJournal]]:
    spec = parse_spec(WINDOWED, source="shop.yaml")
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="test", started_at=T0)
        ledger.plan_order(run.run_id, seq=0, order_id=ORDER_ID, planned_at=T0, sent_at=T0)
        body = '{"orderId": "o-1", "status": "CREATED"}'
        ledger.record_api_answer(run.run_id, 0, sent_at=T0, status=201, latency_ms=100.0, body=body)
        verifier = RunVerifier(
            spec=spec, endpoints=dict(ENDPOINTS), clients=AwsClients(region="us-east-1"), ledger=ledger
        )
        capture, journal = FakeCapture(), FakeJournal()
        verifier.capture, verifier.courier = capture, journal  # type: ignore[assignment]
        verifier.table = None
        yield verifier, ledger, run.run_id, capture, journal


def run_pass(verifier: RunVerifier, ledger: Ledger, run_id: str, clock: Clock, at: float) -> None:
    clock.now = T0 + at
    verifier.verify_pass(run_id, ledger.pending_orders(run_id))


def test_a_redelivered_message_is_no_duplicate(setup: Setup, clock: Clock) -> None:
    verifier, ledger, run_id, capture, journal = setup
    capture.queued = [event("m-1", 0.5)]
    run_pass(verifier, ledger, run_id, clock, 1.0)
    capture.queued = [event("m-1", 0.5)]  # SQS gives the same message again
    journal.calls = [CourierCall(order_id=ORDER_ID, status=201, at=T0 + 2)]
    run_pass(verifier, ledger, run_id, clock, 3.0)
    run_pass(verifier, ledger, run_id, clock, 22.0)

    order = ledger.get_order(run_id, 0)
    assert (order.chain_verdict, order.delivery_verdict) == (Verdict.GOOD, Verdict.GOOD)
    assert capture.consumed == ["m-1", "m-1"]


def test_a_distinct_second_event_inside_the_window_is_a_duplicate(setup: Setup, clock: Clock) -> None:
    verifier, ledger, run_id, capture, _ = setup
    capture.queued = [event("m-1", 0.5)]
    run_pass(verifier, ledger, run_id, clock, 1.0)
    held = ledger.get_order(run_id, 0)
    assert held.chain_verdict is Verdict.PENDING and held.event_at == T0 + 0.5  # timeline complete, held
    capture.queued = [event("m-2", 8.0)]
    run_pass(verifier, ledger, run_id, clock, 8.5)

    order = ledger.get_order(run_id, 0)
    assert (order.chain_verdict, order.chain_failure) == (Verdict.BAD, FailureClass.EVENT_DUPLICATE)


def test_a_held_verdict_is_final_after_the_windows_and_the_wait_is_recorded(
    setup: Setup, clock: Clock
) -> None:
    verifier, ledger, run_id, capture, journal = setup
    capture.queued = [event("m-1", 0.5)]
    run_pass(verifier, ledger, run_id, clock, 1.0)
    journal.calls = [CourierCall(order_id=ORDER_ID, status=201, at=T0 + 2)]
    for at in (3.0, 11.0, 12.0, 20.5):
        run_pass(verifier, ledger, run_id, clock, at)
        assert ledger.get_order(run_id, 0).pending, at
    run_pass(verifier, ledger, run_id, clock, 21.0)  # courier window 20 s + journal margin 1 s

    order = ledger.get_order(run_id, 0)
    assert (order.chain_verdict, order.delivery_verdict) == (Verdict.GOOD, Verdict.GOOD)
    assert verifier.settle.waits == [18.0]  # could have been final at 3 s (the delivery seen)


def test_a_second_courier_call_while_held_is_a_duplicate(setup: Setup, clock: Clock) -> None:
    verifier, ledger, run_id, capture, journal = setup
    capture.queued = [event("m-1", 0.5)]
    journal.calls = [CourierCall(order_id=ORDER_ID, status=201, at=T0 + 2)]
    run_pass(verifier, ledger, run_id, clock, 12.0)
    assert ledger.get_order(run_id, 0).delivery_verdict is Verdict.PENDING
    journal.calls.append(CourierCall(order_id=ORDER_ID, status=201, at=T0 + 15))
    run_pass(verifier, ledger, run_id, clock, 16.0)

    order = ledger.get_order(run_id, 0)
    assert (order.delivery_verdict, order.delivery_failure) == (Verdict.BAD, FailureClass.COURIER_DUPLICATE)


def test_no_event_is_missing_until_a_drain_begun_after_the_deadline_empties_the_queue(
    setup: Setup, clock: Clock
) -> None:
    """Event deadline 10 s, receive margin 2 s: a verifier behind (capped drains) judges nothing."""
    verifier, ledger, run_id, capture, _ = setup
    capture.capped = True
    run_pass(verifier, ledger, run_id, clock, 30.0)
    assert ledger.get_order(run_id, 0).chain_verdict is Verdict.PENDING
    assert verifier.evidence[ORDER_ID].events_drained_at is None

    capture.capped = False
    run_pass(verifier, ledger, run_id, clock, 31.0)

    order = ledger.get_order(run_id, 0)
    assert (order.chain_verdict, order.chain_failure) == (Verdict.BAD, FailureClass.EVENT_MISSING)
    assert verifier.evidence[ORDER_ID].events_drained_at == T0 + 31.0


def test_an_event_delivered_on_time_and_received_late_is_good(setup: Setup, clock: Clock) -> None:
    verifier, ledger, run_id, capture, _ = setup
    capture.capped = True  # behind: the event, delivered at 9 s, is still in the queue at 20 s
    run_pass(verifier, ledger, run_id, clock, 20.0)
    assert ledger.get_order(run_id, 0).chain_verdict is Verdict.PENDING

    capture.capped, capture.queued = False, [event("m-1", 9.0)]
    run_pass(verifier, ledger, run_id, clock, 25.0)

    assert ledger.get_order(run_id, 0).chain_verdict is Verdict.GOOD
