"""A probe order's trace: built from the ledger's record, and what ``assert_good`` says when it fails."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.pytest_plugin.trace import Trace, TraceNotFinalError

SENT = 1_700_000_000.0


def good_record() -> OrderRecord:
    return OrderRecord(
        run_id="r-1",
        seq=0,
        order_id="o-r-1-0-abc",
        planned_at=SENT - 0.01,
        sent_at=SENT,
        api_at=SENT + 0.125,
        api_status=201,
        dynamodb_at=SENT + 0.25,
        event_at=SENT + 0.5,
        courier_at=SENT + 2.0,
        chain_verdict=Verdict.GOOD,
        delivery_verdict=Verdict.GOOD,
    )


def bad_record() -> OrderRecord:
    return OrderRecord(
        run_id="r-2",
        seq=0,
        order_id="o-r-2-0-def",
        planned_at=SENT,
        sent_at=SENT,
        api_at=SENT + 0.05,
        api_status=500,
        chain_verdict=Verdict.BAD,
        chain_failure=FailureClass.HTTP_5XX,
        details='API answered 500; the body: {"message": "Internal server error"}',
    )


def test_a_good_order_passes_with_every_stage_on_its_timeline() -> None:
    trace = Trace.of(good_record())

    trace.assert_good()
    trace.assert_delivered()
    assert (trace.verdict, trace.failure_class, trace.failing_stage) == ("good", None, None)
    assert list(trace.timeline) == ["sent", "api", "dynamodb", "event", "courier"]
    assert trace.elapsed_ms() == {"sent": 0, "api": 125, "dynamodb": 250, "event": 500, "courier": 2000}


def test_a_bad_order_fails_naming_its_stage_class_details_and_markers() -> None:
    trace = Trace.of(bad_record(), faults=("handler-500",))

    with pytest.raises(AssertionError) as raised:
        trace.assert_good()
    message = str(raised.value)
    assert message.startswith(
        'order o-r-2-0-def failed at stage api: http_5xx: API answered 500; the body: {"message"'
    )
    assert "(fault markers: handler-500)" in message
    assert "timeline: sent +0 ms, api +50 ms" in message
    assert "chainprobe report --run r-2" in message
    assert (trace.verdict, trace.failing_stage, trace.delivery_verdict) == ("bad", "api", None)


def test_a_failed_delivery_fails_assert_delivered_naming_the_courier() -> None:
    record = replace(
        good_record(),
        courier_at=None,
        delivery_verdict=Verdict.BAD,
        delivery_failure=FailureClass.COURIER_MISSING,
        details="no courier call by the deadline",
    )
    trace = Trace.of(record)

    trace.assert_good()
    with pytest.raises(AssertionError, match="failed at stage courier: courier_missing: no courier call"):
        trace.assert_delivered()


@pytest.mark.parametrize("verdict", [Verdict.PENDING, Verdict.NOT_SENT])
def test_an_order_without_a_final_verdict_has_no_trace(verdict: Verdict) -> None:
    record = replace(good_record(), chain_verdict=verdict)
    with pytest.raises(TraceNotFinalError, match="chainprobe verify --run r-1"):
        Trace.of(record)
