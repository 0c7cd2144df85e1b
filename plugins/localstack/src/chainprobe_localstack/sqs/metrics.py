"""AWS/SQS metrics (dimension QueueName): LocalStack's own, sent through the publisher, plus the age.

LocalStack's SQS provider already decides when ``NumberOfMessagesSent`` (and ``SentMessageSize``),
``NumberOfMessagesReceived`` (or ``NumberOfEmptyReceives``) and ``NumberOfMessagesDeleted`` happen,
and hands each one to a ``CloudwatchDispatcher``, which sends one PutMetricData per message from a
thread pool. :class:`PublisherDispatcher` takes that dispatcher's place: the same metrics, recorded
with the time of the request and sent in batches by the metrics publisher.

Its ``CloudwatchPublishWorker`` samples ``ApproximateNumberOfMessagesVisible``/``NotVisible``/
``Delayed`` every ``SQS_CLOUDWATCH_METRICS_REPORT_INTERVAL`` seconds (60, AWS's granularity) and
leaves out ``ApproximateAgeOfOldestMessage``; :class:`AgeSamplingPublishWorker` adds it (Seconds):
the age of the oldest message that is visible or in flight (not deleted, not still delayed),
0 for an empty queue.
"""

from __future__ import annotations

import time
from typing import Any

from localstack.services.sqs.models import sqs_stores
from localstack.services.sqs.provider import CloudwatchDispatcher, CloudwatchPublishWorker

from chainprobe_localstack.metrics import PUBLISHER, Metric, MetricsPublisher

NAMESPACE = "AWS/SQS"


class PublisherDispatcher(CloudwatchDispatcher):
    """LocalStack's SQS metric dispatcher, recording into the metrics publisher instead of a thread pool."""

    def __init__(self, publisher: MetricsPublisher = PUBLISHER) -> None:
        # No super().__init__(): it would start the thread pool this class replaces.
        self.publisher = publisher
        self.running = True

    def shutdown(self) -> None:
        self.running = False

    def dispatch_sqs_metric(
        self,
        account_id: str,
        region: str,
        queue_name: str,
        metric: str,
        value: float = 1,
        unit: str = "Count",
    ) -> None:
        if self.running:
            metric_ = Metric.of(NAMESPACE, metric, unit, QueueName=queue_name)
            self.publisher.record(metric_, value, account_id=account_id, region=region)


def oldest_message_age(queue: Any, now: float) -> float:
    """Seconds since the oldest visible or in-flight, non-deleted message was sent (0 when none)."""
    with queue.mutex:
        candidates = list(queue.inflight)
        if hasattr(queue, "message_groups"):  # FIFO
            for group in queue.message_groups.values():
                candidates.extend(group.messages)
        else:
            candidates.extend(queue.visible.queue)
    created = [message.created for message in candidates if not message.deleted]
    return round(max(0.0, now - min(created)), 3) if created else 0.0


class AgeSamplingPublishWorker(CloudwatchPublishWorker):
    """LocalStack's periodic SQS gauges, plus ApproximateAgeOfOldestMessage per queue."""

    publisher: MetricsPublisher = PUBLISHER

    def publish_approximate_cloudwatch_metrics(self) -> None:
        super().publish_approximate_cloudwatch_metrics()
        now = time.time()
        for account_id, region, store in sqs_stores.iter_stores():
            for queue in list(store.queues.values()):
                metric = Metric.of(
                    NAMESPACE, "ApproximateAgeOfOldestMessage", "Seconds", QueueName=queue.name
                )
                age = oldest_message_age(queue, now)
                self.publisher.record(metric, age, account_id=account_id, region=region, at=now)
