"""The metric-math SLI against the black box on the real local stack, failure class by class.

Canaries of six orders, every third one marked with a fault:

- ``handler-500``: the handler catches an error and answers 500. The gateway's 5XXError counts
  each one and nothing else moves: the metric math and the black box agree (gap 0).
- ``lambda-exception``: the handler raises; 5XXError and Lambda Errors both count the order, and
  the design's formula adds them: the metric math counts each such order twice.
- ``events-entry-failure`` in *naive* publish mode: PutEvents rejects the entry, the handler does
  not look and answers 201. The black box finds exactly the marked orders bad (``event_missing``);
  no metric of the expression moves, so the metric math reads 100% and the reconciliation says
  that class is invisible to the expression.

Isolation: the session's stack is shared by every integration test (they run one at a time), and
the metric math counts every request of the API, not only the canary's. The spec's queries are read
at a 5-second period (a copy of probes/orders.yaml), and the run's window starts on the period of its
first order: the canary starts on a fresh period, after every earlier request (the stack's own smoke
order after a redeploy included) was answered, then the test asserts the denominator holds exactly
the canary's orders: a stray request would fail the test loudly instead of skewing its numbers.
(Sharing periods with other traffic is tests/integration/test_back_to_back_reconciliation.py.)
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import FailureClass, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import run_canary
from chainprobe.spec.variables import endpoint_variables
from chainprobe.target import Target
from tests.integration.cloudwatch_window import sleep_until
from tests.integration.conftest import RunningStack
from tests.integration.spec_variants import Spec, spec_variant, with_logs
from tests.integration.test_local_stack import redeploy

PERIOD = 5
COUNT = 6
EVERY = 3
MARKED = {seq for seq in range(COUNT) if seq % EVERY == 0}


def spec_at_period(directory: Path, period: int, *, logs: bool = False) -> Path:
    """probes/orders.yaml with every metric-math MetricStat read at ``period`` seconds (and, with
    ``logs``, the reference chain's ``logs`` section)."""

    def read_at_period(data: Spec) -> None:
        for query in data["metric_math"]["Metrics"]:
            if "MetricStat" in query:
                query["MetricStat"]["Period"] = period
        if logs:
            with_logs(data)

    return spec_variant(directory, "orders.yaml", read_at_period)


def reconciled_canary(target: Target, directory: Path, fault: str, *, logs: bool = False) -> dict[str, Any]:
    """Runs the canary after a quiet lead-in longer than the window's; returns its report.json."""
    spec = spec_at_period(directory, PERIOD, logs=logs)
    sleep_until(math.ceil(time.time() / PERIOD) * PERIOD)  # a period no earlier request reached
    run_canary(
        spec_path=spec,
        count=COUNT,
        rate=3.0,
        report_dir=directory / "reports",
        say=print,
        target=target,
        fault_plan=FaultPlan(faults=(fault,), every=EVERY),
    )
    report: dict[str, Any] = json.loads((directory / "reports" / "report.json").read_text())
    print(json.dumps({k: report[k] for k in ("orders", "metric_math", "reconciliation")}, indent=2))
    return report


def bad_orders(ledger_path: Path, run_id: str) -> dict[int, FailureClass | None]:
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(run_id)
    return {o.seq: o.chain_failure for o in orders if o.chain_verdict is Verdict.BAD}


def test_a_handler_500_is_seen_alike_by_the_metric_math_and_the_black_box(
    target: Target, ledger_path: Path, tmp_path: Path
) -> None:
    report = reconciled_canary(target, tmp_path, "handler-500")

    assert bad_orders(ledger_path, report["run_id"]) == dict.fromkeys(MARKED, FailureClass.HTTP_5XX)
    metric_math, reconciliation = report["metric_math"], report["reconciliation"]
    assert metric_math["complete"] is True and metric_math["window"]["period_s"] == PERIOD
    assert (reconciliation["requests"], reconciliation["orders_sent"]) == (COUNT, COUNT)
    assert report["sli"]["availability"] == pytest.approx(4 / 6, abs=1e-6)
    assert metric_math["availability"] == pytest.approx(4 / 6, abs=1e-6)
    assert reconciliation["gap"] == pytest.approx(0.0, abs=1e-6)
    http_5xx = reconciliation["by_class"]["http_5xx"]
    assert (http_5xx["black_box"], http_5xx["metric_math"], http_5xx["explained"]) == (2, 2, True)
    assert http_5xx["reason"] == "counted by apiFailures (AWS/ApiGateway 5XXError) for all 2"
    assert reconciliation["unexplained"] == {"gap": pytest.approx(0.0, abs=1e-6), "failures": 0}
    # The per-period series is reported apart; the busy periods hold the canary's six requests.
    assert sum(point["requests"] or 0 for point in metric_math["periods"]) == COUNT


def test_a_raised_handler_error_is_counted_twice_by_the_design_formula(
    target: Target, ledger_path: Path, tmp_path: Path
) -> None:
    report = reconciled_canary(target, tmp_path, "lambda-exception")

    assert bad_orders(ledger_path, report["run_id"]) == dict.fromkeys(MARKED, FailureClass.HTTP_5XX)
    metric_math, reconciliation = report["metric_math"], report["reconciliation"]
    assert metric_math["complete"] is True
    assert (reconciliation["requests"], reconciliation["orders_sent"]) == (COUNT, COUNT)
    # 5XXError and Lambda Errors both count each raised order: 1 - (2 + 2) / 6.
    assert metric_math["availability"] == pytest.approx(1 - 4 / 6, abs=1e-6)
    assert reconciliation["gap"] == pytest.approx(2 / 6, abs=1e-6)
    http_5xx = reconciliation["by_class"]["http_5xx"]
    assert (http_5xx["black_box"], http_5xx["metric_math"], http_5xx["explained"]) == (2, 4, True)
    assert "counts more than once" in http_5xx["reason"]


def test_a_swallowed_publish_failure_is_invisible_to_the_metric_math(
    local_stack: RunningStack, ledger_path: Path, tmp_path: Path
) -> None:
    redeploy(local_stack, "naive")
    try:
        target = Target(
            name="local",
            endpoints=endpoint_variables(local_stack.stack.status()),
            clients=local_stack.clients,
        )
        report = reconciled_canary(target, tmp_path, "events-entry-failure")
    finally:
        redeploy(local_stack, "strict")

    assert bad_orders(ledger_path, report["run_id"]) == dict.fromkeys(MARKED, FailureClass.EVENT_MISSING)
    metric_math, reconciliation = report["metric_math"], report["reconciliation"]
    assert metric_math["complete"] is True
    assert (reconciliation["requests"], reconciliation["orders_sent"]) == (COUNT, COUNT)
    assert metric_math["availability"] == 1.0
    assert reconciliation["gap"] == pytest.approx(-2 / 6, abs=1e-6)
    event_missing = reconciliation["by_class"]["event_missing"]
    assert (event_missing["black_box"], event_missing["metric_math"], event_missing["explained"]) == (
        2,
        0,
        True,
    )
    assert event_missing["reason"].startswith("invisible to the expression")
    assert reconciliation["unexplained"] == {"gap": pytest.approx(0.0, abs=1e-6), "failures": 0}
