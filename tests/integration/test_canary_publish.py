"""``--publish-metrics`` on the real local stack: a canary's results read back with GetMetricData."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from chainprobe.pipeline import run_canary
from chainprobe.target import Target
from tests.integration.spec_variants import publishing_spec, spec_variant
from tests.integration.test_canary import chainprobe, one_line_error

COUNT = 4


def read_back(
    on: Target, probe: str, metrics: dict[str, tuple[str, dict[str, str]]], around: datetime
) -> dict[str, float]:
    """Each metric's value (the sum over the window) by query id, with MetricStat queries."""
    queries = [
        {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": "Chainprobe",
                    "MetricName": name,
                    "Dimensions": [{"Name": "Probe", "Value": probe}]
                    + [{"Name": key, "Value": value} for key, value in extra.items()],
                },
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for query_id, (name, extra) in metrics.items()
    ]
    answer = on.clients.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries,
        StartTime=around - timedelta(minutes=10),
        EndTime=around + timedelta(minutes=10),
    )
    return {result["Id"]: sum(result["Values"]) for result in answer["MetricDataResults"]}


def test_a_canary_publishes_its_results_as_custom_metrics(
    target: Target, ledger_path: Path, tmp_path: Path
) -> None:
    probe = f"orders-{uuid.uuid4().hex[:8]}"

    outcome = run_canary(
        spec_path=publishing_spec(tmp_path, probe),
        count=COUNT,
        rate=4.0,
        report_dir=tmp_path / "reports",
        say=print,
        target=target,
        publish_metrics=True,
    )

    assert outcome.publish_error is None
    assert outcome.published is not None and outcome.published.dimensions == {"Probe": probe}
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    classes = {**report["orders"]["by_class"], **(report["delivery"] or {}).get("by_class", {})}
    metrics = {
        "sent": ("OrdersSent", {}),
        "good": ("OrdersGood", {}),
        "bad": ("OrdersBad", {}),
        "availability": ("Availability", {}),
        "p50": ("LatencyP50", {}),
        "p95": ("LatencyP95", {}),
        "p99": ("LatencyP99", {}),
        "delivery": ("DeliveryAvailability", {}),
    } | {f"class_{name}": ("OrdersBad", {"FailureClass": name}) for name in classes}

    values = read_back(target, probe, metrics, outcome.published.timestamp)

    assert values["sent"] == report["orders"]["sent"] == COUNT
    assert values["good"] == report["orders"]["good"]
    assert values["bad"] == report["orders"]["bad"]
    assert values["availability"] == report["sli"]["availability"]
    for name in ("p50", "p95", "p99"):
        assert abs(values[name] - report["sli"]["latency_ms"][name]) < 0.01
    assert values["delivery"] == report["delivery"]["availability"]
    for name, count in classes.items():
        assert values[f"class_{name}"] == count
    assert report["orders"]["good"] >= COUNT - 1, report["worst_orders"]  # no fault: the chain works


def test_publishing_without_a_cloudwatch_publish_section_is_one_line_and_exit_2(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    spec = spec_variant(tmp_path, "no-publish.yaml", lambda data: data.pop("cloudwatch_publish"))

    result = chainprobe(cli_env, "canary", "--spec", str(spec), "--count", "1", "--publish-metrics")

    assert result.returncode == 2
    assert "cloudwatch_publish" in one_line_error(result)
