"""How much the harness's memory grew over a load run: a pure evaluator of resident-set samples.

A soak is run to find what only time shows, a leak first. While a load runs, the harness samples the
resident set size (RSS) of its own processes (``chainprobe.drive.load.rss_sampler``: the harness
with its verifier, and the Locust processes it started); this module judges the samples:

- *baseline*: the median of the samples of the run's first quarter (by time), *end*: the median of
  its last quarter; *growth* = end - baseline. Medians, so one allocation spike (a garbage
  collection not yet run, a burst of answers) does not make or hide a trend; quarters, so the
  start-up (imports, the first users spawning) is in the baseline and not counted as growth;
- *slope*: the least-squares slope over all samples, in MB per minute, for the report;
- *exceeded*: the growth is above the bound (``max_growth_mb``) the shape states, if it states one.

Fewer than ``MIN_SAMPLES`` samples, or samples spanning no time, measure nothing (``None``).

Example::

    >>> samples = [RssSample(t=t, rss_mb=100 + t) for t in range(0, 8)]  # 1 MB a second
    >>> growth = memory_growth(samples, max_growth_mb=5.0)
    >>> growth.baseline_mb, growth.end_mb, growth.growth_mb, growth.slope_mb_per_min, growth.exceeded
    (100.5, 106.5, 6.0, 60.0, True)
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MIN_SAMPLES", "MemoryGrowth", "RssSample", "memory_growth"]

MIN_SAMPLES = 4


@dataclass(frozen=True)
class RssSample:
    """The harness's resident set, ``rss_mb`` megabytes (2**20 bytes), ``t`` seconds into the run."""

    t: float
    rss_mb: float


@dataclass(frozen=True, kw_only=True)
class MemoryGrowth:
    """The judged samples; see the module docstring."""

    samples: int
    span_s: float
    baseline_mb: float
    end_mb: float
    peak_mb: float
    slope_mb_per_min: float
    max_growth_mb: float | None = None

    @property
    def growth_mb(self) -> float:
        return round(self.end_mb - self.baseline_mb, 3)

    @property
    def exceeded(self) -> bool:
        """Whether the growth is above the stated bound (never, without one)."""
        return self.max_growth_mb is not None and self.growth_mb > self.max_growth_mb

    def line(self) -> str:
        """One line for the terminal summary."""
        bound = "" if self.max_growth_mb is None else f" (bound {self.max_growth_mb:g} MB)"
        verdict = " EXCEEDED" if self.exceeded else ""
        return (
            f"harness RSS {self.baseline_mb:.1f} -> {self.end_mb:.1f} MB: growth {self.growth_mb:+.1f} MB"
            f"{bound}{verdict}, {self.slope_mb_per_min:+.2f} MB/min, peak {self.peak_mb:.1f} MB, "
            f"{self.samples} samples over {self.span_s:.0f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "span_s": round(self.span_s, 3),
            "baseline_mb": self.baseline_mb,
            "end_mb": self.end_mb,
            "peak_mb": self.peak_mb,
            "growth_mb": self.growth_mb,
            "slope_mb_per_min": self.slope_mb_per_min,
            "max_growth_mb": self.max_growth_mb,
            "exceeded": self.exceeded,
        }


def memory_growth(samples: Sequence[RssSample], *, max_growth_mb: float | None = None) -> MemoryGrowth | None:
    """The growth the samples show (``None`` when they cannot show one); see the module docstring."""
    if len(samples) < MIN_SAMPLES:
        return None
    ordered = sorted(samples, key=lambda sample: sample.t)
    first, last = ordered[0].t, ordered[-1].t
    span = last - first
    if span <= 0:
        return None
    early = [s.rss_mb for s in ordered if s.t <= first + span / 4]
    late = [s.rss_mb for s in ordered if s.t >= last - span / 4]
    return MemoryGrowth(
        samples=len(ordered),
        span_s=span,
        baseline_mb=round(statistics.median(early), 3),
        end_mb=round(statistics.median(late), 3),
        peak_mb=round(max(s.rss_mb for s in ordered), 3),
        slope_mb_per_min=round(_slope(ordered) * 60, 3),
        max_growth_mb=max_growth_mb,
    )


def _slope(samples: Sequence[RssSample]) -> float:
    """The least-squares slope of RSS over time, MB per second."""
    mean_t = statistics.fmean(s.t for s in samples)
    mean_rss = statistics.fmean(s.rss_mb for s in samples)
    spread = sum((s.t - mean_t) ** 2 for s in samples)
    return sum((s.t - mean_t) * (s.rss_mb - mean_rss) for s in samples) / spread
