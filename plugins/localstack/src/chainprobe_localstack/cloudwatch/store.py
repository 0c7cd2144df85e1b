"""LocalStack's CloudWatch metric storage (SQLite), read with exact dimensions and percentiles.

:class:`MetricStore` is LocalStack's ``CloudwatchDatabase`` (same file, same tables, same rows) with
three changes:

- reads match a metric's dimensions exactly: LocalStack matches ``dimensions LIKE '%Name=Value%'``,
  so a query for ``{ApiName=OrdersAPI}`` also summed ``{ApiName=OrdersAPI, Stage=prod}`` (and
  ``OrdersAPI2``); on CloudWatch a metric is its exact set of dimensions;
- every statistic of ``statistics.py`` is served, percentiles included (LocalStack knows five);
- ``add_metric_data`` writes a whole PutMetricData call in one transaction (LocalStack opens a
  connection per datum).

:meth:`MetricStore.series` answers one MetricStat on a period grid (for the metric-math
evaluator); :meth:`MetricStore.get_metric_data_stat` keeps LocalStack's signature, so the
inherited GetMetricStatistics gets the same fixes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from localstack.services.cloudwatch.cloudwatch_database_helper import CloudwatchDatabase

from chainprobe_localstack.cloudwatch.statistics import Bucket, check_statistic, statistic

NULL_UNIT = "NULL_VALUE"

type Row = tuple[float, float, float, float, float, int]
"""timestamp, sum, count, minimum, maximum, single (1 for a single value, 0 for a statistic set)."""


class MetricStore(CloudwatchDatabase):
    """LocalStack's metric database with exact-dimension reads, percentiles and batched writes."""

    def add_metric_data(self, account_id: str, region: str, namespace: str, metric_data: Any) -> None:
        singles: list[tuple[Any, ...]] = []
        sets: list[tuple[Any, ...]] = []
        now = int(datetime.now(UTC).timestamp())
        for metric in metric_data or []:
            stamp = metric.get("Timestamp")
            common = (
                account_id,
                region,
                metric.get("MetricName"),
                namespace,
                self._convert_timestamp_to_unix(stamp) if stamp else now,
                self._get_ordered_dimensions_with_separator(
                    [dict(d) for d in metric.get("Dimensions") or []]
                ),
                metric.get("Unit"),
                metric.get("StorageResolution"),
            )
            if metric.get("Value") is not None:
                singles.append((*common, metric["Value"]))
            elif metric.get("Values"):
                counts = metric.get("Counts") or [1] * len(metric["Values"])
                for value, count in zip(metric["Values"], counts, strict=False):
                    singles.extend([(*common, value)] * int(count))
            if statistic_values := metric.get("StatisticValues"):
                sets.append(
                    (
                        *common,
                        statistic_values.get("SampleCount"),
                        statistic_values.get("Sum"),
                        statistic_values.get("Minimum"),
                        statistic_values.get("Maximum"),
                    )
                )
        columns = (
            "account_id, region, metric_name, namespace, timestamp, dimensions, unit, storage_resolution"
        )
        with self.DATABASE_LOCK, sqlite3.connect(self.METRICS_DB) as conn:
            conn.executemany(
                f"INSERT INTO {self.TABLE_SINGLE_METRICS} ({columns}, value) VALUES ({', '.join('?' * 9)})",
                singles,
            )
            conn.executemany(
                f"INSERT INTO {self.TABLE_AGGREGATED_METRICS} ({columns}, sample_count, sum, min, max) "
                f"VALUES ({', '.join('?' * 12)})",
                sets,
            )
            conn.commit()

    # reads

    def rows(
        self,
        account_id: str,
        region: str,
        metric: Mapping[str, Any],
        unit: str | None,
        start: float,
        end: float,
    ) -> list[Row]:
        """Every stored datapoint of exactly this metric (namespace, name, dimensions) in [start, end)."""
        dimensions = self._get_ordered_dimensions_with_separator(
            [dict(d) for d in metric.get("Dimensions") or []]
        )
        where = "account_id = ? AND region = ? AND namespace = ? AND metric_name = ? AND dimensions IS ?"
        params: list[Any] = [
            account_id,
            region,
            metric.get("Namespace"),
            metric.get("MetricName"),
            dimensions,
        ]
        if unit == NULL_UNIT:
            where += " AND unit IS NULL"
        elif unit:
            where += " AND unit = ?"
            params.append(unit)
        where += " AND timestamp >= ? AND timestamp < ?"
        params.extend([start, end])
        singles = f"SELECT timestamp, value, 1, value, value, 1 FROM {self.TABLE_SINGLE_METRICS}"
        sets = f"SELECT timestamp, sum, sample_count, min, max, 0 FROM {self.TABLE_AGGREGATED_METRICS}"
        sql = f"{singles} WHERE {where} UNION ALL {sets} WHERE {where}"
        with self.DATABASE_LOCK, sqlite3.connect(self.METRICS_DB_READ_ONLY, uri=True) as conn:
            return conn.execute(sql, params * 2).fetchall()

    def series(
        self,
        account_id: str,
        region: str,
        metric_stat: Mapping[str, Any],
        start: float,
        end: float,
        period: int,
    ) -> dict[float, float]:
        """One MetricStat's statistic per period start (epoch seconds) of the grid ``start + k * period``."""
        stat = check_statistic(metric_stat.get("Stat"))
        rows = self.rows(
            account_id, region, metric_stat.get("Metric") or {}, metric_stat.get("Unit"), start, end
        )
        buckets = bucketed(rows, lambda ts: start + period * ((ts - start) // period))
        points = {ts: statistic(bucket, stat) for ts, bucket in buckets.items()}
        return {ts: value for ts, value in sorted(points.items()) if value is not None}

    def get_metric_data_stat(
        self,
        account_id: str,
        region: str,
        query: Any,
        start_time: datetime,
        end_time: datetime,
        scan_by: str | None,
    ) -> dict[str, list[Any]]:
        """LocalStack's signature (used by GetMetricStatistics), periods counted from ``start_time``."""
        metric_stat = query["MetricStat"]
        start = self._convert_timestamp_to_unix(start_time)
        end = self._convert_timestamp_to_unix(end_time)
        points = self.series(account_id, region, metric_stat, start, end, int(metric_stat["Period"]))
        pairs = sorted(points.items(), reverse=scan_by in (None, "TimestampDescending"))
        return {"timestamps": [int(ts) for ts, _ in pairs], "values": [value for _, value in pairs]}


def bucketed(rows: Iterable[Row], bucket_of: Callable[[float], float]) -> dict[float, Bucket]:
    """The rows grouped per period start."""
    buckets: dict[float, Bucket] = {}
    for timestamp, total, count, minimum, maximum, single in rows:
        bucket = buckets.setdefault(bucket_of(timestamp), Bucket())
        if single:
            bucket.add_value(float(total))
        else:
            bucket.add_statistic_set(float(count), float(total), float(minimum), float(maximum))
    return buckets
