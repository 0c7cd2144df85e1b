"""The metrics publisher: per-second aggregation into PutMetricData Values/Counts, flushing, failures."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from chainprobe_localstack.metrics import Batch, Buffer, Metric, MetricsPublisher
from chainprobe_localstack.metrics.datapoints import MAX_DATUMS_PER_CALL, MAX_VALUES_PER_DATUM

ACCOUNT, REGION = "000000000000", "us-east-1"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC).timestamp()
LATENCY = Metric.of("AWS/ApiGateway", "Latency", "Milliseconds", Stage="prod", ApiName="OrdersAPI")
COUNT = Metric.of("AWS/ApiGateway", "Count", ApiName="OrdersAPI")


def publisher(sink: Any, **options: Any) -> MetricsPublisher:
    return MetricsPublisher(sink=sink, autostart=False, **options)


def record(target: MetricsPublisher, metric: Metric, value: float, at: float, account: str = ACCOUNT) -> None:
    target.record(metric, value, account_id=account, region=REGION, at=at)


def all_data(batches: list[Batch]) -> list[dict[str, Any]]:
    return [datum for batch in batches for datum in batch.metric_data]


def test_values_of_one_second_become_one_datum_with_values_and_counts() -> None:
    sent: list[Batch] = []
    target = publisher(sent.append)
    for value in (120.0, 80.0, 120.0, 95.5):
        record(target, LATENCY, value, T0 + 0.3)

    assert target.flush() == 4
    (datum,) = all_data(sent)
    assert datum["MetricName"] == "Latency"
    assert datum["Unit"] == "Milliseconds"
    assert datum["Timestamp"] == datetime.fromtimestamp(T0, UTC)
    assert datum["Values"] == [80.0, 95.5, 120.0]
    assert datum["Counts"] == [1.0, 1.0, 2.0]
    # What CloudWatch computes from it is what four separate datapoints would give.
    samples = [v for v, c in zip(datum["Values"], datum["Counts"], strict=True) for _ in range(int(c))]
    assert (len(samples), sum(samples)) == (4, 415.5)


def test_each_datapoint_keeps_the_second_it_was_recorded_in_not_the_flush_time() -> None:
    sent: list[Batch] = []
    target = publisher(sent.append)
    record(target, COUNT, 1, T0 + 0.9)
    record(target, COUNT, 1, T0 + 61.2)

    target.flush()

    stamps = [datum["Timestamp"] for datum in all_data(sent)]
    assert stamps == [datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + 61, UTC)]


def test_dimensions_are_sorted_and_distinct_dimension_sets_are_distinct_metrics() -> None:
    sent: list[Batch] = []
    target = publisher(sent.append)
    record(target, Metric.of("AWS/ApiGateway", "Count", ApiName="OrdersAPI"), 1, T0)
    record(target, Metric.of("AWS/ApiGateway", "Count", Stage="prod", ApiName="OrdersAPI"), 1, T0)

    target.flush()

    dimensions = [datum["Dimensions"] for datum in all_data(sent)]
    assert dimensions == [
        [{"Name": "ApiName", "Value": "OrdersAPI"}],
        [{"Name": "ApiName", "Value": "OrdersAPI"}, {"Name": "Stage", "Value": "prod"}],
    ]


def test_a_metric_without_dimensions_has_no_dimensions_field() -> None:
    sent: list[Batch] = []
    target = publisher(sent.append)
    record(target, Metric.of("AWS/Events", "PutEventsEntriesCount"), 3, T0)

    target.flush()

    assert "Dimensions" not in all_data(sent)[0]


def test_one_call_per_account_region_and_namespace() -> None:
    sent: list[Batch] = []
    target = publisher(sent.append)
    record(target, COUNT, 1, T0)
    record(target, COUNT, 1, T0, account="111111111111")
    record(target, Metric.of("AWS/Lambda", "Invocations", FunctionName="f"), 1, T0)

    target.flush()

    assert sorted((b.account_id, b.namespace) for b in sent) == [
        ("000000000000", "AWS/ApiGateway"),
        ("000000000000", "AWS/Lambda"),
        ("111111111111", "AWS/ApiGateway"),
    ]


def test_cloudwatch_limits_per_datum_and_per_call_are_kept() -> None:
    buffer = Buffer()
    for i in range(MAX_VALUES_PER_DATUM + 10):
        buffer.add(ACCOUNT, REGION, LATENCY, float(i), at=T0)
    for second in range(MAX_DATUMS_PER_CALL + 5):
        buffer.add(ACCOUNT, REGION, COUNT, 1, at=T0 + second)

    batches = list(buffer.batches())

    assert all(len(batch.metric_data) <= MAX_DATUMS_PER_CALL for batch in batches)
    data = all_data(batches)
    assert all(len(datum["Values"]) <= MAX_VALUES_PER_DATUM for datum in data)
    assert sum(sum(datum["Counts"]) for datum in data) == MAX_VALUES_PER_DATUM + 10 + MAX_DATUMS_PER_CALL + 5


def test_flush_empties_the_buffer() -> None:
    sent: list[Batch] = []
    target = publisher(sent.append)
    record(target, COUNT, 1, T0)

    assert target.flush() == 1
    assert target.flush() == 0
    assert len(sent) == 1


def test_a_batch_the_sink_refuses_is_sent_with_the_next_flush() -> None:
    sent: list[Batch] = []
    failures = [RuntimeError("CloudWatch is starting")]

    def flaky(batch: Batch) -> None:
        if failures:
            raise failures.pop()
        sent.append(batch)

    target = publisher(flaky)
    record(target, COUNT, 1, T0)
    assert target.flush() == 0
    record(target, COUNT, 1, T0)

    assert target.flush() == 2
    assert all_data(sent)[0]["Counts"] == [2.0]


def test_when_too_much_is_pending_a_refused_batch_is_dropped_and_counted() -> None:
    def down(batch: Batch) -> None:
        raise RuntimeError("down")

    target = publisher(down, max_pending=1)
    record(target, COUNT, 1, T0)
    record(target, COUNT, 2, T0)

    target.flush()

    assert target.dropped == 2
    assert target.flush() == 0


def test_a_disabled_publisher_records_nothing() -> None:
    sent: list[Batch] = []
    target = publisher(sent.append, enabled=False)
    record(target, COUNT, 1, T0)

    assert target.flush() == 0
    assert sent == []


def test_recording_never_raises_into_the_request_path() -> None:
    target = publisher(lambda batch: None)

    target.record(COUNT, "not a number", account_id=ACCOUNT, region=REGION)  # type: ignore[arg-type]

    assert target.flush() == 0


def test_the_background_thread_flushes_and_close_sends_the_rest() -> None:
    flushed = threading.Event()
    sent: list[Batch] = []

    def sink(batch: Batch) -> None:
        sent.append(batch)
        flushed.set()

    target = MetricsPublisher(sink=sink, flush_seconds=0.05)
    record(target, COUNT, 1, time.time())
    assert flushed.wait(5), "the first datapoint should start the flushing thread"

    target._flush_seconds = 3600  # the thread now sleeps: only close() can send what follows
    time.sleep(0.1)
    record(target, COUNT, 1, time.time())
    target.close()

    assert sum(batch.samples for batch in sent) == 2


@pytest.mark.parametrize("value", [0.0001, 1e9])
def test_values_are_kept_to_three_decimals(value: float) -> None:
    sent: list[Batch] = []
    target = publisher(sent.append)
    record(target, LATENCY, value, T0)

    target.flush()

    assert all_data(sent)[0]["Values"] == [round(value, 3)]
