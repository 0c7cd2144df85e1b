"""The one internal model every export format is written from: the spec's SLOs as CloudWatch counts.

Built by ``definitions.define_slos`` (spec + burn-rate windows -> model); each format module
(``openslo``, ``sloth``, ``appsignals``) reads it and knows nothing of the probe spec.

- ``MetricQueries``: a CloudWatch ``MetricDataQuery`` list that returns exactly one series (its last
  query, ``ReturnData: true``), with the queries it reads before it (``ReturnData: false``).
- ``Sli``: ``good`` or ``bad`` over ``total``, both counts (a ratio of sums over any window, never an
  average of per-run ratios). ``meaning`` says plainly what the metrics measure.
- ``SloDefinition``: one SLO (``availability``, ``latency``, ``delivery``) with its objective and
  window; ``sli`` is ``None`` when no CloudWatch metric measures it, and ``unmeasured`` says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from chainprobe.measure.budget import BurnRateTier

__all__ = ["MetricQueries", "RatioKind", "Sli", "SloDefinition", "SloSet"]


class RatioKind(StrEnum):
    """Which count the numerator is."""

    GOOD = "good"
    BAD = "bad"


@dataclass(frozen=True, kw_only=True)
class MetricQueries:
    """``queries``: a GetMetricData query list whose last query is the one series returned."""

    queries: tuple[Mapping[str, Any], ...]

    @property
    def returned(self) -> Mapping[str, Any]:
        return self.queries[-1]

    def metric_stats(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(query for query in self.queries if "MetricStat" in query)


@dataclass(frozen=True, kw_only=True)
class Sli:
    """``numerator`` (the good or the bad count) over ``total``."""

    kind: RatioKind
    numerator: MetricQueries
    total: MetricQueries
    meaning: str


@dataclass(frozen=True, kw_only=True)
class SloDefinition:
    """One SLO: ``key`` names it in the spec, ``name`` is ``<probe>-<key>`` (RFC 1123)."""

    key: str
    name: str
    display_name: str
    objective: float
    window: timedelta
    window_text: str
    sli: Sli | None
    unmeasured: str | None = None


@dataclass(frozen=True, kw_only=True)
class SloSet:
    """The spec's SLOs in spec order, and the burn-rate tiers of its window."""

    probe: str
    description: str | None
    spec_source: str
    windows_source: str
    slos: tuple[SloDefinition, ...]
    tiers: tuple[BurnRateTier, ...]

    def lookback_windows(self) -> tuple[timedelta, ...]:
        """Every distinct window the tiers use, shortest first."""
        return tuple(sorted({w for tier in self.tiers for w in (tier.long_window, tier.short_window)}))
