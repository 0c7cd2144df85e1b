"""A bad answer's verdict details carry what the chain put in the body (the real local stack)."""

from __future__ import annotations

import json
from pathlib import Path

from chainprobe.ledger.model import FailureClass, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import run_canary
from chainprobe.target import Target
from tests.integration.spec_variants import Spec, spec_variant


def test_an_unexpected_2xx_says_what_the_body_said(target: Target, ledger_path: Path, tmp_path: Path) -> None:
    def expect_202(data: Spec) -> None:
        data["api"]["expected_status"] = [202]  # the reference chain answers 201 CREATED

    # The real settle windows: the courier call for the rejected order comes after its API answer.
    spec = spec_variant(tmp_path, "orders-202.yaml", expect_202, settle=True)
    outcome = run_canary(
        spec_path=spec, count=2, rate=2.0, report_dir=tmp_path, say=print, target=target, metric_math=False
    )

    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(outcome.report.run.run_id)
    assert [o.chain_verdict for o in orders] == [Verdict.BAD, Verdict.BAD]
    assert all(o.chain_failure is FailureClass.HTTP_2XX_ERROR_BODY for o in orders)
    for order in orders:
        assert order.details is not None
        said = order.details.split("; the body: ", 1)
        assert said[0] == "API answered 201, expected 202", order.details
        body, end = json.JSONDecoder().raw_decode(said[1])
        assert body == {"orderId": order.order_id, "status": "CREATED"}
        # the chain went on as for a good order, so the courier was called for a rejected one
        assert said[1][end:].startswith(", yet the courier was called 1 time(s)"), order.details
        assert order.delivery_failure is FailureClass.COURIER_UNEXPECTED
    worst = json.loads((tmp_path / "report.json").read_text())["worst_orders"]
    assert all('"status": "CREATED"' in item["details"] for item in worst)
