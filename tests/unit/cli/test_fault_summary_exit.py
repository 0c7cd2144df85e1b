"""A canary that asked for faults the chain never fired is a configuration error (exit 2), SLO or not."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.run_commands import faults_never_fired
from chainprobe.ledger import FailureClass, Ledger, OrderOutcome, Verdict
from chainprobe.measure.fault_log import FaultCheck, FaultSummary
from chainprobe.pipeline import RunOutcome
from chainprobe.report import (
    RunReport,
    build_report,
    render_json,
    render_junit,
    render_markdown,
    render_terminal,
)
from chainprobe.spec import parse_spec

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId, fault_marker_path: meta.faults}
api: {expected_status: [201]}
"""
)


def report(tmp_path: Path, *, good: bool) -> RunReport:
    """A one-order run, good or bad (502)."""
    with Ledger(tmp_path / f"ledger-{good}.sqlite") as ledger:
        run = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="local", started_at=100.0)
        ledger.plan_order(run.run_id, seq=0, order_id="o-0", planned_at=100.0)
        ledger.record_api_answer(run.run_id, 0, sent_at=100.0, status=201 if good else 502, latency_ms=80.0)
        verdict = Verdict.GOOD if good else Verdict.BAD
        failure = None if good else FailureClass.HTTP_5XX
        ledger.record_outcomes(
            run.run_id, [OrderOutcome(seq=0, chain_verdict=verdict, chain_failure=failure)]
        )
        ledger.mark_run_verified(run.run_id, ended_at=130.0)
        return build_report(run=ledger.get_run(run.run_id), orders=ledger.orders(run.run_id), spec=SPEC)


def fault_cases(junit: ET.Element) -> list[ET.Element]:
    return [case for case in junit.iter("testcase") if case.get("classname") == "chainprobe.shop.faults"]


NEVER = FaultSummary("meta.faults", checks=(FaultCheck("dynamodb-throttle", 3, 0, 0, ("o-0", "o-3", "o-6")),))
PARTLY = FaultSummary("meta.faults", checks=(FaultCheck("dynamodb-throttle", 3, 2, 2, ("o-6",)),))


@pytest.mark.parametrize(
    ("good", "summary", "code"), [(True, NEVER, 2), (False, NEVER, 2), (True, PARTLY, None)]
)
def test_never_fired_is_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], good: bool, summary: FaultSummary, code: int | None
) -> None:
    outcome = RunOutcome(report=dataclasses.replace(report(tmp_path, good=good), faults=summary), files=None)

    assert faults_never_fired(outcome) == code
    err = capsys.readouterr().err.splitlines()
    if code is None:
        assert err == []
    else:
        assert code == ExitCode.USAGE
        assert err == [f"chainprobe: {NEVER.never_fired()}"]
        assert "at meta.faults in the request body" in err[0]


def test_no_summary_is_no_verdict(tmp_path: Path) -> None:
    assert faults_never_fired(RunOutcome(report=report(tmp_path, good=True), files=None)) is None


def test_every_writer_shows_the_faults_and_the_finding(tmp_path: Path) -> None:
    plain = report(tmp_path, good=True)
    assert "faults" not in json.loads(render_json(plain))  # a run that asked for none says nothing of them
    with_faults = dataclasses.replace(plain, faults=PARTLY)

    document = json.loads(render_json(with_faults))["faults"]
    assert document["faults"] == [
        {
            "fault": "dynamodb-throttle",
            "marked": 3,
            "logged_orders": 2,
            "log_entries": 2,
            "unlogged_orders": ["o-6"],
            "unmarked_hits": 0,
            "unlogged_hit_by": {},
        }
    ]
    assert document["findings"] == ["dynamodb-throttle: 1 of 3 marked orders have no fault-log entry (o-6)"]
    assert document["never_fired"] is None

    terminal = render_terminal(with_faults)
    assert "  faults      dynamodb-throttle: 3 marked, 2 in the fault log (2 entries)\n" in terminal
    assert "  finding     dynamodb-throttle: 1 of 3 marked orders have no fault-log entry (o-6)\n" in terminal

    markdown = render_markdown(with_faults)
    assert "#### Faults asked for (marker at `meta.faults`)" in markdown
    assert "| dynamodb-throttle | 3 | 2 | 2 | 0 |" in markdown
    assert "**Finding:** dynamodb-throttle: 1 of 3 marked orders have no fault-log entry (o-6)" in markdown

    junit = ET.fromstring(render_junit(with_faults))
    [case] = fault_cases(junit)
    assert case.get("name") == "dynamodb-throttle"
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "fault_not_fired"
    assert failure.get("message") == "1 of 3 marked orders have no fault-log entry (markers at meta.faults)"
    assert failure.text == "o-6"
    fired = dataclasses.replace(
        plain, faults=FaultSummary("meta.faults", checks=(FaultCheck("dynamodb-throttle", 3, 3, 3),))
    )
    [passed] = fault_cases(ET.fromstring(render_junit(fired)))
    assert list(passed) == []
    assert fault_cases(ET.fromstring(render_junit(plain))) == []
