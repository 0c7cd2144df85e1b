"""GetMetricData answered by chainprobe's metric-math evaluator over LocalStack's metric storage.

Every request, with or without ``Expression`` queries, goes through the evaluator (vendored from
``chainprobe.measure.metricmath`` at install, see ``_vendor``): MetricStat queries are read from
the :class:`~.store.MetricStore` and aggregated on the evaluator's period grid (StartTime rounded
as CloudWatch rounds it, EndTime exclusive), expressions are evaluated on top. Example request
(boto3)::

    cloudwatch.get_metric_data(StartTime=t0, EndTime=t1, MetricDataQueries=[
        {"Id": "requests", "MetricStat": {"Metric": {"Namespace": "AWS/ApiGateway", "MetricName": "Count",
         "Dimensions": [{"Name": "ApiName", "Value": "OrdersAPI"}]}, "Period": 60, "Stat": "Sum"},
         "ReturnData": False},
        {"Id": "rate", "Expression": "FILL(requests, 0) / PERIOD(requests)"}])

Errors are ``ValidationError`` (HTTP 400) with the evaluator's message: a syntax error, an
unsupported function (named), an unknown id, a circular reference, an unsupported statistic.
A request without expressions may use any Ids (LocalStack's alarm scheduler uses alarm names).
Limitations: no pagination (``NextToken`` is refused, and a request that would return more than
``MaxDatapoints``, default 100,800, is refused instead of paginated); at most 500 queries;
``LabelOptions`` are ignored; SEARCH and Metrics Insights queries are unsupported functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from localstack.services.cloudwatch.provider_v2 import ValidationException

from chainprobe_localstack._vendor import metricmath
from chainprobe_localstack.cloudwatch.statistics import UnsupportedStatisticError, check_statistic
from chainprobe_localstack.cloudwatch.store import MetricStore

MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800


def get_metric_data(
    store: MetricStore,
    *,
    account_id: str,
    region: str,
    queries: Sequence[Mapping[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str | None = None,
    max_datapoints: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    """The GetMetricData response for one request; raises ValidationException."""
    if next_token:
        raise ValidationException("The local CloudWatch does not paginate: NextToken is not supported")
    if len(queries) > MAX_QUERIES:
        raise ValidationException(f"A request can hold at most {MAX_QUERIES} MetricDataQueries")
    _check_statistics(queries)
    _check_size(queries, start_time, end_time, max_datapoints or MAX_DATAPOINTS)

    def fetch(
        metric_stat: Mapping[str, Any], start: datetime, end: datetime, period: int
    ) -> metricmath.Series:
        points = store.series(account_id, region, metric_stat, start.timestamp(), end.timestamp(), period)
        return metricmath.Series(
            period, {datetime.fromtimestamp(ts, UTC): value for ts, value in points.items()}
        )

    queries, original_ids = _aliased(queries)
    try:
        result = metricmath.evaluate(queries, start=start_time, end=end_time, fetch=fetch)
    except metricmath.MetricMathError as error:
        raise ValidationException(str(error)) from error
    descending = scan_by != "TimestampAscending"
    results = [entry.to_dict(descending=descending) for entry in result.results]
    for entry in results:
        entry["Id"] = original_ids.get(entry["Id"], entry["Id"])
    return {"MetricDataResults": results, "Messages": []}


def _aliased(queries: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], dict[str, str]]:
    """A request without expressions, its Ids replaced by ``m0``, ``m1``, ... (and the way back).

    LocalStack's own alarm scheduler asks GetMetricData with the alarm's name as Id, which
    CloudWatch's Id rules (that the evaluator enforces) refuse; no expression can refer to the Ids
    of such a request, so they need not follow those rules. Requests with expressions are kept.
    """
    if any("Expression" in query for query in queries):
        return list(queries), {}
    aliases = {f"m{i}": str(query.get("Id")) for i, query in enumerate(queries)}
    return [dict(query, Id=alias) for alias, query in zip(aliases, queries, strict=True)], aliases


def _check_statistics(queries: Sequence[Mapping[str, Any]]) -> None:
    for query in queries:
        metric_stat = query.get("MetricStat")
        if isinstance(metric_stat, Mapping):
            try:
                check_statistic(metric_stat.get("Stat"))
            except UnsupportedStatisticError as error:
                raise ValidationException(f"Query {query.get('Id')}: {error}") from error


def _check_size(queries: Sequence[Mapping[str, Any]], start: datetime, end: datetime, limit: int) -> None:
    """Refuse a request whose results could exceed ``limit`` datapoints (it is not paginated)."""
    seconds = max(0.0, (end - start).total_seconds())
    stat_periods = [
        _period(q["MetricStat"].get("Period")) for q in queries if isinstance(q.get("MetricStat"), Mapping)
    ]
    request_period = max((p for p in stat_periods if p), default=60)
    needed = 0
    for query in queries:
        if query.get("ReturnData", True):
            source = query["MetricStat"] if isinstance(query.get("MetricStat"), Mapping) else query
            needed += math.ceil(seconds / (_period(source.get("Period")) or request_period)) + 1
    if needed > limit:
        raise ValidationException(
            f"The request could return {needed} datapoints, more than the {limit} the local CloudWatch "
            "answers without pagination: shorten the time range or lengthen the period"
        )


def _period(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
