"""build_report, the JSON contract fields, JUnit structure and report writing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_inputs import load_case, order, run, spec

from chainprobe.ledger import FailureClass, Stage, Verdict
from chainprobe.measure.budget import load_windows
from chainprobe.report import (
    build_report,
    render_json,
    render_junit,
    render_terminal,
    worst_orders,
    write_reports,
)
from chainprobe.spec import SettleWindows
from chainprobe.verify.settle import SettleTally

CONTRACT = [
    "run_id",
    "started_at",
    "ended_at",
    "orders.sent",
    "orders.good",
    "orders.bad",
    "orders.by_class",
    "sli.availability",
    "sli.latency_ms.p50",
    "sli.latency_ms.p95",
    "sli.latency_ms.p99",
    "slo.met",
    "metric_math.availability",
    "reconciliation.gap",
    "reconciliation.by_class",
]


@pytest.mark.parametrize("case", ["breached", "met", "pending"])
def test_json_carries_the_cli_contract_fields(case: str) -> None:
    data = json.loads(render_json(build_report(**load_case(case))))
    for dotted in CONTRACT:
        node = data
        for key in dotted.split("."):
            assert key in node, f"{case}: {dotted} missing"
            node = node[key]


def test_breached_case_numbers() -> None:
    report = build_report(**load_case("breached"))
    data = report.to_dict()
    assert data["orders"] == {
        "sent": 20,
        "good": 16,
        "bad": 4,
        "pending": 0,
        "not_sent": 0,
        "maybe_sent": 0,
        "by_class": {"db_mismatch": 1, "event_missing": 1, "http_2xx_error_body": 1, "http_5xx": 1},
    }
    assert data["sli"]["availability"] == 0.8 and data["slo"]["met"] is False
    assert data["delivery"]["by_class"] == {"courier_failed": 1, "courier_missing": 1}
    assert data["metric_math"]["availability"] == 0.95 and data["metric_math"]["complete"] is True
    assert data["metric_math"]["window"] == {
        "start": "2025-12-31T23:59:00Z",
        "end": "2026-01-01T00:02:00Z",
        "period_s": 60,
    }
    assert data["reconciliation"]["gap"] == -0.15
    assert data["reconciliation"]["by_class"]["event_missing"]["metric_math"] == 0
    assert data["reconciliation"]["unexplained"] == {"gap": 0.0, "failures": 0}
    assert data["budget"]["availability"]["burn_rate"] == 40.0
    assert data["budget"]["availability"]["would_fire"] == ["page-fast", "page-slow", "ticket"]
    assert [o["seq"] for o in data["worst_orders"][:5]] == [3, 7, 11, 15, 5]


def test_report_without_extras_has_null_metric_math_and_reconciliation() -> None:
    data = build_report(run=run(), orders=[order(0)], spec=spec("spec_api_only.yaml")).to_dict()
    assert data["metric_math"] == {
        "availability": None,
        "complete": None,
        "window": None,
        "periods": [],
        "notes": [],
    }
    assert data["reconciliation"]["gap"] is None and data["reconciliation"]["by_class"] == {}
    assert data["budget"] == {} and data["delivery"] is None and data["slo"]["met"] is True


def test_budget_uses_the_run_duration_and_given_windows() -> None:
    orders = [order(i) for i in range(9)] + [order(9, Verdict.BAD, FailureClass.HTTP_5XX)]
    report = build_report(
        run=run(ended_at=160.0), orders=orders, spec=spec("spec_full.yaml"), windows=load_windows()
    )
    budget = report.budgets[0]
    assert budget.slo == "availability" and budget.budget_minutes == 216.0
    assert budget.burn is not None and budget.burn.burn_rate == pytest.approx(20.0)
    assert budget.burn.budget_consumed == pytest.approx(20.0 * 60 / (30 * 86400))


def test_duration_of_a_running_run_falls_back_to_the_latest_observation() -> None:
    orders = [order(0, sent_at=100.0, api_at=100.2, event_at=130.0)]
    report = build_report(run=run(ended_at=None), orders=orders, spec=spec("spec_full.yaml"))
    burn = report.budgets[0].burn
    assert report.duration_s is None
    assert burn is not None and burn.budget_consumed == 0.0  # error rate 0, but the duration came from 130.0


def test_worst_orders_bad_then_delivery_bad_then_pending_then_slowest() -> None:
    orders = [
        order(0, api_latency_ms=50.0),
        order(1, api_latency_ms=700.0),
        order(2, Verdict.PENDING),
        order(3, delivery_verdict=Verdict.BAD, delivery_failure=FailureClass.COURIER_MISSING),
        order(4, Verdict.BAD, FailureClass.DB_MISSING),
        order(5, api_latency_ms=300.0),
    ]
    assert [o.seq for o in worst_orders(orders)] == [4, 3, 2, 1, 5, 0]
    assert [o.seq for o in worst_orders(orders, limit=2)] == [4, 3]


def test_junit_is_valid_xml_with_a_case_per_stage_and_objective() -> None:
    report = build_report(**load_case("breached"))
    root = ET.fromstring(render_junit(report))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {(case.get("classname"), case.get("name")): case for case in suite.iter("testcase")}
    assert list(cases) == [
        ("chainprobe.shop.stage", "api"),
        ("chainprobe.shop.stage", "dynamodb"),
        ("chainprobe.shop.stage", "event"),
        ("chainprobe.shop.stage", "courier"),
        ("chainprobe.shop.slo", "availability"),
        ("chainprobe.shop.slo", "latency"),
        ("chainprobe.shop.slo", "delivery"),
    ]
    api_failure = cases[("chainprobe.shop.stage", "api")].find("failure")
    assert api_failure is not None
    assert api_failure.get("message") == "2 of 20 orders failed at api (http_2xx_error_body: 1, http_5xx: 1)"
    assert "order_id=o-003 class=http_5xx status=502" in (api_failure.text or "")
    assert "order_id=o-007 class=http_2xx_error_body" in (api_failure.text or "")
    # every stage lost an order, availability and latency (1450 ms at p95) and delivery are breached
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("7", "7", "0")


def test_junit_skips_unverified_stages_and_unstated_objectives() -> None:
    report = build_report(run=run(), orders=[order(0)], spec=spec("spec_api_only.yaml"))
    root = ET.fromstring(render_junit(report))
    skipped = [case.get("name") for case in root.iter("testcase") if case.find("skipped") is not None]
    assert skipped == ["dynamodb", "event", "courier", "latency"]
    assert root.get("failures") == "0"
    assert report.verified_stages == (Stage.API,)


def test_junit_lists_at_most_fifty_orders() -> None:
    orders = [order(i, Verdict.BAD, FailureClass.HTTP_5XX, api_status=500) for i in range(60)]
    root = ET.fromstring(
        render_junit(build_report(run=run(), orders=orders, spec=spec("spec_api_only.yaml")))
    )
    failure = next(case for case in root.iter("testcase") if case.get("name") == "api").find("failure")
    assert failure is not None
    lines = (failure.text or "").splitlines()
    assert len(lines) == 51 and lines[-1] == "... and 10 more"


def test_write_reports_creates_the_directory_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    report = build_report(run=run(), orders=[order(0)], spec=spec("spec_api_only.yaml"))
    target = tmp_path / "a" / "b"
    files = write_reports(report, target)
    assert sorted(p.name for p in target.iterdir()) == ["junit.xml", "report.json", "summary.md"]
    assert json.loads(files.json.read_text())["run_id"] == "r-t"
    write_reports(report, target)  # overwrites in place
    assert sorted(p.name for p in target.iterdir()) == ["junit.xml", "report.json", "summary.md"]


def test_the_settle_summary_is_in_the_json_and_one_terminal_line() -> None:
    settle = SettleTally(windows=SettleWindows(event=10.0, courier=30.0), waits=[8.0, 27.5, 12.0])
    report = build_report(**load_case("met"), settle=settle)

    assert report.to_dict()["settle"] == {
        "windows_s": {"event": 10.0, "courier": 30.0},
        "waited": 3,
        "wait_s": {"median": 12.0, "max": 27.5},
    }
    lines = [line for line in render_terminal(report).splitlines() if line.strip().startswith("settle")]
    assert lines == ["  settle      event 10 s, courier 30 s; 3 verdicts waited, median 12.0 s, max 27.5 s"]
    assert "settle" not in build_report(**load_case("met")).to_dict()  # no verifier ran: not measured
