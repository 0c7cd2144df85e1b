"""A run's results as CloudWatch custom metrics: names, units, dimensions, timestamps, batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from report_inputs import load_case, order, run, spec

from chainprobe.ledger import Verdict
from chainprobe.report import build_report
from chainprobe.report import cloudwatch as cloudwatch_module
from chainprobe.report.cloudwatch import MetricPublisher, run_metrics
from chainprobe.spec import MissingFieldError, UnknownVariableError, parse_spec
from chainprobe.spec.exceptions import InvalidValueError

PROBE = {"Probe": "shop"}
STAGE_NAMES = {"StageGood", "StageBad", "StageLag"}


class FakeCloudWatch:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def put_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {}


def by_key(data: list[dict[str, Any]]) -> dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]]:
    return {
        (datum["MetricName"], tuple((d["Name"], d["Value"]) for d in datum["Dimensions"])): datum
        for datum in data
    }


def test_a_breached_run_publishes_every_metric_and_each_failure_class() -> None:
    report = build_report(**load_case("breached"))
    cloudwatch = FakeCloudWatch()

    published = MetricPublisher(cloudwatch=cloudwatch, namespace="Chainprobe", dimensions=PROBE).publish(
        report
    )

    assert {call["Namespace"] for call in cloudwatch.calls} == {"Chainprobe"}
    entries = [datum for call in cloudwatch.calls for datum in call["MetricData"]]
    # The run's own metrics here; the 12 per-stage ones (4 stages) in test_stage_metrics.py.
    data = {key: datum for key, datum in by_key(entries).items() if key[0] not in STAGE_NAMES}
    probe = (("Probe", "shop"),)
    expected = {
        ("OrdersSent", probe): (20.0, "Count"),
        ("OrdersGood", probe): (16.0, "Count"),
        ("OrdersBad", probe): (4.0, "Count"),
        ("Availability", probe): (0.8, "None"),
        ("LatencyP50", probe): (210.0, "Milliseconds"),
        ("LatencyP95", probe): (1450.0, "Milliseconds"),
        ("LatencyP99", probe): (1450.0, "Milliseconds"),
        ("DeliveryAvailability", probe): (0.9, "None"),
        ("OrdersBad", (*probe, ("FailureClass", "db_mismatch"))): (1.0, "Count"),
        ("OrdersBad", (*probe, ("FailureClass", "event_missing"))): (1.0, "Count"),
        ("OrdersBad", (*probe, ("FailureClass", "http_2xx_error_body"))): (1.0, "Count"),
        ("OrdersBad", (*probe, ("FailureClass", "http_5xx"))): (1.0, "Count"),
        ("OrdersBad", (*probe, ("FailureClass", "courier_failed"))): (1.0, "Count"),
        ("OrdersBad", (*probe, ("FailureClass", "courier_missing"))): (1.0, "Count"),
    }
    assert {key: (datum["Value"], datum["Unit"]) for key, datum in data.items()} == expected
    ended = datetime(2026, 1, 1, 0, 0, 45, tzinfo=UTC)
    assert {datum["Timestamp"] for datum in entries} == {ended}
    assert len(entries) == 14 + 12
    assert (published.namespace, published.count, published.timestamp) == ("Chainprobe", 26, ended)
    assert published.describe() == "26 metrics to CloudWatch namespace Chainprobe (Probe=shop)"


def test_chain_classes_sum_to_orders_bad() -> None:
    report = build_report(**load_case("breached"))
    data = run_metrics(report)
    total = next(d.value for d in data if d.name == "OrdersBad" and not d.dimensions)
    chain_classes = [
        d for d in data if d.name == "OrdersBad" and d.dimensions and "courier" not in d.dimensions[0][1]
    ]
    assert sum(d.value for d in chain_classes) == total


def test_values_not_measured_are_not_published() -> None:
    pending = [order(0, Verdict.PENDING, api_latency_ms=None), order(1, Verdict.NOT_SENT, sent_at=None)]
    report = build_report(run=run(), orders=pending, spec=spec("spec_api_only.yaml"))
    data = {(d.name, d.value) for d in run_metrics(report)}
    assert data == {("OrdersSent", 1), ("OrdersGood", 0), ("OrdersBad", 0)}


def test_without_dimensions_in_the_default_namespace() -> None:
    report = build_report(**load_case("breached"))
    cloudwatch = FakeCloudWatch()
    publisher = MetricPublisher(cloudwatch=cloudwatch)
    publisher.publish(report)
    publisher.publish(report)
    assert [len(call["MetricData"]) for call in cloudwatch.calls] == [20, 6, 20, 6]
    assert all(call["Namespace"] == "Chainprobe" for call in cloudwatch.calls)
    first = cloudwatch.calls[0]["MetricData"][0]
    assert first["MetricName"] == "OrdersSent" and first["Dimensions"] == []


def test_data_go_in_batches_of_put_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cloudwatch_module, "PUT_BATCH", 5)
    fake = FakeCloudWatch()
    MetricPublisher(cloudwatch=fake).publish(build_report(**load_case("breached")))
    assert [len(call["MetricData"]) for call in fake.calls] == [5, 5, 5, 5, 5, 1]  # 14 + 12 per stage


SPEC = """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
"""


def test_for_spec_renders_the_dimension_templates() -> None:
    section = (
        'cloudwatch_publish:\n  namespace: Team/Canaries\n  dimensions: {Probe: shop, Region: "${region}"}\n'
    )
    publisher = MetricPublisher.for_spec(
        parse_spec(SPEC + section), {"region": "eu-west-1"}, FakeCloudWatch()
    )
    assert publisher.namespace == "Team/Canaries"
    assert publisher.dimensions == {"Probe": "shop", "Region": "eu-west-1"}


def test_for_spec_defaults_the_namespace() -> None:
    publisher = MetricPublisher.for_spec(parse_spec(SPEC + "cloudwatch_publish: {}\n"), {}, FakeCloudWatch())
    assert (publisher.namespace, publisher.dimensions) == ("Chainprobe", {})


def test_for_spec_without_the_section_names_it() -> None:
    with pytest.raises(
        MissingFieldError, match=r"^probes/shop\.yaml: cloudwatch_publish: publishing metrics"
    ):
        MetricPublisher.for_spec(parse_spec(SPEC), {}, FakeCloudWatch(), source="probes/shop.yaml")


def test_for_spec_with_an_unknown_variable_names_the_file_and_field() -> None:
    text = SPEC + 'cloudwatch_publish:\n  dimensions: {Env: "${stage}"}\n'
    with pytest.raises(
        UnknownVariableError, match=r"^probes/shop\.yaml: cloudwatch_publish\.dimensions\.Env"
    ):
        MetricPublisher.for_spec(parse_spec(text), {}, FakeCloudWatch(), source="probes/shop.yaml")


def test_for_spec_refuses_an_empty_dimension_value() -> None:
    text = SPEC + 'cloudwatch_publish:\n  dimensions: {Env: "${stage:-}"}\n'
    with pytest.raises(InvalidValueError, match="1 to 1024 characters"):
        MetricPublisher.for_spec(parse_spec(text), {}, FakeCloudWatch())


@pytest.mark.parametrize("name", ["Stage", "FailureClass"])
def test_for_spec_refuses_a_dimension_chainprobe_adds_itself(name: str) -> None:
    text = SPEC + f"cloudwatch_publish:\n  dimensions: {{{name}: prod}}\n"
    with pytest.raises(
        InvalidValueError, match=rf"^probes/shop\.yaml: cloudwatch_publish\.dimensions\.{name}: {name} is the"
    ):
        MetricPublisher.for_spec(parse_spec(text), {}, FakeCloudWatch(), source="probes/shop.yaml")
