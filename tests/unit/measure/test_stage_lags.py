"""Stage lags say what they measure; a late look at an item is a late lag, never a missing item."""

from __future__ import annotations

import json

from chainprobe.ledger import OrderRecord, Run, RunState, Stage, Verdict
from chainprobe.measure.sli import LAG_STAGES, STAGE_LAGS, compute_sli
from chainprobe.report import build_report, render_markdown, render_terminal
from chainprobe.spec import parse_spec
from chainprobe.verify.verdict import Evidence, OrderJudge

T0 = 1_000.0
SPEC = parse_spec(
    """
name: shop
send: {endpoint: "http://api/orders", payload: {customerId: c-1}, order_id_path: orderId}
api: {expected_status: [201]}
dynamodb:
  table: Orders
  key: {orderId: "${order_id}"}
  checks: [{path: customerId, equals: c-1}]
deadlines: {api: 10, dynamodb: 5}
""",
    source="shop.yaml",
)
RUN = Run(
    run_id="r-1",
    spec_path="shop.yaml",
    spec_name="shop",
    target="local",
    started_at=T0,
    ended_at=T0 + 60,
    state=RunState.VERIFIED,
)


def late_order() -> OrderRecord:
    """Answered at once; its item first read 55 s after sending (a run verified late)."""
    return OrderRecord(
        run_id="r-1",
        seq=0,
        order_id="o-1",
        planned_at=T0,
        sent_at=T0,
        api_at=T0 + 0.1,
        api_status=201,
        api_latency_ms=100.0,
        api_body='{"orderId": "o-1"}',
        dynamodb_at=T0 + 55,
        chain_verdict=Verdict.GOOD,
    )


def test_every_lag_stage_says_what_it_measures_and_only_dynamodb_is_an_upper_bound() -> None:
    assert set(STAGE_LAGS) == set(LAG_STAGES)
    assert [s for s in LAG_STAGES if STAGE_LAGS[s].upper_bound] == [Stage.DYNAMODB]
    assert STAGE_LAGS[Stage.DYNAMODB].measures == "seen by the verifier at"


def test_an_item_present_when_looked_at_late_is_not_missing() -> None:
    record = OrderRecord(
        run_id="r-1",
        seq=0,
        order_id="o-1",
        planned_at=T0,
        sent_at=T0,
        api_at=T0 + 0.1,
        api_status=201,
        api_latency_ms=100.0,
        api_body="{}",
    )
    judge = OrderJudge(SPEC, {})
    outcome = judge.judge(record, Evidence(item={"orderId": "o-1", "customerId": "c-1"}), T0 + 55)
    assert outcome is not None and outcome.chain_verdict is Verdict.GOOD


def test_every_report_labels_the_late_dynamodb_lag_as_the_verifiers_look() -> None:
    orders = [late_order()]
    report = build_report(run=RUN, orders=orders, spec=SPEC, sli=compute_sli(orders))

    lags = json.loads(json.dumps(report.to_dict()))["sli"]["stage_lag_ms"]
    assert lags["dynamodb"]["max"] == 55_000.0
    assert lags["dynamodb"]["measures"] == "seen by the verifier at"
    assert lags["dynamodb"]["upper_bound"] is True
    assert lags["api"]["upper_bound"] is False and lags["api"]["measures"] == "answered at"
    assert "dynamodb seen by the verifier (an upper bound) p95 55" in render_terminal(report)
    markdown = render_markdown(report)
    assert "| dynamodb | seen by the verifier (an upper bound) | 1 |" in markdown
    assert "an upper bound on when the chain wrote it" in markdown
