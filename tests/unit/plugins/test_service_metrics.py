"""What the DynamoDB and Lambda emitters record for a request, and the statistics CloudWatch serves."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import pytest
from chainprobe_localstack.cloudwatch.statistics import (
    Bucket,
    UnsupportedStatisticError,
    check_statistic,
    statistic,
)
from chainprobe_localstack.dynamodb.metrics import metered_dispatch_table, tables_of
from chainprobe_localstack.lambda_ import metrics as lambda_metrics
from chainprobe_localstack.metrics import Batch, Metric, MetricsPublisher


@dataclass
class Context:
    account_id: str = "000000000000"
    region: str = "us-east-1"


class ServiceError(Exception):
    def __init__(self, code: str, status_code: int) -> None:
        super().__init__(code)
        self.code = code
        self.status_code = status_code


class Recorded:
    """A publisher whose flushes land in a dict: (metric name, dimensions) -> [(value, count)]."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.publisher = MetricsPublisher(sink=self.batches.append, autostart=False)

    def values(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[float]]:
        self.publisher.flush()
        found: dict[tuple[str, tuple[tuple[str, str], ...]], list[float]] = {}
        for batch in self.batches:
            for metric, _, values in batch.entries:
                samples = found.setdefault((metric.name, metric.dimensions), [])
                samples.extend(v for v, c in sorted(values.items()) for _ in range(c))
        return found


def table_dims(table: str, operation: str) -> tuple[tuple[str, str], ...]:
    return (("Operation", operation), ("TableName", table))


# DynamoDB


def call(operation: str, request: dict[str, Any], outcome: Any) -> dict[Any, list[float]]:
    recorded = Recorded()

    def handler(context: Any, req: Any) -> Any:
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    table = metered_dispatch_table({operation: handler}, recorded.publisher)
    with contextlib.suppress(ServiceError):
        table[operation](Context(), request)
    return recorded.values()


def test_a_successful_put_item_is_one_latency_sample_per_table_and_operation() -> None:
    found = call("PutItem", {"TableName": "Orders", "Item": {}}, {})

    assert list(found) == [("SuccessfulRequestLatency", table_dims("Orders", "PutItem"))]
    assert len(found[("SuccessfulRequestLatency", table_dims("Orders", "PutItem"))]) == 1


def test_a_throttled_put_item_counts_in_throttled_requests_only() -> None:
    throttled = ServiceError("ProvisionedThroughputExceededException", 400)
    found = call("PutItem", {"TableName": "Orders"}, throttled)

    assert found == {("ThrottledRequests", table_dims("Orders", "PutItem")): [1]}


def test_a_client_error_is_an_account_level_user_error() -> None:
    found = call("DescribeTable", {"TableName": "Nope"}, ServiceError("ResourceNotFoundException", 400))

    assert found == {("UserErrors", ()): [1]}


def test_a_failed_condition_is_not_a_user_error() -> None:
    found = call("PutItem", {"TableName": "Orders"}, ServiceError("ConditionalCheckFailedException", 400))

    assert found == {("ConditionalCheckFailedRequests", (("TableName", "Orders"),)): [1]}


def test_a_server_error_is_a_system_error_per_table_and_operation() -> None:
    found = call("GetItem", {"TableName": "Orders"}, ServiceError("InternalServerError", 500))

    assert found == {("SystemErrors", table_dims("Orders", "GetItem")): [1]}


def test_control_plane_operations_have_no_latency_metric() -> None:
    assert call("DescribeTable", {"TableName": "Orders"}, {}) == {}


@pytest.mark.parametrize(
    ("request_", "tables"),
    [
        ({"TableName": "Orders"}, ["Orders"]),
        ({"RequestItems": {"B": [], "A": []}}, ["A", "B"]),
        ({"TransactItems": [{"Put": {"TableName": "A"}}, {"Update": {"TableName": "B"}}]}, ["A", "B"]),
        ({"Statement": "SELECT * FROM Orders"}, []),
    ],
)
def test_the_tables_a_request_names(request_: dict[str, Any], tables: list[str]) -> None:
    assert tables_of(request_) == tables


# Lambda


@dataclass
class FunctionId:
    function_name: str = "OrdersHandler"
    region: str = "us-east-1"
    account: str = "000000000000"


def test_an_invocation_counts_once_with_errors_zero_or_one() -> None:
    recorded = Recorded()
    lambda_metrics.invoked(FunctionId(), at=0, error=False, publisher=recorded.publisher)
    lambda_metrics.invoked(FunctionId(), at=0, error=True, publisher=recorded.publisher)
    lambda_metrics.throttled(FunctionId(), at=0, publisher=recorded.publisher)

    found = recorded.values()
    dims = (("FunctionName", "OrdersHandler"),)
    assert found[("Invocations", dims)] == [1, 1]
    assert sorted(found[("Errors", dims)]) == [0, 1]
    assert found[("Throttles", dims)] == [1]


def test_concurrent_executions_is_the_number_running_and_duration_stops_at_the_timeout() -> None:
    recorded = Recorded()
    function = FunctionId(function_name="f")
    with (
        lambda_metrics.execution(function, publisher=recorded.publisher),
        lambda_metrics.execution(function, publisher=recorded.publisher) as run,
    ):
        run.stop()
        stopped_at = run.duration_ms
        sum(range(100_000))  # the environment is still busy; the invocation is over
        assert run.duration_ms == stopped_at

    found = recorded.values()
    dims = (("FunctionName", "f"),)
    assert sorted(found[("ConcurrentExecutions", dims)]) == [1, 2]
    assert len(found[("Duration", dims)]) == 2


# statistics


def bucket_of(*values: float) -> Bucket:
    bucket = Bucket()
    for value in values:
        bucket.add_value(value)
    return bucket


@pytest.mark.parametrize(
    ("stat", "expected"),
    [
        ("SampleCount", 20),
        ("Sum", 210),
        ("Average", 10.5),
        ("Minimum", 1),
        ("Maximum", 20),
        ("p50", 10),
        ("p95", 19),
        ("p99.9", 20),
        ("p100", 20),
        ("p0", 1),
    ],
)
def test_statistics_over_single_values(stat: str, expected: float) -> None:
    assert statistic(bucket_of(*range(1, 21)), stat) == expected


def test_a_period_with_a_statistic_set_has_no_percentile_but_its_sums() -> None:
    bucket = bucket_of(5.0)
    bucket.add_statistic_set(count=3, total=30, minimum=1, maximum=20)

    assert [statistic(bucket, stat) for stat in ("SampleCount", "Sum", "Maximum")] == [4, 35, 20]
    assert statistic(bucket, "p95") is None


def test_an_empty_period_has_no_value() -> None:
    assert statistic(Bucket(), "Sum") is None


@pytest.mark.parametrize("stat", ["tm99", "IQM", "p101", "Median", None])
def test_an_unsupported_statistic_is_named_in_the_error(stat: Any) -> None:
    with pytest.raises(UnsupportedStatisticError, match=repr(stat).replace("(", r"\(")):
        check_statistic(stat)


def test_metric_of_sorts_dimensions() -> None:
    assert Metric.of("N", "M", B="2", A="1").dimensions == (("A", "1"), ("B", "2"))
