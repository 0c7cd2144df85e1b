"""Statistics over stored datapoints: CloudWatch's five standard ones and percentiles (``pNN``).

Stored datapoints are either single values (PutMetricData ``Value`` / ``Values``+``Counts``) or
pre-aggregated sets (``StatisticValues``). :class:`Bucket` accumulates both for one period, and
:func:`statistic` reads one statistic from it::

    >>> bucket = Bucket()
    >>> for value in (10.0, 20.0, 30.0, 40.0):
    ...     bucket.add_value(value)
    >>> statistic(bucket, "Average"), statistic(bucket, "p50"), statistic(bucket, "p95")
    (25.0, 20.0, 40.0)

Percentiles use the nearest-rank method over the period's single values (the smallest value with
at least NN% of the values at or below it), so they always answer a value that was published;
CloudWatch itself answers approximations for large sample sets. A period that holds
``StatisticValues`` data has no percentile (the individual values are unknown), as on AWS.
Supported statistic names: SampleCount, Sum, Average, Minimum, Maximum and p0 to p100 with up to
ten decimals; any other (tm, wm, tc, ts, PR, IQM, ...) raises :class:`UnsupportedStatisticError`.
Standard library only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

STANDARD = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"p(\d{1,3}(?:\.\d{1,10})?)")


class UnsupportedStatisticError(ValueError):
    """A MetricStat asks for a statistic this CloudWatch does not compute."""

    def __init__(self, stat: object) -> None:
        super().__init__(
            f"Unsupported statistic {stat!r}: the local CloudWatch computes "
            f"{', '.join(STANDARD)} and percentiles p0 to p100"
        )
        self.stat = stat


def percentile_of(stat: str) -> float | None:
    """``"p95"`` -> 95.0, ``"p99.9"`` -> 99.9; None for a standard statistic."""
    if stat in STANDARD:
        return None
    match = _PERCENTILE.fullmatch(stat)
    if match is None or float(match.group(1)) > 100:
        raise UnsupportedStatisticError(stat)
    return float(match.group(1))


def check_statistic(stat: object) -> str:
    """The statistic name when supported; raises UnsupportedStatisticError otherwise."""
    if not isinstance(stat, str):
        raise UnsupportedStatisticError(stat)
    percentile_of(stat)
    return stat


@dataclass(slots=True)
class Bucket:
    """What one period holds: count, sum, min, max, and the single values (for percentiles)."""

    count: float = 0.0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    values: list[float] = field(default_factory=list)
    aggregated: bool = False

    def add_value(self, value: float) -> None:
        self.add_set(1.0, value, value, value)
        self.values.append(value)

    def add_set(self, count: float, total: float, minimum: float, maximum: float) -> None:
        self.count += count
        self.total += total
        self.minimum = min(self.minimum, minimum)
        self.maximum = max(self.maximum, maximum)

    def add_statistic_set(self, count: float, total: float, minimum: float, maximum: float) -> None:
        self.add_set(count, total, minimum, maximum)
        self.aggregated = True


def statistic(bucket: Bucket, stat: str) -> float | None:
    """The statistic of one period, or None when it has no value there."""
    if bucket.count <= 0:
        return None
    match stat:
        case "SampleCount":
            return bucket.count
        case "Sum":
            return bucket.total
        case "Average":
            return bucket.total / bucket.count
        case "Minimum":
            return bucket.minimum
        case "Maximum":
            return bucket.maximum
    percentile = percentile_of(stat)
    if percentile is None or bucket.aggregated or not bucket.values:
        return None
    ordered = sorted(bucket.values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return ordered[rank - 1]
