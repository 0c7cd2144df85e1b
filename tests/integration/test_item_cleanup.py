"""``dynamodb.cleanup: delete`` on the real local stack: no probe item outlives its run, good or bad."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import FailureClass, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import run_canary
from chainprobe.report import render_terminal
from chainprobe.target import Target
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
    local_stack: RunningStack, target: Target, ledger_path: Path, tmp_path: Path
) -> None:
    # In strict publish mode events-entry-failure writes the item, then answers 502.
    outcome = run_canary(
        spec_path=SPEC,
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
