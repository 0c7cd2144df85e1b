"""Settle windows: a table of hand-made timelines judged by OrderJudge with windows open.

Times are seconds after ``T0``, when the order was sent. Deadlines: event 10 s, delivery 20 s (the SLO's).
Settle windows: the event's is its deadline (10 s, the default), the courier's 20 s (the delivery
deadline, the default). An event verdict is final 2 s (the receive margin) after its window closes; a
courier one once a journal read began 1 s (the journal margin) after its window closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.spec import ProbeSpec, SettleWindows, SpecError, parse_spec
from chainprobe.verify.courier import CourierCall
from chainprobe.verify.settle import SettleTally
from chainprobe.verify.verdict import Evidence, OrderJudge, Settling
from tests.unit.verify.test_verdict import ENDPOINTS, ORDER_ID, SPEC_TEXT, T0, chain_good, record

WINDOWED = SPEC_TEXT.replace("  settle_seconds: 0\n", "")
SPEC = parse_spec(WINDOWED, source="shop.yaml")
OPTED_OUT = parse_spec(SPEC_TEXT, source="shop.yaml")  # settle_seconds: 0 on both stages
ITEM = {"orderId": ORDER_ID, "customerId": "c-1"}


def events(*at: float, drained: float | None = None) -> Evidence:
    """The item, and events delivered ``at`` seconds after the send; the capture queue last emptied by a
    drain that began ``drained`` s after the send."""
    return Evidence(
        item=dict(ITEM),
        event_times=[T0 + t for t in at],
        events_drained_at=None if drained is None else T0 + drained,
    )


def calls(*calls: tuple[int, float], read: float | None = None) -> Evidence:
    """Courier calls (status, seconds after the send), the journal last read ``read`` s after the send."""
    return Evidence(
        courier_calls=[
            CourierCall(order_id=ORDER_ID, status=s, at=T0 + t, response_ms=50.0) for s, t in calls
        ],
        courier_read_at=None if read is None else T0 + read,
    )


def rejected(**fields: object) -> OrderRecord:
    return record(api_status=400, api_body='{"message":"bad"}', **fields)


G, B, P = Verdict.GOOD, Verdict.BAD, Verdict.PENDING
FC = FailureClass


@dataclass(frozen=True)
class Case:
    name: str
    record: OrderRecord
    evidence: Evidence
    at: float  # seconds after T0
    expected: tuple[Verdict, FailureClass | None, Verdict | None, FailureClass | None] | None
    spec: ProbeSpec = field(default=SPEC)
    not_before: float = 0.0


CASES = [
    # -- the event: a second distinct event within 10 s of the send ------------------------------------
    Case(
        "duplicate before the good verdict",
        record(),
        events(0.5, 0.6),
        1.0,
        (B, FC.EVENT_DUPLICATE, None, None),
    ),
    Case("good so far: held, not final", record(), events(0.5), 1.0, None),
    Case("still held at the window's end", record(), events(0.5), 10.0, None),
    Case("held through the receive margin", record(), events(0.5, drained=11.99), 11.99, None),
    Case(
        "final once window and margin passed", record(), events(0.5, drained=12.0), 12.0, (G, None, P, None)
    ),
    # Final only once a drain that began after the window and margin emptied the queue: a verifier that
    # fell behind may not have received a duplicate delivered within the window yet.
    Case("window and margin passed, no emptying drain yet", record(), events(0.5), 30.0, None),
    Case(
        "window and margin passed, the last drain began before",
        record(),
        events(0.5, drained=11.9),
        30.0,
        None,
    ),
    Case("duplicate inside the window", record(), events(0.5, 6.0), 6.5, (B, FC.EVENT_DUPLICATE, None, None)),
    Case(
        "duplicate exactly at the end", record(), events(0.5, 10.0), 12.0, (B, FC.EVENT_DUPLICATE, None, None)
    ),
    Case(
        "duplicate after the end: stays good",
        record(),
        events(0.5, 10.01, drained=12.0),
        12.0,
        (G, None, P, None),
    ),
    Case("a restarted verifier's grace holds it", record(), events(0.5), 12.5, None, not_before=15.0),
    Case(
        "the ledger's event, window closed",
        record(event_at=T0 + 1),
        Evidence(item=dict(ITEM), events_drained_at=T0 + 12.0),
        12.0,
        (G, None, P, None),
    ),
    Case(
        "after a restart: the ledger's event, then another",
        record(event_at=T0 + 1),
        events(5.0),
        6.0,
        (B, FC.EVENT_DUPLICATE, None, None),
    ),
    Case(
        "after a restart: the ledger's event again",
        record(event_at=T0 + 1),
        events(1.0, drained=12.0),
        12.0,
        (G, None, P, None),
    ),
    Case("opted out (0): good at once", record(), events(0.5), 1.0, (G, None, P, None), spec=OPTED_OUT),
    Case(
        "opted out (0): a duplicate seen counts",
        record(),
        events(0.5, 0.6),
        1.0,
        (B, FC.EVENT_DUPLICATE, None, None),
        spec=OPTED_OUT,
    ),
    # -- the courier: a call after the successful one within 20 s of the send ---------------------------
    Case("delivered, window open", chain_good(), calls((201, 4), read=10), 10.5, None),
    Case("delivered, window closed, no read since", chain_good(), calls((201, 4), read=20.9), 30.0, None),
    Case(
        "delivered, read after window and margin",
        chain_good(),
        calls((201, 4), read=21),
        21.5,
        (G, None, G, None),
    ),
    Case(
        "second call inside",
        chain_good(),
        calls((201, 4), (201, 8), read=9),
        9.5,
        (G, None, B, FC.COURIER_DUPLICATE),
    ),
    Case(
        "second call exactly at the end",
        chain_good(),
        calls((201, 4), (201, 20), read=21),
        21.5,
        (G, None, B, FC.COURIER_DUPLICATE),
    ),
    Case(
        "second call after the end: stays good",
        chain_good(),
        calls((201, 4), (201, 20.5), read=21),
        21.5,
        (G, None, G, None),
    ),
    Case(
        "a failed call after the delivery is a duplicate",
        chain_good(),
        calls((201, 4), (503, 6), read=7),
        7.5,
        (G, None, B, FC.COURIER_DUPLICATE),
    ),
    Case(
        "a retry after a failure is no duplicate",
        chain_good(),
        calls((503, 3), (201, 9), read=21),
        21.5,
        (G, None, G, None),
    ),
    Case(
        "the ledger's delivery, called again",
        chain_good(courier_at=T0 + 4),
        calls((201, 4), (201, 12), read=13),
        13.5,
        (G, None, B, FC.COURIER_DUPLICATE),
    ),
    Case("courier_missing is not held", chain_good(), calls(read=21), 21.0, (G, None, B, FC.COURIER_MISSING)),
    Case(
        "opted out (0): delivered, good at once",
        chain_good(),
        calls((201, 4)),
        5.0,
        (G, None, G, None),
        spec=OPTED_OUT,
    ),
    # -- an order the API rejected: a courier call within 20 s of the send -------------------------------
    Case(
        "rejected, courier called",
        rejected(),
        calls((201, 3), read=4),
        4.5,
        (B, FC.HTTP_4XX, B, FC.COURIER_UNEXPECTED),
    ),
    Case("rejected, no call, window open", rejected(), calls(read=10), 10.5, None),
    Case("rejected, no call, window closed", rejected(), calls(read=21), 21.5, (B, FC.HTTP_4XX, None, None)),
    Case(
        "rejected, call after the window",
        rejected(),
        calls((201, 25), read=26),
        26.5,
        (B, FC.HTTP_4XX, None, None),
    ),
    Case(
        "rejected 5xx, a failed call counts",
        record(api_status=502),
        calls((503, 3), read=4),
        4.5,
        (B, FC.HTTP_5XX, B, FC.COURIER_UNEXPECTED),
    ),
    Case(
        "no answer is not a rejection",
        record(api_status=None, api_failure=FC.API_TIMEOUT),
        calls((201, 3), read=4),
        10.5,
        (B, FC.API_TIMEOUT, None, None),
    ),
    Case(
        "opted out (0): rejected, final at once",
        rejected(),
        calls(),
        0.5,
        (B, FC.HTTP_4XX, None, None),
        spec=OPTED_OUT,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_settle(case: Case) -> None:
    judge = OrderJudge(case.spec, ENDPOINTS)
    judge.not_before = T0 + case.not_before if case.not_before else 0.0

    outcome = judge.judge(case.record, case.evidence, T0 + case.at)

    if case.expected is None:
        assert outcome is None
    else:
        assert outcome is not None
        got = (
            outcome.chain_verdict,
            outcome.chain_failure,
            outcome.delivery_verdict,
            outcome.delivery_failure,
        )
        assert got == case.expected


def test_a_held_chain_is_settling_until_the_window_closes() -> None:
    judge = OrderJudge(SPEC, ENDPOINTS)
    assert judge.chain(record(), events(0.5), T0 + 1) == Settling(until=T0 + 12.0)


def test_without_settle_the_same_timeline_is_final_at_once() -> None:
    """The verifier's second judge: when a verdict could have been final, to measure the wait."""
    unsettled = OrderJudge(SPEC, ENDPOINTS, settle=False)
    outcome = unsettled.judge(chain_good(), calls((201, 4), (201, 4)), T0 + 5)
    assert outcome is not None and outcome.delivery_verdict is G


def test_the_details_say_when_the_violation_came() -> None:
    judge = OrderJudge(SPEC, ENDPOINTS)
    duplicate = judge.judge(record(), events(0.5, 6.0), T0 + 6.5)
    assert duplicate is not None and duplicate.details == "2 events captured, the second 6.0 s after the send"
    unexpected = judge.judge(rejected(), calls((201, 3), read=4), T0 + 4.5)
    assert unexpected is not None and unexpected.details is not None
    assert unexpected.details.startswith("API answered 400; the body: ")
    assert ", yet the courier was called 1 time(s), first 3.0 s after the send" in unexpected.details


# -- the spec ------------------------------------------------------------------------------------------


def test_windows_default_to_the_event_deadline_and_the_delivery_deadline() -> None:
    assert SPEC.settle_windows() == SettleWindows(event=10.0, courier=20.0)
    without_slo = parse_spec(WINDOWED.replace(", deadline_seconds: 20", ""))
    assert without_slo.settle_windows() == SettleWindows(event=10.0, courier=30.0)
    assert OPTED_OUT.settle_windows() == SettleWindows(event=0.0, courier=0.0)


def test_a_window_is_declared_per_stage() -> None:
    text = WINDOWED.replace(
        "  order_id_path: detail.orderId\n", "  order_id_path: detail.orderId\n  settle_seconds: 4\n"
    )
    text = text.replace(
        "  expected_status: [200, 201]\n", "  expected_status: [200, 201]\n  settle_seconds: 45.5\n"
    )
    assert parse_spec(text).settle_windows() == SettleWindows(event=4.0, courier=45.5)


def test_an_unverified_stage_has_no_window() -> None:
    api_only = parse_spec(SPEC_TEXT.split("dynamodb:")[0])
    assert api_only.settle_windows() == SettleWindows(event=None, courier=None)


@pytest.mark.parametrize("value", ["-1", "3601", "soon", "true"])
def test_a_bad_window_is_refused(value: str) -> None:
    text = WINDOWED.replace(
        "  order_id_path: detail.orderId\n", f"  order_id_path: detail.orderId\n  settle_seconds: {value}\n"
    )
    with pytest.raises(SpecError, match=r"event\.settle_seconds"):
        parse_spec(text)


# -- the tally -----------------------------------------------------------------------------------------


def test_the_tally_counts_only_verdicts_that_waited() -> None:
    tally = SettleTally(windows=SettleWindows(event=10.0, courier=20.0))
    tally.ready("o-1", now=101.0)
    tally.ready("o-1", now=102.0)  # the first moment counts
    tally.final("o-1", now=110.5)
    tally.ready("o-2", now=103.0)
    tally.final("o-2", now=123.0)
    tally.final("o-3", now=104.0)  # final at once: no wait
    tally.final("o-1", now=130.0)  # final again: its wait is already counted, once
    assert tally.waits == [9.5, 20.0]
    assert tally.to_dict() == {
        "windows_s": {"event": 10.0, "courier": 20.0},
        "waited": 2,
        "wait_s": {"median": 14.75, "max": 20.0},
    }
    assert tally.describe() == "event 10 s, courier 20 s; 2 verdicts waited, median 14.8 s, max 20.0 s"


def test_an_empty_tally_says_so() -> None:
    tally = SettleTally(windows=SettleWindows(event=0.0, courier=None))
    assert tally.describe() == "event 0 s; no verdict waited"
    assert tally.to_dict()["wait_s"] == {"median": None, "max": None}


def test_a_clock_that_stepped_back_waits_zero_not_a_negative_time() -> None:
    tally = SettleTally(windows=SettleWindows(event=10.0, courier=None))
    tally.ready("o-1", now=110.0)
    tally.final("o-1", now=109.5)  # the wall clock went back half a second between the passes
    assert tally.waits == [0.0]
