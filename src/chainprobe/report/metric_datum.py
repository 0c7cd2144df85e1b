"""The entries of a PutMetricData call: one value (``MetricDatum``) or a sample of values (``MetricValues``).

A ``MetricValues`` carries raw values with their counts (PutMetricData's ``Values`` and ``Counts``,
at most ``MAX_VALUES`` distinct values per entry), so CloudWatch keeps every sample and a percentile
asked over any period (one run, a day, a month of runs) is the percentile of all the values in it.
A ``StatisticValues`` set would lose them: CloudWatch computes no percentile from sets of more
than one value. Example::

    >>> MetricValues.of("StageLag", [12.0, 9.0, 12.0], "Milliseconds")[0].to_aws(None)["Counts"]
    [1.0, 2.0]

Values are rounded to ``DECIMALS`` (the report's own precision for milliseconds) before equal ones
are counted together, and sorted, so the entries of one sample are the same on every call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["COUNT", "DECIMALS", "MAX_VALUES", "MILLISECONDS", "NO_UNIT", "MetricDatum", "MetricValues"]

COUNT = "Count"
MILLISECONDS = "Milliseconds"
NO_UNIT = "None"
MAX_VALUES = 150  # distinct values per MetricDatum: CloudWatch's limit on Values (and Counts)
DECIMALS = 3


@dataclass(frozen=True)
class MetricDatum:
    """One value to publish: metric name, value, CloudWatch unit and dimensions (name, value)."""

    name: str
    value: float
    unit: str
    dimensions: tuple[tuple[str, str], ...] = ()

    def to_aws(self, timestamp: datetime | None) -> dict[str, Any]:
        """The ``MetricData`` entry of PutMetricData (no ``Timestamp`` when it is ``None``)."""
        return _entry(self.name, self.unit, self.dimensions, timestamp) | {"Value": float(self.value)}


@dataclass(frozen=True)
class MetricValues:
    """Distinct values and how often each occurred, under one metric name, unit and dimensions."""

    name: str
    values: tuple[float, ...]
    counts: tuple[int, ...]
    unit: str
    dimensions: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls, name: str, sample: Iterable[float], unit: str, dimensions: tuple[tuple[str, str], ...] = ()
    ) -> list[MetricValues]:
        """``sample`` as entries of at most ``MAX_VALUES`` distinct values each (none when it is empty)."""
        counted = sorted(Counter(round(value, DECIMALS) for value in sample).items())
        return [
            cls(name, tuple(v for v, _ in chunk), tuple(c for _, c in chunk), unit, dimensions)
            for chunk in (counted[i : i + MAX_VALUES] for i in range(0, len(counted), MAX_VALUES))
        ]

    @property
    def sample_count(self) -> int:
        """How many values the entry stands for."""
        return sum(self.counts)

    def to_aws(self, timestamp: datetime | None) -> dict[str, Any]:
        """The ``MetricData`` entry of PutMetricData, with ``Values`` and ``Counts``."""
        return _entry(self.name, self.unit, self.dimensions, timestamp) | {
            "Values": [float(value) for value in self.values],
            "Counts": [float(count) for count in self.counts],
        }


def _entry(
    name: str, unit: str, dimensions: tuple[tuple[str, str], ...], timestamp: datetime | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "MetricName": name,
        "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions],
    }
    if timestamp is not None:
        entry["Timestamp"] = timestamp
    return entry | {"Unit": unit}
