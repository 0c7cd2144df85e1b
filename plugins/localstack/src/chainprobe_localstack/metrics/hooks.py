"""LocalStack runtime hooks of the service metrics (registered by entry point).

- ``chainprobe_lambda_metrics`` (``on_infra_start``): wraps LocalStack's Lambda invocation path
  for the AWS/Lambda metrics (``lambda_/metrics.py``), before any function can be invoked.
- ``chainprobe_flush_metrics`` (``on_infra_shutdown``, before services stop): flushes the
  metrics publisher, so datapoints recorded in the last seconds still reach CloudWatch.

Both do nothing when ``CHAINPROBE_SERVICE_METRICS=0``.
"""

from localstack.runtime import hooks

from chainprobe_localstack.metrics import PUBLISHER

# LocalStack stops its services in an on_infra_shutdown hook of priority -10; run before it.
BEFORE_SERVICES_STOP = 10


@hooks.on_infra_start()
def chainprobe_lambda_metrics() -> None:
    if PUBLISHER.enabled:
        from chainprobe_localstack.lambda_.metrics import install

        install()


@hooks.on_infra_shutdown(priority=BEFORE_SERVICES_STOP)
def chainprobe_flush_metrics() -> None:
    if PUBLISHER.enabled:
        PUBLISHER.close()
