"""Reading AWS service metrics back from the local CloudWatch over a time window a test controls.

The session's stack is shared by every integration test, so a test never reads totals: it opens a
:class:`MetricWindow` (which starts on a whole second, after waiting for the previous second to
end), sends its traffic, then sums 1-second periods from the window's start to now, or to the
whole second it closed the window at (:meth:`MetricWindow.close`). Metrics are flushed by the
plugins every few seconds, so reads poll until a value is reached, never sleep.
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


def sleep_until(boundary: float) -> None:
    """Sleeps until just past ``boundary`` (epoch seconds)."""
    time.sleep(max(0.0, boundary - time.time()) + 0.01)


class MetricWindow:
    """A window from ``start`` to now (or to ``stop``, exclusive), for one CloudWatch client."""

    def __init__(self, cloudwatch: Any, start: datetime, stop: datetime | None = None) -> None:
        self.cloudwatch = cloudwatch
        self.start = start
        self.stop = stop

    @classmethod
    def from_next_second(cls, cloudwatch: Any) -> MetricWindow:
        """A window that starts on the next whole second (nothing sent before it counts)."""
        return cls.from_next_boundary(cloudwatch, 1)

    @classmethod
    def from_next_boundary(cls, cloudwatch: Any, every: int) -> MetricWindow:
        """A window that starts on the next multiple of ``every`` seconds (a period start)."""
        boundary = math.ceil(time.time() / every) * every
        sleep_until(boundary)
        return cls(cloudwatch, datetime.fromtimestamp(boundary, UTC))

    def close(self, after: float = 0.0, *, every: int = 1) -> MetricWindow:
        """This window, ending on the first multiple of ``every`` seconds ``after`` seconds from now.

        Waits for that moment, so that whatever is sent next falls outside the window.
        """
        stop = math.ceil((time.time() + after) / every) * every
        sleep_until(stop)
        return MetricWindow(self.cloudwatch, self.start, datetime.fromtimestamp(stop, UTC))

    @property
    def seconds(self) -> float:
        return ((self.stop or datetime.now(UTC)) - self.start).total_seconds()

    def end(self) -> datetime:
        return self.stop or datetime.now(UTC) + timedelta(seconds=2)

    def series(
        self, namespace: str, name: str, stat: str = "Sum", **dimensions: str
    ) -> dict[datetime, float]:
        """The statistic per second of the window, by second (seconds without datapoints left out)."""
        query = {"Id": "m", "MetricStat": metric_stat(namespace, name, stat, **dimensions)}
        answer = self.cloudwatch.get_metric_data(
            MetricDataQueries=[query], StartTime=self.start, EndTime=self.end(), ScanBy="TimestampAscending"
        )
        (result,) = answer["MetricDataResults"]
        return {ts: float(v) for ts, v in zip(result["Timestamps"], result["Values"], strict=True)}

    def values(self, namespace: str, name: str, stat: str = "Sum", **dimensions: str) -> list[float]:
        """The statistic per second of the window (seconds without datapoints left out)."""
        return list(self.series(namespace, name, stat, **dimensions).values())

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
