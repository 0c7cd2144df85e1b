"""The harness measured: inject a known fault into known orders and check it finds exactly them.

Every third order of a canary carries one fault's marker; the chain (or the emulator, or the courier
stub) fires that fault for exactly those orders. The canary must call exactly those orders bad, with the
class the fault produces, and every other order good.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.measure.fault_log import FaultCheck
from chainprobe.pipeline import run_canary
from chainprobe.stacks.courier_admin import CourierAdmin
from chainprobe.stacks.local.fault_names import FiredFault
from chainprobe.stacks.local.faults import FaultRegistryClient
from chainprobe.target import Target

COUNT = 6
EVERY = 3
MARKED = {seq for seq in range(COUNT) if seq % EVERY == 0}

CHAIN_FAULTS = {
    "handler-500": FailureClass.HTTP_5XX,
    "lambda-exception": FailureClass.HTTP_5XX,
    "malformed-response": FailureClass.HTTP_5XX,
    "events-entry-failure": FailureClass.HTTP_5XX,  # strict publish mode: the request fails
}
COURIER_FAULTS = ("courier-5xx", "courier-429", "courier-reset", "courier-slow")
DELIVERY_DEADLINE_S = 30  # probes/orders.yaml: slo.delivery.deadline_seconds


@dataclass(frozen=True)
class FaultedRun:
    """A canary's orders, the fault log's entries for them (the ground truth), and the report's check."""

    orders: list[OrderRecord]
    fired: list[FiredFault]
    check: FaultCheck

    @property
    def fired_orders(self) -> set[str]:
        return {entry.order_id for entry in self.fired}

    @property
    def marked_orders(self) -> set[str]:
        return {o.order_id for o in self.orders if o.seq in MARKED}


def canary_orders(target: Target, ledger_path: Path, spec: Path, fault: str, rate: float = 3.0) -> FaultedRun:
    registry = FaultRegistryClient.for_endpoint(str(target.endpoints["aws_endpoint_url"]))
    started = time.time()
    outcome = run_canary(
        spec_path=spec,
        count=COUNT,
        rate=rate,
        report_dir=None,
        say=print,
        target=target,
        metric_math=False,  # the fault log is the ground truth here; test_reconciliation reads metric math
        fault_plan=FaultPlan(faults=(fault,), every=EVERY),
    )
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(outcome.report.run.run_id)
    run_ids = {o.order_id for o in orders}
    fired = [entry for entry in registry.log(since=started) if entry.order_id in run_ids]
    # The ground truth names only this fault, and only on marked orders.
    assert {entry.fault for entry in fired} <= {fault}
    summary = outcome.report.faults
    assert summary is not None and summary.never_fired() is None
    (check,) = summary.checks
    assert (check.fault, check.marked) == (fault, len(MARKED))
    assert (check.unmarked_hits, check.hit_by_others) == (0, ())
    # A good order has every stage on its timeline.
    assert all(o.api_at and o.dynamodb_at and o.event_at for o in orders if o.chain_verdict is Verdict.GOOD)
    run = FaultedRun(orders, fired, check)
    assert run.fired_orders <= run.marked_orders
    return run


@pytest.mark.parametrize("fault", sorted(CHAIN_FAULTS))
def test_a_chain_fault_makes_exactly_the_marked_orders_bad(
    target: Target,
    ledger_path: Path,
    quick_spec: Path,
    fault: str,
) -> None:
    run = canary_orders(target, ledger_path, quick_spec, fault)
    orders = run.orders
    # A chain fault fires while the order is answered: the log and the report name exactly the marked ones.
    assert run.fired_orders == run.marked_orders
    assert run.check == FaultCheck(fault, len(MARKED), len(MARKED), len(run.fired))

    bad = {o.seq: o.chain_failure for o in orders if o.chain_verdict is Verdict.BAD}
    assert bad == dict.fromkeys(MARKED, CHAIN_FAULTS[fault])
    assert all(o.chain_verdict is Verdict.GOOD for o in orders if o.seq not in MARKED)
    assert all(o.delivery_verdict is Verdict.GOOD for o in orders if o.seq not in MARKED)


def test_handler_latency_slows_exactly_the_marked_orders(
    target: Target, ledger_path: Path, quick_spec: Path
) -> None:
    # Slow enough that no order waits behind a sleeping one (one warm environment serves them all).
    run = canary_orders(target, ledger_path, quick_spec, "handler-latency", rate=0.5)
    orders = run.orders
    assert run.fired_orders == run.marked_orders
    assert run.check == FaultCheck("handler-latency", len(MARKED), len(MARKED), len(run.fired))

    assert all(o.chain_verdict is Verdict.GOOD for o in orders)
    slow = {o.seq for o in orders if (o.api_latency_ms or 0) >= 1500}
    assert slow == MARKED


def first_courier_calls(courier_url: str) -> dict[str, float]:
    """When the courier stub first saw each order, read straight from its journal with the wiremock client
    (not via the harness's own journal reader)."""
    first: dict[str, float] = {}
    for entry in CourierAdmin(courier_url, timeout=10.0).received():
        assert entry.request is not None and entry.request.logged_date is not None
        order_id = json.loads(entry.request.body or "{}").get("orderId")
        at = entry.request.logged_date / 1000
        if order_id and (order_id not in first or at < first[order_id]):
            first[order_id] = at
    return first


@pytest.mark.parametrize("fault", COURIER_FAULTS)
def test_a_courier_fault_fails_exactly_the_marked_deliveries(
    target: Target,
    ledger_path: Path,
    quick_spec: Path,
    fault: str,
) -> None:
    run = canary_orders(target, ledger_path, quick_spec, fault)
    orders = run.orders

    assert all(o.chain_verdict is Verdict.GOOD for o in orders)
    # A slow courier holds up the orders batched behind a marked one (records of a batch are delivered one
    # after the other): an order whose first courier call came after its deadline is truly missing, marked
    # or not. The stub's own journal, read here without the harness, says when each order first reached it.
    first_call = first_courier_calls(str(target.endpoints["courier_url"]))
    for order in orders:
        assert order.sent_at is not None
        late = first_call.get(order.order_id, float("inf")) > order.sent_at + DELIVERY_DEADLINE_S
        if late:
            assert order.delivery_failure is FailureClass.COURIER_MISSING, order
        elif order.seq in MARKED:
            assert order.delivery_failure is FailureClass.COURIER_FAILED, order
        else:
            assert order.delivery_verdict is Verdict.GOOD, order
    assert any(o.delivery_failure is FailureClass.COURIER_FAILED for o in orders if o.seq in MARKED)
    # A courier fault fires when the courier is called: every marked order that reached it in time is in the
    # log (one held up past its deadline may reach it only after the log was read) and in the report's count.
    in_time = {
        o.order_id
        for o in orders
        if o.sent_at and first_call.get(o.order_id, float("inf")) <= o.sent_at + DELIVERY_DEADLINE_S
    }
    assert run.marked_orders & in_time <= run.fired_orders
    assert len(run.marked_orders & in_time) <= run.check.logged_orders <= len(MARKED)
    # The report counted the log when its verdicts were final; the retries go on after that (the queue
    # redelivers a failed record), so the log read later may hold more entries, never fewer.
    assert run.check.logged_orders <= run.check.log_entries <= len(run.fired)
