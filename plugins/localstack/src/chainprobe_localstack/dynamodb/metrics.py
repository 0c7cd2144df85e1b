"""AWS/DynamoDB metrics, recorded around every operation of the DynamoDB dispatch table.

:func:`metered_dispatch_table` wraps each handler of a dispatch table (moto's, through
``MotoFallbackDispatcher``, plus anything the provider implements itself, injected faults included)
and records what AWS publishes for that request:

- ``SuccessfulRequestLatency`` (TableName, Operation; Milliseconds): one sample per successful
  data-plane request and table, so its SampleCount is the number of successful requests;
- ``ThrottledRequests`` (TableName, Operation): 1 per request refused with
  ProvisionedThroughputExceededException (or ThrottlingException, RequestLimitExceeded);
- ``SystemErrors`` (TableName, Operation): 1 per request answered with a 5xx;
- ``UserErrors`` (no dimensions: account and region): 1 per request of any operation answered with
  another 4xx, except ConditionalCheckFailedException, which AWS counts in
  ``ConditionalCheckFailedRequests`` (TableName) instead.

As on AWS, the error metrics are only published when they are non-zero. A request that names
several tables (BatchWriteItem, TransactWriteItems, ...) is counted once per table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from chainprobe_localstack.metrics import PUBLISHER, Metric, MetricsPublisher

NAMESPACE = "AWS/DynamoDB"

DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    }
)
THROTTLING = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"

type Handler = Callable[[Any, Any], Any]


def tables_of(request: Mapping[str, Any] | None) -> list[str]:
    """The tables a DynamoDB request names (none for PartiQL statements)."""
    request = request or {}
    if name := request.get("TableName"):
        return [str(name)]
    if items := request.get("RequestItems"):
        return sorted(str(name) for name in items)
    names: set[str] = set()
    for item in request.get("TransactItems") or []:
        for action in item.values():
            if isinstance(action, Mapping) and action.get("TableName"):
                names.add(str(action["TableName"]))
    return sorted(names)


def metered_dispatch_table(
    table: dict[str, Handler], publisher: MetricsPublisher = PUBLISHER
) -> dict[str, Handler]:
    """The same dispatch table, each handler recording the AWS/DynamoDB metrics of its requests."""
    return {operation: _metered(operation, handler, publisher) for operation, handler in table.items()}


def _metered(operation: str, handler: Handler, publisher: MetricsPublisher) -> Handler:
    def handle(context: Any, request: Any) -> Any:
        at = time.time()
        started = time.perf_counter()
        try:
            response = handler(context, request)
        except Exception as error:
            _failed(publisher, context, operation, request, error, at)
            raise
        if operation in DATA_PLANE:
            latency_ms = (time.perf_counter() - started) * 1000
            for table in tables_of(request):
                _record(publisher, context, "SuccessfulRequestLatency", latency_ms, at, table, operation)
        return response

    return handle


def _failed(
    publisher: MetricsPublisher, context: Any, operation: str, request: Any, error: Exception, at: float
) -> None:
    code = getattr(error, "code", None)
    status = int(getattr(error, "status_code", 500) or 500)
    tables = tables_of(request) if operation in DATA_PLANE else []
    if code in THROTTLING:
        for table in tables:
            _record(publisher, context, "ThrottledRequests", 1, at, table, operation)
    elif code == CONDITIONAL_CHECK_FAILED:
        for table in tables:
            _record(publisher, context, "ConditionalCheckFailedRequests", 1, at, table)
    elif status >= 500 or code is None:
        for table in tables:
            _record(publisher, context, "SystemErrors", 1, at, table, operation)
    else:
        _record(publisher, context, "UserErrors", 1, at)


def _record(
    publisher: MetricsPublisher,
    context: Any,
    name: str,
    value: float,
    at: float,
    table: str | None = None,
    operation: str | None = None,
) -> None:
    dimensions = {"TableName": table} if table else {}
    if operation:
        dimensions["Operation"] = operation
    unit = "Milliseconds" if name == "SuccessfulRequestLatency" else "Count"
    metric = Metric.of(NAMESPACE, name, unit, **dimensions)
    publisher.record(metric, value, account_id=context.account_id, region=context.region, at=at)
