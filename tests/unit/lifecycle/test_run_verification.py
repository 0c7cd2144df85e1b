"""The verification loop of a stopped run: a failing pass stops the run and the loop ends within the
grace period; what the API outcome alone proves is judged; deliveries wait while the journal is down."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError

from chainprobe.ledger import FailureClass, Ledger, OrderRecord, Verdict
from chainprobe.run_lifecycle import RunControl, RunStop, StopCause, clean_up
from chainprobe.run_verification import HeldDeliveryJudge, WatchedJournal, judge_api_outcomes, verify_run
from chainprobe.spec import parse_spec
from chainprobe.verify.courier import CourierCall, CourierJournalError
from chainprobe.verify.verdict import Evidence, OrderJudge

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201], checks: [{path: $.status, equals: CREATED}]}
courier: {admin_url: "http://courier.test", url_path: /deliveries, order_id_json_path: $.orderId}
"""
)


class DownVerifier:
    """A verifier whose every pass fails as an AWS endpoint that is down does."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.judge = OrderJudge(SPEC, {})
        self.capture = None
        self.courier = None
        self.poll_interval = 0.01
        self.passes = 0

    def verify_pass(self, run_id: str, pending: list[OrderRecord]) -> None:
        self.passes += 1
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:4566")


def a_run(ledger: Ledger) -> str:
    run = ledger.create_run(spec_path="s", spec_name="shop", target="t")
    answers = {0: 201, 1: 503, 2: 404}
    for seq in range(5):
        ledger.plan_order(run.run_id, seq=seq, order_id=f"o-{seq}", planned_at=1.0)
        if seq in answers:
            body = '{"status": "CREATED"}'
            ledger.record_api_answer(
                run.run_id, seq, sent_at=1.0, status=answers[seq], latency_ms=5, body=body
            )
    ledger.record_api_failure(run.run_id, 3, sent_at=1.0, failure=FailureClass.API_TIMEOUT, latency_ms=10)
    return run.run_id  # seq 4: planned, no outcome


def test_a_failing_pass_stops_the_run_and_the_loop_ends_within_the_grace(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        run_id = a_run(ledger)
        verifier, control = DownVerifier(ledger), RunControl()
        started = time.monotonic()
        verify_run(verifier, run_id, control, grace_s=0.3)  # type: ignore[arg-type]
        took = time.monotonic() - started
        assert control.cause is not None and control.cause.cause is StopCause.INFRASTRUCTURE
        assert "4566" in control.cause.reason
        assert verifier.passes >= 2  # retried within the grace, in case the endpoint comes back
        assert took < 5.0
        assert len(ledger.pending_orders(run_id)) == 5


def test_what_the_api_outcome_alone_proves_is_judged_the_rest_stays_pending(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        run_id = a_run(ledger)
        assert judge_api_outcomes(DownVerifier(ledger), run_id) == 3  # type: ignore[arg-type]
        orders = {order.seq: order for order in ledger.orders(run_id)}
    assert [(orders[s].chain_verdict, orders[s].chain_failure) for s in range(5)] == [
        (Verdict.PENDING, None),  # a 201: the chain's later stages decide
        (Verdict.BAD, FailureClass.HTTP_5XX),
        (Verdict.BAD, FailureClass.HTTP_4XX),
        (Verdict.BAD, FailureClass.API_TIMEOUT),
        (Verdict.PENDING, None),  # no outcome yet: not judged for want of evidence
    ]


class FlakyJournal:
    def __init__(self) -> None:
        self.down = True

    def calls_since(self, since: float, order_ids: set[str]) -> dict[str, list[CourierCall]]:
        if self.down:
            raise CourierJournalError("courier journal at http://courier.test: connection refused")
        return {}

    def close(self) -> None:
        pass


def test_deliveries_wait_while_the_journal_is_down_and_are_judged_once_it_is_back() -> None:
    inner = FlakyJournal()
    journal = WatchedJournal(inner)  # type: ignore[arg-type]
    judge = HeldDeliveryJudge.holding(OrderJudge(SPEC, {}), journal)
    order = OrderRecord(run_id="r", seq=0, order_id="o-0", planned_at=1.0, sent_at=1.0, api_status=201)
    long_after = 10_000.0

    assert journal.calls_since(0.0, {"o-0"}) == {}
    assert journal.failure is not None and "connection refused" in str(journal.failure)
    read = Evidence(courier_read_at=long_after)  # a read that began after the deadline
    assert judge.delivery(order, read, long_after) is Verdict.PENDING

    inner.down = False
    assert journal.calls_since(0.0, {"o-0"}) == {} and journal.failure is None
    missing = judge.delivery(order, read, long_after)
    assert not isinstance(missing, Verdict) and missing.failure is FailureClass.COURIER_MISSING


class CleaningVerifier:
    def __init__(self, error: Exception | None = None) -> None:
        self.cleaned = 0
        self.error = error

    def clean_up_items(self, run_id: str) -> int:
        self.cleaned += 1
        if self.error is not None:
            raise self.error
        return 0


SIGINT = RunStop(StopCause.INTERRUPTED, "SIGINT")


@pytest.mark.parametrize(
    ("stop", "pending", "cleaned"),
    [
        (None, False, 1),
        (SIGINT, False, 1),  # stopped, but every verdict final: nothing left to read
        (SIGINT, True, 0),  # verify --run must still find the items of pending orders
        (None, True, 1),  # not stopped: only a stopped run keeps its items
    ],
)
def test_a_stopped_run_keeps_the_items_its_pending_orders_need(
    stop: RunStop | None, pending: bool, cleaned: int
) -> None:
    verifier = CleaningVerifier()
    clean_up(verifier, "r", stop=stop, pending=pending)  # type: ignore[arg-type]
    assert verifier.cleaned == cleaned


def test_a_clean_up_the_infrastructure_fails_is_skipped_only_for_a_stopped_run() -> None:
    down = EndpointConnectionError(endpoint_url="http://127.0.0.1:4566")
    clean_up(CleaningVerifier(down), "r", stop=SIGINT, pending=False)  # type: ignore[arg-type]
    with pytest.raises(EndpointConnectionError):
        clean_up(CleaningVerifier(down), "r", stop=None, pending=False)  # type: ignore[arg-type]
