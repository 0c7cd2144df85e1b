"""Deadlines are inclusive: what arrives exactly at its deadline is on time, a millisecond later is not.

Judged long after every deadline (``T0 + 1000``), so nothing is left to wait for. The deadlines: event
10 s after the order was sent; the delivery SLO's deadline 20 s.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.spec import parse_spec
from chainprobe.verify.courier import CourierCall
from chainprobe.verify.verdict import Evidence, OrderJudge

T0 = 1_000.0
SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
event: {bus: orders, source: shop.api, detail_type: OrderCreated, order_id_path: detail.orderId}
courier:
  admin_url: "${courier_url}"
  url_path: /deliveries
  order_id_json_path: $.orderId
  expected_status: [200]
deadlines: {api: 10, event: 10, courier: 30}
slo:
  availability: {objective: 0.99}
  delivery: {objective: 0.99, deadline_seconds: 20}
""",
    source="shop.yaml",
)
LATE = 1000.0  # seconds after T0: every deadline and settle window is over


def read_late(**fields: Any) -> Evidence:
    """``fields``, the capture queue emptied and the journal read by reads that began at ``T0 + LATE``."""
    return Evidence(events_drained_at=T0 + LATE, courier_read_at=T0 + LATE, **fields)


def answered(**fields: Any) -> OrderRecord:
    values: dict[str, Any] = {
        "sent_at": T0,
        "api_at": T0 + 0.1,
        "api_status": 201,
        "api_latency_ms": 100.0,
        "api_body": json.dumps({"orderId": "o-1"}),
    }
    values.update(fields)
    return OrderRecord(run_id="r-1", seq=0, order_id="o-1", planned_at=T0, **values)


@pytest.mark.parametrize(
    ("delivered", "expected"),
    [
        (T0 + 10.0, (Verdict.GOOD, None)),  # exactly at the deadline: on time
        (T0 + 10.001, (Verdict.BAD, FailureClass.EVENT_MISSING)),  # just past it
        (T0 + 9.999, (Verdict.GOOD, None)),
    ],
    ids=["at-deadline", "just-past", "just-before"],
)
def test_an_event_at_its_deadline(delivered: float, expected: tuple[Verdict, FailureClass | None]) -> None:
    outcome = OrderJudge(SPEC, {}).judge(answered(), read_late(event_times=[delivered]), T0 + LATE)
    assert outcome is not None
    assert (outcome.chain_verdict, outcome.chain_failure) == expected


@pytest.mark.parametrize(
    ("called", "expected"),
    [
        (T0 + 20.0, (Verdict.GOOD, None)),  # exactly at the delivery deadline
        (T0 + 20.001, (Verdict.BAD, FailureClass.COURIER_MISSING)),
    ],
    ids=["at-deadline", "just-past"],
)
def test_a_delivery_at_its_deadline(called: float, expected: tuple[Verdict, FailureClass | None]) -> None:
    record = answered(event_at=T0 + 1, chain_verdict=Verdict.GOOD, delivery_verdict=Verdict.PENDING)
    evidence = read_late(courier_calls=[CourierCall(order_id="o-1", status=200, at=called, response_ms=50.0)])
    outcome = OrderJudge(SPEC, {}).judge(record, evidence, T0 + LATE)
    assert outcome is not None
    assert (outcome.delivery_verdict, outcome.delivery_failure) == expected


def test_an_event_recorded_at_its_deadline_by_an_earlier_verifier_is_on_time() -> None:
    outcome = OrderJudge(SPEC, {}).judge(answered(event_at=T0 + 10.0), read_late(), T0 + LATE)
    assert outcome is not None and outcome.chain_verdict is Verdict.GOOD


@pytest.mark.parametrize(
    ("courier_at", "expected"),
    [(T0 + 20.0, (Verdict.GOOD, None)), (T0 + 20.001, (Verdict.BAD, FailureClass.COURIER_MISSING))],
    ids=["at-deadline", "just-past"],
)
def test_a_delivery_recorded_by_an_earlier_verifier_at_its_deadline(
    courier_at: float, expected: tuple[Verdict, FailureClass | None]
) -> None:
    record = answered(
        event_at=T0 + 1, chain_verdict=Verdict.GOOD, delivery_verdict=Verdict.PENDING, courier_at=courier_at
    )
    outcome = OrderJudge(SPEC, {}).judge(record, read_late(), T0 + LATE)
    assert outcome is not None
    assert (outcome.delivery_verdict, outcome.delivery_failure) == expected


def test_the_details_say_how_late_or_what_is_missing() -> None:
    judge = OrderJudge(SPEC, {})
    late = judge.judge(answered(), read_late(event_times=[T0 + 10.5]), T0 + LATE)
    assert late is not None and late.details == "the event came 0.5 s after the deadline"
    record = answered(event_at=T0 + 1, chain_verdict=Verdict.GOOD, delivery_verdict=Verdict.PENDING)
    missing = judge.judge(record, read_late(), T0 + LATE)
    assert missing is not None and missing.details == "the courier was not called by the deadline"
    unanswered = answered(api_at=None, api_status=None, api_latency_ms=None, api_body=None)
    timeout = judge.judge(unanswered, read_late(), T0 + LATE)
    assert timeout is not None and timeout.details == "no answer recorded and no trace downstream"


ITEM_ONLY = read_late(item={"orderId": "o-1"})
EVENT_ONLY = read_late(event_times=[T0 + 1])
COURIER_ONLY = read_late(courier_calls=[CourierCall(order_id="o-1", status=200, at=T0 + 3)])


@pytest.mark.parametrize("evidence", [ITEM_ONLY, EVENT_ONLY, COURIER_ONLY], ids=["item", "event", "courier"])
def test_one_trace_downstream_is_enough_to_not_be_an_api_timeout(evidence: Evidence) -> None:
    """Sent, no answer recorded (the harness lost it), but one later stage saw the order: it was answered."""
    unanswered = answered(api_at=None, api_status=None, api_latency_ms=None, api_body=None)
    outcome = OrderJudge(SPEC, {}).judge(unanswered, evidence, T0 + LATE)
    assert outcome is not None and outcome.chain_failure is not FailureClass.API_TIMEOUT


@pytest.mark.parametrize(
    ("called", "delivery"),
    [
        (T0 + 20.0, (Verdict.BAD, FailureClass.COURIER_UNEXPECTED)),  # at the window's end: within it
        (T0 + 20.001, (None, None)),  # after the window: never counts
    ],
    ids=["at-window-end", "just-past"],
)
def test_a_call_for_a_rejected_order_at_the_courier_window_end(
    called: float, delivery: tuple[Verdict | None, FailureClass | None]
) -> None:
    """The courier's settle window defaults to the delivery deadline (20 s); the API answered 503."""
    record = answered(api_status=503, api_body=json.dumps({"error": "down"}))
    evidence = Evidence(
        courier_calls=[CourierCall(order_id="o-1", status=200, at=called, response_ms=50.0)],
        courier_read_at=T0 + LATE,
    )
    outcome = OrderJudge(SPEC, {}).judge(record, evidence, T0 + LATE)
    assert outcome is not None
    assert (outcome.chain_verdict, outcome.chain_failure) == (Verdict.BAD, FailureClass.HTTP_5XX)
    assert (outcome.delivery_verdict, outcome.delivery_failure) == delivery
