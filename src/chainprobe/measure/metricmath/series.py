"""The Series value type and the period grid every series is aligned to.

A :class:`Series` is what one MetricStat (or one expression) yields: datapoints keyed by the start
of their period, in time order, plus the period and a label. A :class:`PeriodGrid` is the set of
period starts GetMetricData reports for a time range; the evaluator hands the grid's ``start`` to
the fetch callback, and FILL fills exactly the grid's timestamps.

The grid follows GetMetricData's documented rounding of StartTime: down to the whole minute for
periods of 60 s and more, down to an even division of the minute for high-resolution periods
(1, 5, 10, 20, 30 s); EndTime is exclusive. Example::

    >>> from datetime import UTC, datetime
    >>> grid = PeriodGrid.for_range(datetime(2026, 1, 1, 12, 0, 34, tzinfo=UTC),
    ...                             datetime(2026, 1, 1, 12, 3, tzinfo=UTC), 60)
    >>> [ts.strftime("%H:%M") for ts in grid.timestamps()]
    ['12:00', '12:01', '12:02']

Limitations: the coarser rounding CloudWatch applies to start times older than 15 and 63 days
(5-minute and 1-hour clock intervals) is not reproduced; a series never holds NaN or infinite
values (they are dropped on construction, which is how division by zero loses its datapoint).
"""

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType


def as_utc(ts: datetime) -> datetime:
    """The same instant as an aware UTC datetime; a naive datetime is read as UTC."""
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PeriodGrid:
    """The period starts GetMetricData reports over ``[start, end)`` for one period (seconds).

    Build it with :meth:`for_range`, which rounds the start like CloudWatch; ``start`` is then the
    first period start.
    """

    start: datetime
    end: datetime
    period: int

    @classmethod
    def for_range(cls, start: datetime, end: datetime, period: int) -> "PeriodGrid":
        """The grid for a request's StartTime/EndTime, with StartTime rounded as CloudWatch does."""
        if period <= 0:
            raise ValueError(f"period must be a positive number of seconds, got {period}")
        unit = 60 if period >= 60 else period
        epoch = math.floor(as_utc(start).timestamp())
        origin = datetime.fromtimestamp(epoch - epoch % unit, UTC)
        return cls(start=origin, end=as_utc(end), period=period)

    def timestamps(self) -> tuple[datetime, ...]:
        """Every period start in the range, oldest first (empty when end <= start)."""
        step = timedelta(seconds=self.period)
        stamps: list[datetime] = []
        ts = self.start
        while ts < self.end:
            stamps.append(ts)
            ts += step
        return tuple(stamps)

    def bucket(self, ts: datetime) -> datetime | None:
        """The period start whose period holds ``ts``, or None when ``ts`` is outside the range.

        A fetch callback can aggregate raw datapoints with it so they land on this grid.
        """
        instant = as_utc(ts)
        if not self.start <= instant < self.end:
            return None
        offset = (instant - self.start).total_seconds()
        return self.start + timedelta(seconds=self.period * math.floor(offset / self.period))

    def __contains__(self, ts: object) -> bool:
        return isinstance(ts, datetime) and self.bucket(ts) == as_utc(ts)


@dataclass(frozen=True, slots=True)
class Series:
    """One time series: finite float values keyed by period start, oldest first.

    >>> from datetime import UTC, datetime
    >>> s = Series(60, {datetime(2026, 1, 1, 12, 1, tzinfo=UTC): 2.0,
    ...                 datetime(2026, 1, 1, 12, 0, tzinfo=UTC): float("nan")}, label="Count")
    >>> [ts.minute for ts in s.timestamps], s.values
    ([1], (2.0,))

    Timestamps are normalised to aware UTC and sorted; NaN and infinite values are dropped.
    """

    period: int
    points: Mapping[datetime, float] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if self.period <= 0:
            raise ValueError(f"period must be a positive number of seconds, got {self.period}")
        normalised = sorted((as_utc(ts), float(value)) for ts, value in self.points.items())
        finite = {ts: value for ts, value in normalised if math.isfinite(value)}
        object.__setattr__(self, "points", MappingProxyType(finite))

    @classmethod
    def from_pairs(cls, period: int, pairs: Iterable[tuple[datetime, float]], label: str = "") -> "Series":
        """A series from (timestamp, value) pairs, e.g. zip(Timestamps, Values) of an API answer."""
        return cls(period, dict(pairs), label)

    @property
    def timestamps(self) -> tuple[datetime, ...]:
        return tuple(self.points)

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(self.points.values())

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[tuple[datetime, float]]:
        return iter(self.points.items())

    def get(self, ts: datetime) -> float | None:
        """The value at ``ts``, or None when the series has no datapoint there."""
        return self.points.get(as_utc(ts))

    def with_label(self, label: str) -> "Series":
        return Series(self.period, self.points, label)

    def map(self, fn: Callable[[float], float]) -> "Series":
        """Apply ``fn`` to every value; results that are NaN or infinite are dropped."""
        return Series(self.period, {ts: fn(value) for ts, value in self.points.items()}, self.label)


type SeriesArray = tuple[Series, ...]
"""An array of time series (TS[] in the CloudWatch User Guide), e.g. what METRICS() returns."""

type Value = float | Series | SeriesArray
"""What an expression evaluates to: a scalar (S), a time series (TS) or an array of them (TS[])."""
