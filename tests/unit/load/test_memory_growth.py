"""The harness's memory growth over a run, judged from RSS samples (hand-computed tables)."""

from __future__ import annotations

import pytest

from chainprobe.drive.load.memory_growth import RssSample, memory_growth


def samples(*pairs: tuple[float, float]) -> list[RssSample]:
    return [RssSample(t=t, rss_mb=mb) for t, mb in pairs]


FLAT = samples((0, 100), (1, 100), (2, 100), (3, 100))
LINEAR = samples(*((t, 100.0 + t) for t in range(8)))  # 1 MB/s
# start-up in the first quarter (t <= 2.25): median of 50, 100, 100 is 100; a spike of 300 at t = 5
# is outside the last quarter (t >= 6.75): medians 100 and 102 -> growth 2
SPIKY = samples((0, 50), (1, 100), (2, 100), (3, 100), (5, 300), (7, 102), (8, 101), (9, 103))


@pytest.mark.parametrize(
    ("points", "bound", "baseline", "end", "growth", "slope", "peak", "exceeded"),
    [
        (FLAT, None, 100.0, 100.0, 0.0, 0.0, 100.0, False),
        (FLAT, 0.5, 100.0, 100.0, 0.0, 0.0, 100.0, False),
        (LINEAR, 6.0, 100.5, 106.5, 6.0, 60.0, 107.0, False),  # at the bound is within it
        (LINEAR, 5.9, 100.5, 106.5, 6.0, 60.0, 107.0, True),
        (LINEAR, None, 100.5, 106.5, 6.0, 60.0, 107.0, False),  # no bound: reported, never exceeded
        (list(reversed(LINEAR)), 1.0, 100.5, 106.5, 6.0, 60.0, 107.0, True),  # order of samples is time
        (SPIKY, 5.0, 100.0, 102.0, 2.0, None, 300.0, False),
    ],
)
def test_growth_is_last_quarter_median_minus_first_quarter_median(
    points: list[RssSample],
    bound: float | None,
    baseline: float,
    end: float,
    growth: float,
    slope: float | None,
    peak: float,
    exceeded: bool,
) -> None:
    result = memory_growth(points, max_growth_mb=bound)
    assert result is not None
    assert (result.baseline_mb, result.end_mb, result.growth_mb, result.peak_mb) == (
        baseline,
        end,
        growth,
        peak,
    )
    if slope is not None:
        assert result.slope_mb_per_min == slope
    assert result.exceeded is exceeded
    assert result.to_dict()["exceeded"] is exceeded
    assert ("EXCEEDED" in result.line()) is exceeded


def test_a_shrinking_harness_grows_by_a_negative_amount() -> None:
    result = memory_growth(samples((0, 200), (1, 200), (2, 150), (3, 100), (4, 100)), max_growth_mb=1)
    assert result is not None and result.growth_mb == -100.0 and not result.exceeded


@pytest.mark.parametrize(
    "points",
    [[], samples((0, 1), (1, 2), (2, 3)), samples((5, 1), (5, 2), (5, 3), (5, 4))],
    ids=["none", "three", "no-span"],
)
def test_too_few_samples_measure_nothing(points: list[RssSample]) -> None:
    assert memory_growth(points, max_growth_mb=1.0) is None


def test_the_line_states_the_figures() -> None:
    result = memory_growth(LINEAR, max_growth_mb=5.0)
    assert result is not None
    assert result.line() == (
        "harness RSS 100.5 -> 106.5 MB: growth +6.0 MB (bound 5 MB) EXCEEDED, +60.00 MB/min, "
        "peak 107.0 MB, 8 samples over 7 s"
    )
