"""The log view on the real local stack: the chain's own milestone logs, read by one Logs Insights query
per run (``logs:chainprobe``), beside the black box and the metric math.

- A clean canary: every order reached the delivery function's COMPLETED, so the log SLI is 100%, and
  the lead time (START in OrdersHandler to COMPLETED in DeliveryHandler) is positive and within the
  delivery deadline.
- ``events-entry-failure`` in naive publish mode (as in test_reconciliation.py): the black box finds the
  marked orders bad (``event_missing``), their logs never reach the delivery function's COMPLETED, and
  the metric math counts none of them: the three-way reconciliation says black box and logs saw them.
- ``lambda-exception`` (settle windows 0: settling is not under test): each bad order's drill-down, in
  report.json, the HTML and the terminal, names the exception the runtime logged (type and message) and
  the milestone it never reached; the same run's logs read with a log group that does not exist give a
  note, never an error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import run_canary
from chainprobe.report import render_terminal
from chainprobe.run_logs import logs_source, measure_logs
from chainprobe.spec import load_spec
from chainprobe.spec.variables import endpoint_variables
from chainprobe.target import Target
from tests.integration.conftest import RunningStack
from tests.integration.spec_variants import Spec, spec_variant, with_logs
from tests.integration.test_local_stack import redeploy
from tests.integration.test_reconciliation import COUNT, MARKED, reconciled_canary

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DELIVERY_DEADLINE_MS = 30_000  # probes/orders.yaml deadlines.courier


def test_a_clean_canary_reaches_every_last_milestone(
    target: Target, ledger_path: Path, tmp_path: Path
) -> None:
    run_canary(
        spec_path=spec_variant(tmp_path, "orders-logs.yaml", with_logs),
        count=4,
        rate=4.0,
        report_dir=tmp_path,
        say=print,
        target=target,
        metric_math=False,
    )
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text())
    logs = report["logs"]
    print(json.dumps(logs, indent=2))
    assert report["sli"]["availability"] == 1.0
    assert logs["configured"] is True and logs["notes"] == []
    assert logs["sli"] == {"availability": 1.0, "started": 4, "completed": 4}
    lead = logs["lead_time_ms"]
    assert 0 < lead["p50"] <= lead["p95"] <= lead["max"] < DELIVERY_DEADLINE_MS
    assert logs["reconciliation"]["by_class"] == {}


def test_an_unhandled_exception_is_named_in_each_bad_orders_drilldown(
    target: Target, ledger_path: Path, tmp_path: Path
) -> None:
    def unsettled_with_logs(data: Spec) -> None:
        with_logs(data)
        data["event"]["settle_seconds"] = 0
        data["courier"]["settle_seconds"] = 0

    spec_path = spec_variant(tmp_path, "orders-logs.yaml", unsettled_with_logs)
    outcome = run_canary(
        spec_path=spec_path,
        count=4,
        rate=4.0,
        report_dir=tmp_path,
        say=print,
        target=target,
        metric_math=False,
        html=True,
        fault_plan=FaultPlan(faults=("lambda-exception",), every=2),
    )
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text())
    logs = report["logs"]
    print(json.dumps(logs, indent=2))
    assert report["orders"]["by_class"] == {"http_5xx": 2}
    assert (logs["queries"], logs["drilldown_queries"], logs["bad_orders_total"]) == (1, 1, 2)
    html = (tmp_path / "report.html").read_text()
    terminal = render_terminal(outcome.report)
    for item in logs["bad_orders"]:
        drilldown = item["drilldown"]
        message = f"injected fault lambda-exception for order {item['order_id']}"
        assert drilldown["exception"] == {"type": "InjectedHandlerError", "message": message}
        # The spec's path (START, SAVED_IN_DATABASE, PUBLISHED, START in the delivery function, COMPLETED
        # there): the injected exception comes before the order is saved.
        assert drilldown["missing_milestone"] == "SAVED_IN_DATABASE in /aws/lambda/OrdersHandler"
        assert [m["name"] for m in drilldown["milestones"]] == ["START", "FAILED"]
        assert drilldown["functions"] == ["OrdersHandler"]
        assert f'correlation_id = "{item["order_id"]}"' in item["console"]["query"]
        assert f"InjectedHandlerError: {message}" in html and f"InjectedHandlerError: {message}" in terminal
    assert "never reached SAVED_IN_DATABASE in /aws/lambda/OrdersHandler" in html

    # The same run's logs, read with a log group that does not exist: a note, never an error.
    def missing_group(data: Spec) -> None:
        unsettled_with_logs(data)
        data["logs"]["log_groups"] = [*data["logs"]["log_groups"], "/aws/lambda/NoSuchFunction"]

    missing = load_spec(spec_variant(tmp_path, "orders-missing-group.yaml", missing_group))
    with Ledger(ledger_path) as ledger:
        run, orders = ledger.get_run(report["run_id"]), ledger.orders(report["run_id"])
    summary = measure_logs(missing, run, orders, logs_source(missing, target, wait_s=5))
    assert summary is not None and summary.view is None and summary.bad_orders == ()
    (note,) = summary.notes
    assert note.startswith("the log query was not started: ResourceNotFoundException"), note


def test_a_swallowed_publish_failure_is_seen_by_the_black_box_and_the_logs_only(
    local_stack: RunningStack, cli_env: dict[str, str], tmp_path: Path
) -> None:
    redeploy(local_stack, "naive")
    try:
        target = Target(
            name="local",
            endpoints=endpoint_variables(local_stack.stack.status()),
            clients=local_stack.clients,
        )
        report = reconciled_canary(target, tmp_path, "events-entry-failure", logs=True)
    finally:
        redeploy(local_stack, "strict")

    logs = report["logs"]
    print(json.dumps(logs, indent=2))
    failed = len(MARKED)
    assert report["orders"]["by_class"] == {"event_missing": failed}
    assert logs["sli"] == {
        "availability": pytest.approx((COUNT - failed) / COUNT),
        "started": COUNT,
        "completed": COUNT - failed,
    }
    event_missing = logs["reconciliation"]["by_class"]["event_missing"]
    assert event_missing == {
        "black_box": failed,
        "metric_math": 0,
        "logs": failed,
        "seen_by": ["black_box", "logs"],
    }
    assert report["metric_math"]["availability"] == 1.0

    # chainprobe logs: each bad order's drill-down names the milestone it never reached.
    drilled = chainprobe(cli_env, "logs", "--run", report["run_id"])
    print(drilled.stdout)
    assert drilled.returncode == 0, drilled.stderr
    for order_id in logs["failed_orders"]:
        assert f"order {order_id} (seq " in drilled.stdout
    # The naive handler logged PUBLISHED for an entry EventBridge refused: the delivery never started.
    assert drilled.stdout.count("missing     START in /aws/lambda/DeliveryHandler") == failed
    assert drilled.stdout.count("functions   OrdersHandler\n") == failed
    assert drilled.stdout.count("SAVED_IN_DATABASE OrdersHandler") == failed
    unknown = chainprobe(cli_env, "logs", "--run", report["run_id"], "--order", "o-nowhere")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2,
        f"chainprobe: order o-nowhere is not in run {report['run_id']}",
    )


def chainprobe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "chainprobe"), *args]
    return subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
