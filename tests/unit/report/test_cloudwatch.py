"""A run's results as CloudWatch custom metrics: names, units, dimensions, timestamps, batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from report_inputs import load_case, order, run, spec

from chainprobe.ledger import FailureClass, Verdict
from chainprobe.measure.sli import nearest_rank
from chainprobe.report import build_report
from chainprobe.report import cloudwatch as cloudwatch_module
from chainprobe.report.cloudwatch import MetricPublisher, latency_metrics, run_metrics
from chainprobe.spec import MissingFieldError, UnknownVariableError, parse_spec
from chainprobe.spec.exceptions import InvalidValueError

PROBE = {"Probe": "shop"}
STAGE_NAMES = {"StageGood", "StageBad", "StageLag"}
RAW = STAGE_NAMES | {"Latency"}


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
    data = {key: datum for key, datum in by_key(entries).items() if key[0] not in RAW}
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
    assert len(entries) == 14 + 1 + 12  # the run's, Latency (16 good orders: one entry), per stage
    latency = by_key(entries)[("Latency", probe)]
    assert (latency["Unit"], sum(latency["Counts"])) == ("Milliseconds", 16.0)
    assert (published.namespace, published.count, published.timestamp) == ("Chainprobe", 27, ended)
    assert published.describe() == "27 metrics to CloudWatch namespace Chainprobe (Probe=shop)"


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
    assert [len(call["MetricData"]) for call in cloudwatch.calls] == [20, 7, 20, 7]
    assert all(call["Namespace"] == "Chainprobe" for call in cloudwatch.calls)
    first = cloudwatch.calls[0]["MetricData"][0]
    assert first["MetricName"] == "OrdersSent" and first["Dimensions"] == []


def test_data_go_in_batches_of_put_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cloudwatch_module, "PUT_BATCH", 5)
    fake = FakeCloudWatch()
    MetricPublisher(cloudwatch=fake).publish(build_report(**load_case("breached")))
    assert [len(call["MetricData"]) for call in fake.calls] == [5, 5, 5, 5, 5, 2]  # 14 + 1 + 12


GOOD, BAD = Verdict.GOOD, Verdict.BAD
_DISTINCT = [order(seq, api_latency_ms=float(seq + 1)) for seq in range(151)]


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        # Good orders only, rounded to 0.001 ms, equal values counted together, sorted.
        (
            [
                order(0, api_latency_ms=120.0),
                order(1, api_latency_ms=80.5),
                order(2, api_latency_ms=120.0),
                order(3, api_latency_ms=300.0004),
                order(4, BAD, FailureClass.HTTP_5XX, api_latency_ms=50.0),
                order(5, api_latency_ms=None),
            ],
            [([80.5, 120.0, 300.0], [1.0, 2.0, 1.0])],
        ),
        # 151 distinct values: two entries, 150 + 1, none dropped or bucketed.
        (_DISTINCT, [([float(v) for v in range(1, 151)], [1.0] * 150), ([151.0], [1.0])]),
        # 300 orders of two values: one entry, the counts carry them.
        (
            [order(seq, api_latency_ms=10.0 if seq % 3 else 20.0) for seq in range(300)],
            [([10.0, 20.0], [200.0, 100.0])],
        ),
        # No good order: nothing (no Latency of 0 that would read as fast).
        ([order(0, BAD, FailureClass.HTTP_5XX, api_latency_ms=90.0)], []),
    ],
)
def test_latency_is_published_as_raw_values(orders: list[Any], expected: list[Any]) -> None:
    report = build_report(run=run(), orders=orders, spec=spec("spec_api_only.yaml"))

    data = [datum.to_aws(None) for datum in latency_metrics(report, PROBE)]

    assert [(d["Values"], d["Counts"]) for d in data] == expected
    assert all(
        (d["MetricName"], d["Unit"], d["Dimensions"])
        == ("Latency", "Milliseconds", [{"Name": "Probe", "Value": "shop"}])
        for d in data
    )


def test_the_p95_of_two_runs_raw_latencies_is_the_p95_of_their_orders_not_of_their_p95s() -> None:
    # Run A: 19 orders at 100 ms and one at 1000 ms; run B: 20 orders at 200 ms.
    # Over both (40 values) the nearest-rank p95 is the 38th value: 200 ms. Per-run p95s: 100 and 200,
    # whose maximum (the old dashboard's line) is 200 and whose mean is 150; run A's p99 is 1000.
    first = [order(seq, api_latency_ms=1000.0 if seq == 19 else 100.0) for seq in range(20)]
    second = [order(seq, api_latency_ms=200.0) for seq in range(20)]
    values: list[float] = []
    for orders in (first, second):
        for datum in latency_metrics(build_report(run=run(), orders=orders, spec=spec("spec_api_only.yaml"))):
            values.extend(v for v, c in zip(datum.values, datum.counts, strict=True) for _ in range(c))
    assert nearest_rank(values, 95) == 200.0
    assert nearest_rank(values, 99) == 1000.0  # the 40th: run A's one slow order is not averaged away
    assert len(values) == 40


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
