"""AWS service metrics for the local stack, published to LocalStack's CloudWatch as AWS publishes them.

Every emitter (the API Gateway, Lambda, EventBridge, DynamoDB and SQS plugins) records into the one
process-wide :data:`PUBLISHER`, which aggregates in memory and flushes to CloudWatch every few
seconds with PutMetricData ``Values``/``Counts``, keeping each request's own timestamp::

    from chainprobe_localstack.metrics import PUBLISHER, Metric

    PUBLISHER.record(Metric.of("AWS/Lambda", "Errors", FunctionName="OrdersHandler"), 1,
                     account_id="000000000000", region="us-east-1")

Environment:
    CHAINPROBE_SERVICE_METRICS: ``0`` turns every emitter off (default on).
    CHAINPROBE_METRICS_FLUSH_SECONDS: seconds between flushes (default 5).

The flushing thread starts with the first datapoint; the ``on_infra_shutdown`` hook flushes what
is left (``hooks.py``, which imports LocalStack: it is loaded by plux only).
"""

from __future__ import annotations

import os

from .datapoints import Batch, Buffer, Metric
from .publisher import MetricsPublisher, Sink
from .sink import cloudwatch_sink


def _flush_seconds() -> float:
    try:
        return max(0.5, float(os.environ.get("CHAINPROBE_METRICS_FLUSH_SECONDS") or 5.0))
    except ValueError:
        return 5.0


PUBLISHER = MetricsPublisher(
    sink=cloudwatch_sink,
    flush_seconds=_flush_seconds(),
    enabled=os.environ.get("CHAINPROBE_SERVICE_METRICS", "1") != "0",
)
"""The publisher every emitter of this process records into."""

__all__ = ["PUBLISHER", "Batch", "Buffer", "Metric", "MetricsPublisher", "Sink", "cloudwatch_sink"]
