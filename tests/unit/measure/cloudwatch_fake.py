"""A fake CloudWatch for the metric-math tests: GetMetricData over datapoints a scenario gives, evaluated
with the project's metric-math evaluator (as the local CloudWatch does), and a fake clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chainprobe.measure.metricmath import PeriodGrid, Series, evaluate

Points = dict[tuple[str, str], list[tuple[float, float]]]


@dataclass
class FakeCloudWatch:
    """``get_metric_data`` over ``points`` ((namespace, name) -> [(epoch, value)]), evaluated like CloudWatch.

    ``visible(call, at)`` says whether a datapoint recorded at ``at`` has arrived by the ``call``-th read.
    """

    points: Points
    visible: Any = lambda _call, _at: True
    calls: list[dict[str, Any]] = field(default_factory=list)

    def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        call = len(self.calls)

        def fetch(stat: Mapping[str, Any], start: datetime, end: datetime, period: int) -> Series:
            grid = PeriodGrid.for_range(start, end, period)
            key = (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"])
            sums: dict[datetime, float] = {}
            for at, value in self.points.get(key, []):
                bucket = grid.bucket(datetime.fromtimestamp(at, UTC))
                if bucket is not None and self.visible(call, at):
                    sums[bucket] = sums.get(bucket, 0.0) + value
            return Series(period, sums)

        result = evaluate(
            kwargs["MetricDataQueries"], start=kwargs["StartTime"], end=kwargs["EndTime"], fetch=fetch
        )
        return {"MetricDataResults": [item.to_dict(descending=False) for item in result.results]}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
