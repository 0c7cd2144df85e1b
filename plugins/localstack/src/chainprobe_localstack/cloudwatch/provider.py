"""The ``cloudwatch:chainprobe`` provider (``PROVIDER_OVERRIDE_CLOUDWATCH=chainprobe``).

LocalStack's v2 CloudWatch provider (alarms, dashboards, PutMetricData, ListMetrics, ...), with its
storage read through :class:`~.store.MetricStore` (exact dimensions, percentiles) and GetMetricData
answered by the metric-math evaluator (``metric_data.py``), so ``Expression`` queries work.
"""

from typing import Any

from localstack.services.cloudwatch.provider_v2 import CloudwatchProvider
from localstack.services.plugins import Service, aws_provider

from chainprobe_localstack.cloudwatch import metric_data
from chainprobe_localstack.cloudwatch.store import MetricStore


class MetricMathCloudwatchProvider(CloudwatchProvider):
    """CloudWatch whose GetMetricData evaluates metric math."""

    def __init__(self) -> None:
        super().__init__()
        self.cloudwatch_database = MetricStore()

    def on_after_state_reset(self) -> None:
        super().on_after_state_reset()
        self.cloudwatch_database = MetricStore()

    def get_metric_data(
        self,
        context: Any,
        metric_data_queries: Any,
        start_time: Any,
        end_time: Any,
        next_token: Any = None,
        scan_by: Any = None,
        max_datapoints: Any = None,
        label_options: Any = None,
        **kwargs: Any,
    ) -> Any:
        return metric_data.get_metric_data(
            self.cloudwatch_database,
            account_id=context.account_id,
            region=context.region,
            queries=metric_data_queries,
            start_time=start_time,
            end_time=end_time,
            scan_by=scan_by,
            max_datapoints=max_datapoints,
            next_token=next_token,
        )


@aws_provider(api="cloudwatch", name="chainprobe")
def cloudwatch_chainprobe() -> Service:
    return Service.for_provider(MetricMathCloudwatchProvider())
