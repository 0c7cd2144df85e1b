"""The Series value type and the period grid (GetMetricData's StartTime rounding)."""

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chainprobe.measure.metricmath import PeriodGrid, Series

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "period", "first"),
    [
        (T0 + timedelta(seconds=34), 60, T0),  # the API reference's 12:32:34 -> 12:32:00
        (T0 + timedelta(minutes=2, seconds=10), 300, T0 + timedelta(minutes=2)),  # whole minute, not 5-minute
        (T0 + timedelta(minutes=5, seconds=23), 10, T0 + timedelta(minutes=5, seconds=20)),  # 01:05:23 -> :20
        (T0 + timedelta(seconds=17), 5, T0 + timedelta(seconds=15)),
        (T0, 60, T0),
    ],
)
def test_grid_start_is_rounded_like_cloudwatch(start: datetime, period: int, first: datetime) -> None:
    assert PeriodGrid.for_range(start, start + timedelta(hours=1), period).start == first


def test_grid_end_is_exclusive() -> None:
    grid = PeriodGrid.for_range(T0, T0 + timedelta(minutes=3), 60)
    assert grid.timestamps() == (T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2))
    assert PeriodGrid.for_range(T0, T0 + timedelta(seconds=61), 60).timestamps()[-1] == T0 + timedelta(
        minutes=1
    )
    assert PeriodGrid.for_range(T0, T0, 60).timestamps() == ()


def test_grid_bucket_and_membership() -> None:
    grid = PeriodGrid.for_range(T0, T0 + timedelta(minutes=10), 300)
    assert grid.bucket(T0 + timedelta(minutes=4, seconds=59)) == T0
    assert grid.bucket(T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=5)
    assert grid.bucket(T0 + timedelta(minutes=10)) is None
    assert grid.bucket(T0 - timedelta(seconds=1)) is None
    assert T0 + timedelta(minutes=5) in grid
    assert T0 + timedelta(minutes=1) not in grid


def test_grid_rejects_non_positive_period() -> None:
    with pytest.raises(ValueError, match="positive"):
        PeriodGrid.for_range(T0, T0, 0)


def test_series_normalises_sorts_and_drops_non_finite_values() -> None:
    plus_two = timezone(timedelta(hours=2))
    series = Series(
        60,
        {
            datetime(2026, 1, 1, 12, 2): 3,  # naive: read as UTC
            datetime(2026, 1, 1, 14, 0, tzinfo=plus_two): 1.0,  # 12:00 UTC
            T0 + timedelta(minutes=1): math.nan,
            T0 + timedelta(minutes=3): math.inf,
        },
        label="x",
    )
    assert series.timestamps == (T0, T0 + timedelta(minutes=2))
    assert series.values == (1.0, 3.0)
    assert all(ts.tzinfo == UTC for ts in series.timestamps)
    assert series.get(datetime(2026, 1, 1, 12, 2)) == 3.0
    assert series.get(T0 + timedelta(minutes=1)) is None
    assert len(series) == 2
    assert list(series) == [(T0, 1.0), (T0 + timedelta(minutes=2), 3.0)]


def test_series_from_pairs_and_equality() -> None:
    pairs = [(T0 + timedelta(minutes=1), 2.0), (T0, 1.0)]
    assert Series.from_pairs(60, pairs, "a") == Series(60, {T0: 1.0, T0 + timedelta(minutes=1): 2.0}, "a")
    assert Series(60).with_label("b") == Series(60, {}, "b")


def test_series_map_drops_results_that_are_not_finite() -> None:
    series = Series(60, {T0: 0.0, T0 + timedelta(minutes=1): 2.0})
    assert series.map(lambda v: 1 / v if v else math.nan).values == (0.5,)


def test_series_rejects_non_positive_period() -> None:
    with pytest.raises(ValueError, match="positive"):
        Series(0)
