"""``dynamodb.cleanup: delete`` on the real local stack: no probe item outlives its run, good or bad."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import FailureClass, OrderOutcome, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import run_canary
from chainprobe.report import render_terminal
from chainprobe.spec import load_spec
from chainprobe.target import Target
from chainprobe.verify.run_verifier import RunVerifier
from tests.integration.conftest import RunningStack
from tests.integration.test_canary import SPEC


def order_ids_in_table(running: RunningStack, wanted: set[str]) -> set[str]:
    """Which of ``wanted`` the chain's table holds (a consistent scan of the whole table)."""
    dynamodb = running.clients.client("dynamodb")
    found: set[str] = set()
    request: dict[str, Any] = {"TableName": running.endpoints.table, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**request)
        found |= {item["orderId"]["S"] for item in page["Items"]} & wanted
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_delete_leaves_no_item_of_the_run_even_of_orders_answered_5xx_after_the_write(
    local_stack: RunningStack, target: Target, ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    # In strict publish mode events-entry-failure writes the item, then answers 502.
    outcome = run_canary(
        spec_path=quick_spec,
        count=6,
        rate=3.0,
        report_dir=tmp_path,
        say=print,
        target=target,
        fault_plan=FaultPlan(faults=("events-entry-failure",), every=2),
        metric_math=False,
    )

    run_id = outcome.report.run.run_id
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(run_id)
    bad = {o.seq for o in orders if o.chain_verdict is Verdict.BAD}
    assert bad == {0, 2, 4}
    assert all(o.chain_failure is FailureClass.HTTP_5XX for o in orders if o.seq in bad)
    assert order_ids_in_table(local_stack, {o.order_id for o in orders}) == set()
    # Every order wrote its item (the 502 ones before answering): all six found and removed.
    cleanup = outcome.report.to_dict()["cleanup"]
    assert cleanup == {"mode": "delete", "orders": 6, "removed": 6, "not_found": 0, "failed": 0}
    assert json.loads((tmp_path / "report.json").read_text())["cleanup"] == cleanup
    assert "cleanup     deleted 6 items of 6 orders; 0 not found by key" in render_terminal(outcome.report)


def test_delete_finds_by_key_the_items_of_orders_judged_bad_before_any_item_was_read(
    local_stack: RunningStack, target: Target, ledger_path: Path
) -> None:
    """A verdict can be final before a verifier pass reads the item (the pass read its pending orders
    before the 5xx answer was recorded, or a killed run's verifier judged it): cleanup must still find it."""
    chaos = [["events-entry-failure"]] * 3 + [["handler-500"], None]  # 502 after the write; 500 before it
    with Ledger(ledger_path) as ledger:
        run = ledger.create_run(spec_path=str(SPEC), spec_name="orders", target="local")
        outcomes = []
        for seq, markers in enumerate(chaos):
            order_id = f"o-{run.run_id}-{seq}-{uuid.uuid4().hex[:6]}"
            sent_at = time.time()
            ledger.plan_order(run.run_id, seq=seq, order_id=order_id, sent_at=sent_at)
            body: dict[str, Any] = {
                "orderId": order_id,
                "customerId": "c-1",
                "items": [{"sku": "w-1", "quantity": 2}],
                "amount": 25.0,
                "probe": {"runId": run.run_id, "seq": seq},
            }
            if markers is not None:
                body["chaos"] = markers
            answer = httpx.post(f"{local_stack.endpoints.api_url}/orders", json=body, timeout=30.0)
            ledger.record_api_answer(
                run.run_id, seq, sent_at=sent_at, status=answer.status_code, latency_ms=1.0, body=answer.text
            )
            bad = answer.status_code >= 500
            outcomes.append(
                OrderOutcome(
                    seq=seq,
                    chain_verdict=Verdict.BAD if bad else Verdict.GOOD,
                    chain_failure=FailureClass.HTTP_5XX if bad else None,
                )
            )
        ledger.record_outcomes(run.run_id, outcomes)
        statuses = [o.api_status for o in ledger.orders(run.run_id)]
        assert statuses == [502, 502, 502, 500, 201]
        ids = {o.order_id for o in ledger.orders(run.run_id)}
        assert len(order_ids_in_table(local_stack, ids)) == 4  # the chain wrote all but the 500's

        verifier = RunVerifier(
            spec=load_spec(SPEC), endpoints=target.endpoints, clients=target.clients, ledger=ledger
        )
        cleanup = verifier.clean_up_items(run.run_id)

    assert cleanup is not None and (cleanup.removed, cleanup.not_found, cleanup.failed) == (4, 1, 0)
    assert order_ids_in_table(local_stack, ids) == set()
