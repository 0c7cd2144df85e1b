"""Reading AWS service metrics back from the local CloudWatch over a time window a test controls.

The session's stack is shared by every integration test, so a test never reads totals: it opens a
:class:`MetricWindow` (which starts on a whole second, after waiting for the previous second to
end), sends its traffic, then sums 1-second periods from the window's start to now. Metrics are
flushed by the plugins every few seconds, so reads poll until a value is reached, never sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

FLUSH_TIMEOUT = 45.0


def metric_stat(
    namespace: str, name: str, stat: str = "Sum", period: int = 1, **dimensions: str
) -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": namespace,
            "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        },
        "Period": period,
        "Stat": stat,
    }


class MetricWindow:
    """A window from ``start`` to now, for one CloudWatch client."""

    def __init__(self, cloudwatch: Any, start: datetime) -> None:
        self.cloudwatch = cloudwatch
        self.start = start

    @classmethod
    def from_next_second(cls, cloudwatch: Any) -> MetricWindow:
        """A window that starts on the next whole second (nothing sent before it counts)."""
        now = time.time()
        time.sleep(math.ceil(now) - now + 0.01)
        return cls(cloudwatch, datetime.fromtimestamp(math.floor(time.time()), UTC))

    def end(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=2)

    def values(self, namespace: str, name: str, stat: str = "Sum", **dimensions: str) -> list[float]:
        """The statistic per second of the window (seconds without datapoints left out)."""
        query = {"Id": "m", "MetricStat": metric_stat(namespace, name, stat, **dimensions)}
        answer = self.cloudwatch.get_metric_data(
            MetricDataQueries=[query], StartTime=self.start, EndTime=self.end(), ScanBy="TimestampAscending"
        )
        (result,) = answer["MetricDataResults"]
        return [float(v) for v in result["Values"]]

    def total(self, namespace: str, name: str, stat: str = "Sum", **dimensions: str) -> float:
        return sum(self.values(namespace, name, stat, **dimensions))

    def wait_total(
        self, expected: float, namespace: str, name: str, stat: str = "Sum", **dimensions: str
    ) -> float:
        """The window's total once it has reached ``expected`` (or the last one read at the deadline)."""
        return wait_for_value(
            lambda: self.total(namespace, name, stat, **dimensions), lambda v: v >= expected
        )


def wait_for_value(
    read: Callable[[], float], done: Callable[[float], bool], timeout: float = FLUSH_TIMEOUT
) -> float:
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.5)
        value = read()
    return value


def stack_outputs(running: Any, stack_name: str) -> Mapping[str, str]:
    stack = running.clients.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
