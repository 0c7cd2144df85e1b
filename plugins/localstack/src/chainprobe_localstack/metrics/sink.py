"""The sink that sends a batch to LocalStack's own CloudWatch, as the resource's account and region.

It uses LocalStack's internal client (``localstack.aws.connect.connect_to``), so the datapoints go
through the selected CloudWatch provider exactly like a PutMetricData from a user would.
"""

from __future__ import annotations

from .datapoints import Batch


def cloudwatch_sink(batch: Batch) -> None:
    from localstack.aws.connect import connect_to
    from localstack.utils.bootstrap import is_api_enabled

    if not is_api_enabled("cloudwatch"):
        return
    client = connect_to(aws_access_key_id=batch.account_id, region_name=batch.region).cloudwatch
    client.put_metric_data(Namespace=batch.namespace, MetricData=batch.metric_data)
