"""The dashboard: the widgets the design lists, built from the spec's own metrics, and its JSON body."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from alarm_specs import GOLDEN, ORDERS, write_spec

from chainprobe.report.alarms import generate_alarms, load_inputs, plan_alarms
from chainprobe.report.alarms.dashboard import iso_duration, metric_row
from chainprobe.report.alarms.latency import latency_estimate
from chainprobe.spec import load_spec
from chainprobe.spec.duration import parse_duration


def widgets(spec: Path, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    plan = plan_alarms(load_inputs(spec, variables=variables or {}))
    return {widget.title: widget for widget in plan.dashboard.widgets}


def visible(widget: Any) -> list[dict[str, Any]]:
    return [row[-1] for row in widget.metrics if row[-1].get("visible", True)]


def test_the_widgets_the_design_asks_for() -> None:
    found = widgets(ORDERS)

    assert list(found) == [
        "Availability, rolling 30d",
        "Error budget remaining, rolling 30d",
        "Burn-rate alerts",
        "End-to-end latency p95 (ms)",
        "API 5xx",
        "Lambda errors",
        "EventBridge failed entries",
        "Success per stage (%)",
        "Lag per stage p95 (ms)",
    ]
    availability = found["Availability, rolling 30d"]
    assert availability.properties == {"view": "singleValue", "setPeriodToTimeRange": True, "start": "-P30D"}
    assert [(o["id"], o["expression"]) for o in visible(availability)] == [
        ("sliAvailabilityPercent", "100 * availability"),
        ("blackboxAvailabilityPercent", "100 * blackboxAvailability"),
    ]
    budget = found["Error budget remaining, rolling 30d"]
    assert [o["expression"] for o in visible(budget)] == [
        "100 * (1 - (1 - availability) / 0.005)",
        "100 * (1 - (1 - blackboxAvailability) / 0.005)",
    ]
    assert found["Burn-rate alerts"].alarms == (
        "SliPageFast",
        "SliPageSlow",
        "SliTicket",
        "BlackboxPageFast",
        "BlackboxPageSlow",
        "BlackboxTicket",
    )


def test_the_latency_widget_sums_percentiles_and_says_it_is_an_upper_bound() -> None:
    latency = widgets(ORDERS, {"table": "OrdersStaging"})["End-to-end latency p95 (ms)"]

    rows = {row[-1]["id"]: row for row in latency.metrics}
    assert rows["apiLatency"][:4] == ["AWS/ApiGateway", "Latency", "ApiName", "OrdersAPI"]
    assert rows["lambdaDuration"][:4] == ["AWS/Lambda", "Duration", "FunctionName", "OrdersHandler"]
    assert rows["dynamodbLatency"][:6] == [
        "AWS/DynamoDB",
        "SuccessfulRequestLatency",
        "TableName",
        "OrdersStaging",
        "Operation",
        "PutItem",
    ]
    assert {row[-1]["stat"] for row in latency.metrics if "stat" in row[-1] and row[0] != "Chainprobe"} == {
        "p95"
    }
    estimate, measured = visible(latency)
    assert estimate["expression"] == "apiLatency + lambdaDuration + dynamodbLatency"
    assert "upper-bound estimate" in estimate["label"]
    assert rows["blackboxLatency"][:4] == ["Chainprobe", "Latency", "Probe", "orders"]
    assert measured["label"] == "Black-box API p95 (measured)"
    assert measured["stat"] == "p95"  # of the raw values: every probe order in the period, not per run
    assert latency.properties["annotations"] == {
        "horizontal": [{"label": "objective 800 ms", "value": 800.0}]
    }


def test_a_latency_id_in_the_spec_is_the_estimate(tmp_path: Path) -> None:
    def latency_id(data: dict[str, Any]) -> None:
        data["metric_math"]["latency_id"] = "p95"
        data["metric_math"]["Metrics"].append(
            {
                "Id": "p95",
                "Expression": "FILL(totalRequests, 0) * 0 + 100",
                "Label": "My latency",
                "ReturnData": False,
            }
        )

    spec = load_spec(write_spec(tmp_path, latency_id))
    estimate = latency_estimate(spec, {})

    assert estimate is not None
    assert [q["Id"] for q in estimate.queries] == ["totalRequests", "p95"]
    assert (estimate.expression_id, estimate.label) == ("p95", "My latency")


def test_service_widgets_use_the_specs_own_queries() -> None:
    found = widgets(ORDERS)

    assert [row[-1]["id"] for row in found["API 5xx"].metrics] == ["apiFailures"]
    assert [row[-1]["id"] for row in found["Lambda errors"].metrics] == ["lambdaFailures"]
    events = found["EventBridge failed entries"].metrics
    assert events[0] == [
        "AWS/Events",
        "PutEventsFailedEntriesCount",
        {
            "id": "putEventsFailedEntries",
            "stat": "Sum",
            "period": 300,
            "label": "PutEvents failed entries (account-wide)",
        },
    ]
    assert events[1][:6] == [
        "AWS/Events",
        "FailedInvocations",
        "RuleName",
        "OrderCreatedToDelivery",
        "EventBusName",
        "orders",
    ]


def test_a_service_widget_is_derived_from_the_specs_dimensions_when_not_in_the_sli(tmp_path: Path) -> None:
    def no_5xx(data: dict[str, Any]) -> None:
        queries = data["metric_math"]["Metrics"]
        data["metric_math"]["Metrics"] = [q for q in queries if q["Id"] != "apiFailures"]
        data["metric_math"]["Metrics"][-1]["Expression"] = (
            "1 - FILL(lambdaFailures, 0) / MAX([totalRequests, 1])"
        )

    api = widgets(write_spec(tmp_path, no_5xx))["API 5xx"]

    assert api.metrics == (
        [
            "AWS/ApiGateway",
            "5XXError",
            "ApiName",
            "OrdersAPI",
            {"id": "api5xx", "stat": "Sum", "period": 300, "label": "API 5xx"},
        ],
    )


def test_without_metric_math_the_dashboard_keeps_what_the_canary_publishes() -> None:
    generated = generate_alarms(GOLDEN / "spec_blackbox_only.yaml", variables={})

    titles = [widget.title for widget in generated.plan.dashboard.widgets]
    assert titles == [
        "Availability, rolling 30d",
        "Error budget remaining, rolling 30d",
        "Burn-rate alerts",
        "End-to-end latency p99 (ms)",
        "Success per stage (%)",
        "Lag per stage p99 (ms)",
    ]
    assert [note for note in generated.notes if note.startswith("dashboard:")] == [
        "dashboard: no API 5xx widget (the spec's metric_math names no AWS/ApiGateway metric)",
        "dashboard: no Lambda errors widget (the spec's metric_math names no AWS/Lambda metric)",
        "dashboard: no EventBridge widget (the spec has no event section nor AWS/Events metric)",
    ]


def test_the_body_is_json_with_cloudformation_substitutions_only_where_meant(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lambda d: d["cloudwatch_publish"]["dimensions"].update(Note="$${literal}"))
    template = yaml.safe_load(generate_alarms(spec, variables={}).template)

    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    resolved = json.loads(
        body.replace("${AWS::Region}", "eu-west-1")
        .replace("${SliPageFast.Arn}", "arn:x")
        .replace("${!", "${")
    )
    assert '"${!literal}"' in body  # a literal ${ is escaped for Fn::Sub
    first = resolved["widgets"][0]
    assert (first["x"], first["y"], first["width"], first["properties"]["region"]) == (0, 0, 8, "eu-west-1")
    positions = [(w["x"], w["y"]) for w in resolved["widgets"]]
    assert positions == [(0, 0), (8, 0), (16, 0), (0, 6), (12, 6), (0, 12), (12, 12), (0, 18), (12, 18)]
    assert "arn:x" in resolved["widgets"][2]["properties"]["alarms"]


def test_metric_rows() -> None:
    query = {
        "Id": "m1",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "F", "Value": "f"}],
            },
            "Period": 60,
            "Stat": "Sum",
        },
        "Label": "errors",
    }
    assert metric_row(query, visible=False) == [
        "AWS/Lambda",
        "Errors",
        "F",
        "f",
        {"id": "m1", "stat": "Sum", "period": 60, "label": "errors", "visible": False},
    ]
    assert metric_row({"Id": "e1", "Expression": "m1 * 2"}, visible=True, period_s=300) == [
        {"expression": "m1 * 2", "id": "e1", "period": 300}
    ]
    assert [iso_duration(parse_duration(text)) for text in ("30d", "6h", "90m")] == [
        "-P30D",
        "-PT6H",
        "-PT5400S",
    ]


def test_any_percentile_of_the_objective_is_read_from_the_raw_latency(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lambda d: d["slo"]["latency"].update(percentile=90))

    generated = generate_alarms(spec, variables={})

    latency = next(w for w in generated.plan.dashboard.widgets if w.title.startswith("End-to-end"))
    assert latency.title == "End-to-end latency p90 (ms)"
    shown = [row for row in latency.metrics if row[-1].get("visible", True)]
    assert [row[-1]["id"] for row in shown] == ["latencyEstimate", "blackboxLatency"]
    assert shown[-1][1] == "Latency" and shown[-1][-1]["stat"] == "p90"
    assert not any("latency widget" in note for note in generated.notes)


def test_per_stage_widgets_draw_each_verified_stage_from_its_published_counts_and_lags() -> None:
    found = widgets(ORDERS)

    success = found["Success per stage (%)"]
    shown = visible(success)
    assert [(o["id"], o["expression"]) for o in shown] == [
        (f"stageSuccess{key}", f"100 * stageGood{key} / (stageGood{key} + stageBad{key})")
        for key in ("Api", "Dynamodb", "Event", "Courier")
    ]
    hidden = [row for row in success.metrics if row[-1].get("visible") is False]
    assert [row[:6] for row in hidden[:2]] == [
        ["Chainprobe", "StageGood", "Probe", "orders", "Stage", "api"],
        ["Chainprobe", "StageBad", "Probe", "orders", "Stage", "api"],
    ]
    assert {row[-1]["stat"] for row in hidden} == {"Sum"}
    lag = found["Lag per stage p95 (ms)"]
    assert [(row[1], row[5], row[-1]["stat"]) for row in lag.metrics] == [
        ("StageLag", stage, "p95") for stage in ("api", "dynamodb", "event", "courier")
    ]


def test_only_the_stages_a_spec_verifies_and_none_without_cloudwatch_publish(tmp_path: Path) -> None:
    def api_only_spec(data: dict[str, Any]) -> None:
        for section in ("dynamodb", "event", "courier"):
            data.pop(section)
        data["slo"].pop("delivery")

    api_only = write_spec(tmp_path, api_only_spec, "a.yaml")
    lag = widgets(api_only)["Lag per stage p95 (ms)"]
    assert [row[5] for row in lag.metrics] == ["api"]

    unpublished = write_spec(tmp_path, lambda d: d.pop("cloudwatch_publish"), "b.yaml")
    generated = generate_alarms(unpublished, variables={})
    assert not {"Success per stage (%)", "Lag per stage p95 (ms)"} & {
        w.title for w in generated.plan.dashboard.widgets
    }
    assert "dashboard: no per-stage widgets (the spec has no cloudwatch_publish: nothing publishes them)" in (
        generated.notes
    )
