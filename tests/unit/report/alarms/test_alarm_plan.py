"""The model stage: tiers -> window alarms (period = window) and composites, thresholds, sources, names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alarm_specs import ORDERS, metric_stat, report_inputs, windows_file, write_spec

from chainprobe.measure.budget import Severity
from chainprobe.report import build_report
from chainprobe.report.alarms import TreatMissingData, load_inputs, plan_alarms
from chainprobe.report.alarms.plan import default_prefix
from chainprobe.report.alarms.sources import BLACKBOX_LATENCY, BLACKBOX_METRICS, blackbox_source
from chainprobe.report.cloudwatch import latency_metrics, run_metrics


def test_each_tier_gets_two_window_alarms_whose_period_is_the_window() -> None:
    plan = plan_alarms(load_inputs(ORDERS, variables={}))

    rows = [
        (w.name_suffix, w.period_s, w.evaluation_periods, w.datapoints_to_alarm, w.threshold)
        for w in plan.window_alarms()
        if w.source.key == "sli"
    ]
    assert rows == [
        ("sli-page-fast-long-1h", 3600, 1, 1, 0.072),
        ("sli-page-fast-short-5m", 300, 1, 1, 0.072),
        ("sli-page-slow-long-6h", 21600, 1, 1, 0.03),
        ("sli-page-slow-short-30m", 1800, 1, 1, 0.03),
        ("sli-ticket-long-3d", 259200, 1, 1, 0.005),
        ("sli-ticket-short-6h", 21600, 1, 1, 0.005),
    ]
    for alarm in plan.window_alarms():
        periods = {q["MetricStat"]["Period"] for q in alarm.metrics if "MetricStat" in q}
        assert periods == {alarm.period_s}


def test_the_alarm_returns_one_minus_the_specs_availability_and_nothing_else() -> None:
    plan = plan_alarms(load_inputs(ORDERS, variables={}))
    alarm = plan.window_alarms()[0]

    assert [q["Id"] for q in alarm.metrics] == [
        "totalRequests",
        "apiFailures",
        "lambdaFailures",
        "eventFailures",
        "availability",
        "errorRate",
    ]
    assert alarm.returned_ids() == ["errorRate"]
    # The minimum-traffic guard of the windows file (min_requests 10) over the SLI's requests.
    assert alarm.metrics[-1]["Expression"] == "IF(FILL(totalRequests,0) >= 10, 1 - availability, 0)"
    spec_expression = next(q for q in alarm.metrics if q["Id"] == "availability")["Expression"]
    assert spec_expression.startswith("1 - ((FILL(apiFailures,0)")  # verbatim from the spec


def test_composites_and_the_severity_each_notifies() -> None:
    plan = plan_alarms(load_inputs(ORDERS, variables={}))

    assert [(b.logical_id, b.name_suffix, b.action_parameter) for b in plan.burn_rate_alarms] == [
        ("SliPageFast", "sli-page-fast-PAGE", "PageTopicArn"),
        ("SliPageSlow", "sli-page-slow-PAGE", "PageTopicArn"),
        ("SliTicket", "sli-ticket-TICKET", "TicketTopicArn"),
        ("BlackboxPageFast", "blackbox-page-fast-PAGE", "PageTopicArn"),
        ("BlackboxPageSlow", "blackbox-page-slow-PAGE", "PageTopicArn"),
        ("BlackboxTicket", "blackbox-ticket-TICKET", "TicketTopicArn"),
    ]
    fast = plan.burn_rate_alarms[0]
    assert (fast.long.window.total_seconds(), fast.short.window.total_seconds()) == (3600, 300)
    assert fast.description.startswith("PAGE: orders is burning its 30d error budget at 14.4x")
    assert plan.severities() == (Severity.PAGE, Severity.TICKET)


def test_missing_data_is_not_breaching_and_says_why() -> None:
    plan = plan_alarms(load_inputs(ORDERS, variables={}))

    for alarm in plan.window_alarms():
        assert alarm.treat_missing_data is TreatMissingData.NOT_BREACHING
        assert "Missing data: notBreaching: no datapoint means" in alarm.description
    sli = next(a for a in plan.window_alarms() if a.source.key == "sli")
    assert "FailedInvocations" in sli.description


def test_the_sli_keeps_only_the_queries_availability_needs(tmp_path: Path) -> None:
    def add_latency(data: dict[str, Any]) -> None:
        data["metric_math"]["Metrics"].insert(
            0, metric_stat("latency", "AWS/ApiGateway", "Latency", ApiName="OrdersAPI")
        )

    plan = plan_alarms(load_inputs(write_spec(tmp_path, add_latency), variables={}))

    assert "latency" not in [q["Id"] for q in plan.window_alarms()[0].metrics]


def test_metrics_function_keeps_every_metric_stat(tmp_path: Path) -> None:
    def use_metrics(data: dict[str, Any]) -> None:
        data["metric_math"]["Metrics"] = [
            metric_stat("requests", "AWS/ApiGateway", "Count", ApiName="OrdersAPI"),
            metric_stat("failed5xx", "AWS/ApiGateway", "5XXError", ApiName="OrdersAPI"),
            {"Id": "errors", "Expression": "SUM(METRICS('failed'))", "ReturnData": False},
            {"Id": "availability", "Expression": "1 - FILL(errors, 0) / requests"},
        ]

    plan = plan_alarms(load_inputs(write_spec(tmp_path, use_metrics), variables={}))

    assert [q["Id"] for q in plan.window_alarms()[0].metrics] == [
        "requests",
        "failed5xx",
        "errors",
        "availability",
        "errorRate",
    ]


def test_the_error_rate_id_never_shadows_a_spec_query(tmp_path: Path) -> None:
    def take_the_id(data: dict[str, Any]) -> None:
        queries = data["metric_math"]["Metrics"]
        queries[0]["Id"] = "errorRate"
        for query in queries:
            if "Expression" in query:
                query["Expression"] = query["Expression"].replace("totalRequests", "errorRate")

    plan = plan_alarms(load_inputs(write_spec(tmp_path, take_the_id), variables={}))
    metrics = plan.window_alarms()[0].metrics

    assert metrics[0]["Id"] == "errorRate"
    assert metrics[-1] == {
        "Id": "errorRate2",
        "Expression": "IF(FILL(errorRate,0) >= 10, 1 - availability, 0)",
        "Label": "metric-math SLI error rate over 1h",
        "ReturnData": True,
    }


def test_a_windows_file_overrides_the_shipped_tiers(tmp_path: Path) -> None:
    windows = windows_file(
        tmp_path, "30d", "{name: fast, severity: page, budget_percent: 2, long_window: 2h, short_window: 10m}"
    )

    plan = plan_alarms(load_inputs(ORDERS, windows_path=windows, variables={}))

    assert [(w.name_suffix, w.threshold) for w in plan.window_alarms()][:2] == [
        ("sli-fast-long-2h", 0.036),  # 2% of 30 d in 2 h: 7.2x
        ("sli-fast-short-10m", 0.036),
    ]
    assert plan.severities() == (Severity.PAGE,)
    assert plan.windows_source == str(windows)


def test_black_box_dimensions_are_rendered_from_the_variables(tmp_path: Path) -> None:
    def templated(data: dict[str, Any]) -> None:
        data["cloudwatch_publish"]["dimensions"] = {"Probe": "orders", "Region": "${region}"}

    inputs = load_inputs(write_spec(tmp_path, templated), variables={"region": "eu-west-1"})

    assert inputs.blackbox is not None
    assert inputs.blackbox.dimensions == {"Probe": "orders", "Region": "eu-west-1"}


def test_the_black_box_source_reads_what_the_canary_publishes() -> None:
    report = build_report(**report_inputs().load_case("met"))

    published = {datum.name for datum in [*run_metrics(report), *latency_metrics(report)]}
    assert {*BLACKBOX_METRICS.values(), BLACKBOX_LATENCY} <= published
    source = blackbox_source("Chainprobe", {"Probe": "orders"})
    names = [q["MetricStat"]["Metric"]["MetricName"] for q in source.metric_stat_queries()]
    assert names == ["OrdersGood", "OrdersBad"]


@pytest.mark.parametrize(
    ("name", "prefix"), [("orders", "chainprobe-orders"), ("checkout.v2", "chainprobe-checkout-v2")]
)
def test_default_prefix_fits_alarm_and_dashboard_names(name: str, prefix: str) -> None:
    assert default_prefix(name) == prefix


def test_the_minimum_traffic_guard_comes_from_the_windows_file_and_0_turns_it_off(tmp_path: Path) -> None:
    windows = tmp_path / "w.yaml"
    text = (Path(__file__).parents[4] / "src/chainprobe/measure/windows/30d.yaml").read_text()
    windows.write_text(text.replace("min_requests: 10", "min_requests: 0"))
    off = plan_alarms(load_inputs(ORDERS, variables={}, windows_path=windows))
    expressions = {a.metrics[-1]["Expression"] for a in off.window_alarms()}
    assert expressions == {"1 - availability", "1 - blackboxAvailability"}

    windows.write_text(text.replace("min_requests: 10", "min_requests: 25"))
    on = plan_alarms(load_inputs(ORDERS, variables={}, windows_path=windows))
    expressions = {a.source.key: a.metrics[-1]["Expression"] for a in on.window_alarms()}
    assert expressions == {
        "sli": "IF(FILL(totalRequests,0) >= 25, 1 - availability, 0)",
        "blackbox": "IF(FILL(blackboxGood,0) + FILL(blackboxBad,0) >= 25, 1 - blackboxAvailability, 0)",
    }
    assert "fewer than 25 requests reads 0" in on.window_alarms()[0].description
