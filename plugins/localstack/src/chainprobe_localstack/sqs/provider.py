"""The ``sqs:chainprobe`` provider (``PROVIDER_OVERRIDE_SQS=chainprobe``).

LocalStack's SQS provider with its two CloudWatch collaborators replaced (``metrics.py``); nothing
else changes. ``SQS_DISABLE_CLOUDWATCH_METRICS`` still turns them off.
"""

from localstack.services.plugins import Service, aws_provider
from localstack.services.sqs.provider import SqsProvider

from chainprobe_localstack.sqs.metrics import AgeSamplingPublishWorker, PublisherDispatcher


class MeteredSqsProvider(SqsProvider):
    """SqsProvider whose AWS/SQS metrics go through the metrics publisher and include the oldest age."""

    def _init_cloudwatch_metrics_reporting(self) -> None:
        super()._init_cloudwatch_metrics_reporting()
        if self.cloudwatch_disabled:
            return
        self._cloudwatch_dispatcher.shutdown()
        self._cloudwatch_dispatcher = PublisherDispatcher()
        self._cloudwatch_publish_worker = AgeSamplingPublishWorker()


@aws_provider(api="sqs", name="chainprobe")
def sqs_chainprobe() -> Service:
    return Service.for_provider(MeteredSqsProvider())
