"""The exports of probes/orders.yaml against hand-written documents, and each against its format's rules.

Application Signals is checked by cfn-lint (the resource's CloudFormation schema). OpenSLO has no
installable validator or JSON schema: ``check_openslo`` holds the documents to the fields the OpenSLO v1
specification (README, "SLO", "SLI", "Ratio Metric") documents.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import lint
from slo_specs import (
    API_FAILURES,
    BAD_COUNT,
    DELIVERY_BAD,
    DELIVERY_BAD_RETURNED,
    DELIVERY_GOOD,
    DELIVERY_TOTAL,
    EVENT_FAILURES,
    FAST,
    LAMBDA_FAILURES,
    ORDERS,
    TIMED,
    TOTAL_REQUESTS,
    write_spec,
)

from chainprobe.report.slo_export import UnexpressibleSloError, export_slos


@pytest.fixture(autouse=True)
def no_chainprobe_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CHAINPROBE_")]:
        monkeypatch.delenv(name)


def source(*queries: dict[str, Any]) -> dict[str, Any]:
    return {"metricSource": {"type": "CloudWatch", "spec": {"metricDataQueries": list(queries)}}}


def slo(key: str, target: float) -> dict[str, Any]:
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": f"orders-{key}", "displayName": f"orders {key.capitalize()}"},
        "spec": {
            "description": f"orders {key.capitalize()}: {target:g} over a rolling 30d. Reference order chain "
            "- API Gateway, OrdersHandler, DynamoDB, EventBridge, courier",
            "service": "orders",
            "indicatorRef": f"orders-{key}-sli",
            "timeWindow": [{"duration": "30d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": f"orders {key.capitalize()}", "target": target}],
        },
    }


def sli(key: str, ratio: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLI",
        "metadata": {"name": f"orders-{key}-sli", "displayName": f"orders {key.capitalize()} SLI"},
        "spec": {"ratioMetric": {"counter": False, **ratio}},
    }


EXPECTED_OPENSLO = [
    sli(
        "availability",
        {
            "bad": source(API_FAILURES, LAMBDA_FAILURES, EVENT_FAILURES, BAD_COUNT),
            "total": source(TOTAL_REQUESTS),
        },
    ),
    slo("availability", 0.995),
    sli("latency", {"good": source(FAST), "total": source(TIMED)}),
    slo("latency", 0.95),
    sli(
        "delivery",
        {"bad": source(DELIVERY_BAD_RETURNED), "total": source(DELIVERY_GOOD, DELIVERY_BAD, DELIVERY_TOTAL)},
    ),
    slo("delivery", 0.99),
]


def without_descriptions(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for document in documents:
        if document["kind"] == "SLI":
            document["spec"].pop("description")
    return documents


def test_openslo_of_orders_is_the_hand_written_documents() -> None:
    documents = list(yaml.safe_load_all(export_slos(ORDERS, "openslo").text))

    descriptions = [d["spec"]["description"] for d in documents if d["kind"] == "SLI"]
    assert without_descriptions(documents) == EXPECTED_OPENSLO
    assert "read as bad / total: FILL(apiFailures, 0) + FILL(lambdaFailures, 0)" in descriptions[0]
    assert "server side" in descriptions[1] and "client-side latency of good orders" in descriptions[1]
    assert "courier verdicts: StageBad over StageGood + StageBad (Stage=courier), summed" in descriptions[2]
    check_openslo(documents)


def test_openslo_exports_only_the_slos_asked_for() -> None:
    documents = list(yaml.safe_load_all(export_slos(ORDERS, "openslo", only=("latency",)).text))

    assert without_descriptions(documents) == EXPECTED_OPENSLO[2:4]


def blackbox_only(data: dict[str, Any]) -> None:
    del data["metric_math"]


def test_without_metric_math_availability_is_the_canarys_published_verdicts(tmp_path: Path) -> None:
    text = export_slos(write_spec(tmp_path, blackbox_only), "openslo", only=("availability",)).text

    ratio = next(yaml.safe_load_all(text))["spec"]["ratioMetric"]
    bad = ratio["bad"]["metricSource"]["spec"]["metricDataQueries"]
    total = ratio["total"]["metricSource"]["spec"]["metricDataQueries"]
    assert [(q["Id"], q["MetricStat"]["Metric"]["MetricName"], q["ReturnData"]) for q in bad] == [
        ("bad", "OrdersBad", True)
    ]
    assert [(q["Id"], q.get("Expression"), q["ReturnData"]) for q in total] == [
        ("good", None, False),
        ("bad", None, False),
        ("total", "good + bad", True),
    ]


def no_api_total(data: dict[str, Any]) -> None:
    data["metric_math"]["Metrics"][0]["MetricStat"]["Metric"]["Namespace"] = "AWS/ApplicationELB"


def test_latency_without_an_api_gateway_count_is_the_canarys_raw_latency(tmp_path: Path) -> None:
    text = export_slos(write_spec(tmp_path, no_api_total), "openslo", only=("latency",)).text

    sli_document = next(yaml.safe_load_all(text))
    ratio = sli_document["spec"]["ratioMetric"]
    good = ratio["good"]["metricSource"]["spec"]["metricDataQueries"]
    total = ratio["total"]["metricSource"]["spec"]["metricDataQueries"]
    probe = [{"Name": "Probe", "Value": "orders"}]
    assert [(q["Id"], q["MetricStat"]["Metric"], q["MetricStat"]["Stat"], q["ReturnData"]) for q in good] == [
        (
            "fastOrders",
            {"Namespace": "Chainprobe", "MetricName": "Latency", "Dimensions": probe},
            "TC(:800)",
            True,
        )
    ]
    assert [(q["Id"], q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Stat"]) for q in total] == [
        ("timedOrders", "Latency", "SampleCount")
    ]
    assert "client-side API latency of every good order" in sli_document["spec"]["description"]
    check_openslo(list(yaml.safe_load_all(text)))
    assert lint(export_slos(write_spec(tmp_path, no_api_total), "cloudwatch-appsignals").text) == []


def test_latency_without_an_api_gateway_count_or_published_metrics_is_refused(tmp_path: Path) -> None:
    def unpublished(data: dict[str, Any]) -> None:
        no_api_total(data)
        del data["cloudwatch_publish"]

    spec = write_spec(tmp_path, unpublished)

    with pytest.raises(UnexpressibleSloError, match=r"^openslo: the latency SLO cannot be exported: no Cl"):
        export_slos(spec, "openslo")
    assert export_slos(spec, "openslo", only=("availability",)).slos == ("availability",)


def test_delivery_without_published_metrics_is_refused(tmp_path: Path) -> None:
    def unpublished(data: dict[str, Any]) -> None:
        del data["cloudwatch_publish"]

    with pytest.raises(
        UnexpressibleSloError, match=r"delivery SLO cannot be exported: .*no cloudwatch_publish"
    ):
        export_slos(write_spec(tmp_path, unpublished), "openslo")


def appsignals_resource(
    name: str, total: list[Any], monitored: dict[str, Any], goal: float
) -> dict[str, Any]:
    return {
        "Type": "AWS::ApplicationSignals::ServiceLevelObjective",
        "Properties": {
            "Name": name,
            "RequestBasedSli": {
                "RequestBasedSliMetric": {
                    "TotalRequestCountMetric": total,
                    "MonitoredRequestCountMetric": monitored,
                }
            },
            "Goal": {
                "Interval": {"RollingInterval": {"Duration": 30, "DurationUnit": "DAY"}},
                "AttainmentGoal": goal,
            },
            # every window of windows/30d.yaml: 5m, 30m, 1h, 6h, 3d
            "BurnRateConfigurations": [{"LookBackWindowMinutes": m} for m in (5, 30, 60, 360, 4320)],
        },
    }


def unlabelled(*queries: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in query.items() if k != "Label"} for query in queries]


def test_appsignals_of_orders_is_the_hand_written_template() -> None:
    text = export_slos(ORDERS, "cloudwatch-appsignals", only=("availability", "latency")).text

    template = yaml.safe_load(text)
    resources = template["Resources"]
    for resource in resources.values():
        resource["Properties"].pop("Description")
    assert resources == {
        "OrdersAvailabilitySlo": appsignals_resource(
            "orders-availability",
            unlabelled(TOTAL_REQUESTS),
            {"BadCountMetric": unlabelled(API_FAILURES, LAMBDA_FAILURES, EVENT_FAILURES, BAD_COUNT)},
            99.5,
        ),
        "OrdersLatencySlo": appsignals_resource(
            "orders-latency", unlabelled(TIMED), {"GoodCountMetric": unlabelled(FAST)}, 95.0
        ),
    }
    assert lint(text) == []


def test_cfn_lint_does_check_the_resource() -> None:
    """The check above can fail: the same template with a field Application Signals lacks does not lint."""
    text = export_slos(ORDERS, "cloudwatch-appsignals", only=("availability",)).text
    broken = text.replace("AttainmentGoal: 99.5", "AttainmentGoal: 99.5\n        Budget: 216")

    assert [match.rule.id for match in lint(broken)] == ["E3002"]


def test_appsignals_exports_delivery_as_a_request_based_slo_of_the_courier_counts() -> None:
    text = export_slos(ORDERS, "cloudwatch-appsignals", only=("delivery",)).text

    resources = yaml.safe_load(text)["Resources"]
    for resource in resources.values():
        resource["Properties"].pop("Description")
    assert resources == {
        "OrdersDeliverySlo": appsignals_resource(
            "orders-delivery",
            unlabelled(DELIVERY_GOOD, DELIVERY_BAD, DELIVERY_TOTAL),
            {"BadCountMetric": unlabelled(DELIVERY_BAD_RETURNED)},
            99.0,
        ),
    }
    assert lint(text) == []


def test_appsignals_refuses_a_burn_rate_window_longer_than_it_takes(tmp_path: Path) -> None:
    windows = tmp_path / "windows.yaml"
    windows.write_text(
        "kind: BurnRateWindows\nversion: 1\nslo_period: 30d\ntiers:\n"
        "  - {name: ticket, severity: ticket, budget_percent: 30, long_window: 8d, short_window: 1d}\n"
    )

    with pytest.raises(UnexpressibleSloError, match=r"window of 11520 minutes .* longer than the 10080"):
        export_slos(ORDERS, "cloudwatch-appsignals", only=("availability",), windows_path=windows)


def test_sloth_refuses_cloudwatch_metrics_in_one_line() -> None:
    with pytest.raises(UnexpressibleSloError) as refused:
        export_slos(ORDERS, "sloth")

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("sloth: the availability SLO is CloudWatch metrics (AWS/ApiGateway 5XXError")
    assert "a Sloth SLI is PromQL over Prometheus series" in message


# --- OpenSLO v1, as its specification documents the fields ---------------------------------------------

_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")  # RFC 1123 label, at most 63
_DURATION = re.compile(r"[1-9][0-9]*[mhdwMQY]")  # duration-shorthand


def check_openslo(documents: list[dict[str, Any]]) -> None:
    """Fails on a field the OpenSLO v1 specification does not allow where it stands."""
    names = {d["metadata"]["name"] for d in documents if d["kind"] == "SLI"}
    for document in documents:
        assert document["apiVersion"] == "openslo/v1"
        assert _NAME.fullmatch(document["metadata"]["name"])
        assert set(document["metadata"]) <= {"name", "displayName", "labels", "annotations"}
        assert len(document["spec"].get("description", "")) <= 1050
        (check_slo if document["kind"] == "SLO" else check_sli)(document["spec"], names)


def check_slo(spec: dict[str, Any], sli_names: set[str]) -> None:
    assert set(spec) <= {
        "description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod",
        "objectives", "alertPolicies",
    }  # fmt: skip
    assert isinstance(spec["service"], str) and spec["service"]
    assert ("indicator" in spec) != ("indicatorRef" in spec)
    assert spec["indicatorRef"] in sli_names
    [window] = spec["timeWindow"]  # exactly one
    assert _DURATION.fullmatch(window["duration"]) and window["isRolling"] is True
    assert spec["budgetingMethod"] in ("Occurrences", "Timeslices", "RatioTimeslices")
    for objective in spec["objectives"]:
        assert 0 < objective["target"] < 1


def check_sli(spec: dict[str, Any], _names: set[str]) -> None:
    assert set(spec) <= {"description", "thresholdMetric", "ratioMetric"}
    ratio = spec["ratioMetric"]
    assert isinstance(ratio["counter"], bool)
    if "raw" in ratio:
        assert ratio["rawType"] in ("success", "failure")
        assert not {"good", "bad", "total"} & set(ratio)
        sources = [ratio["raw"]]
    else:
        assert ("good" in ratio) != ("bad" in ratio) and "total" in ratio and "rawType" not in ratio
        sources = [ratio.get("good") or ratio["bad"], ratio["total"]]
    for metric in sources:
        assert set(metric["metricSource"]) <= {"metricSourceRef", "type", "spec"}
        queries = metric["metricSource"]["spec"]["metricDataQueries"]
        assert [q["ReturnData"] for q in queries][-1] is True
        assert sum(1 for q in queries if q["ReturnData"]) == 1  # one series, as GetMetricData returns it


def test_each_metric_source_returns_one_series_whatever_the_spec_returned(tmp_path: Path) -> None:
    """A query the spec leaves returning (ReturnData absent means true) is hidden under the count."""

    def returning(data: dict[str, Any]) -> None:
        for query in data["metric_math"]["Metrics"]:
            query.pop("ReturnData", None)

    text = export_slos(write_spec(tmp_path, returning), "openslo", only=("availability",)).text

    bad = next(yaml.safe_load_all(text))["spec"]["ratioMetric"]["bad"]["metricSource"]["spec"]
    assert [(q["Id"], q["ReturnData"]) for q in bad["metricDataQueries"]] == [
        ("apiFailures", False),
        ("lambdaFailures", False),
        ("eventFailures", False),
        ("badCount", True),
    ]
