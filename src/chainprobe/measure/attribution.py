"""Whose requests and failures the metric math counted, segment by segment: the run's, other traffic's,
or (in a segment shared with traffic that could have failed the same way) undetermined.

For each segment (``chainprobe.measure.run_traffic``) and each failure query of the expression:

1. The run's orders of classes that always move the counter are the run's failures, one each
   (``own``); other runs' orders of such classes likewise belong to them (``other``).
2. What the counter holds beyond that can come from classes that *may* move it. In a segment where
   nothing but the run could have failed (no other request counted there), it is the run's: up to
   one per order of such classes, and past that ``unexplained`` (the run's, no class explains it).
3. In a segment shared with other traffic, a failure is the run's only when the others cannot
   account for it, and the others' only when the run cannot: what either side could have produced
   is ``undetermined``, credited to neither (never guessed for the run, nor against it).
4. A segment without any request of the run holds only other traffic's failures (or, with no
   request counted there at all, undetermined ones: a counter that moves late, after its request).

``complete``: every segment counted at least the run's answered requests plus other runs' known
ones, and each failure counter at least the failures the known orders always make. Because every
figure is per segment, a previous run's requests in the first period can no longer stand in for
the run's own late ones.

Example: a segment with the run's 10 requests (2 ``http_5xx``) and another run's 5 (1 ``http_5xx``),
5XXError counting 3: own 2, other 1, complete. Lambda Errors counting 1 there: undetermined (either
run's 5xx may have raised).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chainprobe.ledger.model import FailureClass
from chainprobe.measure.metricmath import Series
from chainprobe.measure.run_traffic import Segment

__all__ = ["Attribution", "EffectOf", "FailureShare", "SegmentShare", "attribute"]

type EffectOf = Callable[[FailureClass], tuple[tuple[Any, ...], tuple[Any, ...]]]
"""A class's metrics: those each order always moves, and those it may move (``MetricRef``s)."""


@dataclass(frozen=True, kw_only=True)
class FailureShare:
    """One failure counter in one segment: what it counted and whose it is."""

    counted: int
    own: int = 0
    other: int = 0
    undetermined: int = 0
    unexplained: int = 0
    expected: int = 0  # at least this many: the known orders' classes that always move it


@dataclass(frozen=True, kw_only=True)
class SegmentShare:
    """A segment, the requests counted there and each failure counter's shares."""

    segment: Segment
    requests: int
    failures: Mapping[str, FailureShare] = field(default_factory=dict)

    @property
    def other_requests(self) -> int:
        """Counted requests that are not the run's answered ones (the run's unanswered ones included,
        when the gateway counted them: ``segment.own_maybe``); 0 while the run's are not all in."""
        return max(0, self.requests - self.segment.own)

    @property
    def other_failures(self) -> int:
        return sum(share.other for share in self.failures.values())

    @property
    def undetermined_failures(self) -> int:
        return sum(share.undetermined for share in self.failures.values())

    def missing(self) -> str | None:
        """What this segment still lacks, in words (``None``: the known requests are all counted)."""
        seg = self.segment
        when = f"in {seg.start:%H:%M:%S}-{seg.end:%H:%M:%S}"
        if self.requests < seg.own + seg.other:
            others = f" and {seg.other} of other runs" if seg.other else ""
            return f"{when}: {self.requests} requests counted for the run's {seg.own}{others}"
        for query_id, share in self.failures.items():
            if share.counted < share.expected:
                return f"{when}: {query_id} counted {share.counted} of at least {share.expected}"
        return None


@dataclass(frozen=True, kw_only=True)
class Attribution:
    """The window's segments, and per class and failure query the run's failures credited to it."""

    segments: tuple[SegmentShare, ...]
    credited: Mapping[FailureClass, Mapping[str, int]]

    @property
    def shortfall(self) -> str | None:
        """The first segment's missing counts, in words; ``None`` once the run's are all in."""
        return next((found for share in self.segments if (found := share.missing())), None)

    @property
    def own_requests(self) -> int:
        return sum(share.segment.own for share in self.segments)

    @property
    def other_requests(self) -> int:
        return sum(share.other_requests for share in self.segments)

    @property
    def other_failures(self) -> int:
        return sum(share.other_failures for share in self.segments)

    @property
    def undetermined_failures(self) -> int:
        return sum(share.undetermined_failures for share in self.segments)

    @property
    def unexplained_failures(self) -> int:
        return sum(f.unexplained for share in self.segments for f in share.failures.values())

    def own_failures(self, query_id: str) -> int:
        """The run's failures on one counter: credited to classes, plus its unexplained ones."""
        found = [share.failures[query_id] for share in self.segments if query_id in share.failures]
        return sum(item.own + item.unexplained for item in found)

    def undetermined_on(self, query_id: str) -> int:
        """One counter's failures whose owner the counts cannot tell (the run's or other traffic's)."""
        return sum(
            share.failures[query_id].undetermined for share in self.segments if query_id in share.failures
        )


def attribute(
    segments: Sequence[Segment],
    series: Mapping[str, Series],
    *,
    requests: Sequence[str],
    failures: Mapping[str, Any],
    effect_of: EffectOf,
    period: int,
) -> Attribution:
    """``series`` (by query id) shared out over ``segments``; ``requests`` are the request counters'
    ids, ``failures`` maps each failure counter's id to its ``MetricRef``."""
    credited: dict[FailureClass, dict[str, int]] = {}
    shares = []
    for segment in segments:
        counted_requests = _counted(series, requests, segment, period)
        known = segment.own + segment.own_maybe + segment.other
        unknown = segment.other_maybe > 0 or counted_requests > known
        by_query = {}
        for query_id, metric in failures.items():
            counted = _counted(series, (query_id,), segment, period)
            share, credit = _share(segment, metric, counted, unknown, counted_requests, effect_of)
            by_query[query_id] = share
            for failure, n in credit.items():
                credited.setdefault(failure, {})
                credited[failure][query_id] = credited[failure].get(query_id, 0) + n
        shares.append(SegmentShare(segment=segment, requests=counted_requests, failures=by_query))
    return Attribution(segments=tuple(shares), credited=credited)


def _share(
    segment: Segment, metric: Any, counted: int, unknown: bool, requests: int, effect_of: EffectOf
) -> tuple[FailureShare, dict[FailureClass, int]]:
    always_own = _moving(segment.own_classes, metric, effect_of, always=True)
    may_own = _moving(segment.own_classes, metric, effect_of, always=False)
    always_other = sum(_moving(segment.other_classes, metric, effect_of, always=True).values())
    may_other = sum(_moving(segment.other_classes, metric, effect_of, always=False).values())
    own_known = min(sum(always_own.values()), counted)
    other_known = min(always_other, counted - own_known)
    rest = counted - own_known - other_known
    may = sum(may_own.values())
    expected = sum(always_own.values()) + always_other
    if segment.own + segment.own_maybe == 0:  # none of the run's requests: nothing here is the run's
        other, undetermined = (rest, 0) if requests or unknown or may_other else (0, rest)
        share = FailureShare(
            counted=counted, other=other_known + other, undetermined=undetermined, expected=expected
        )
        return share, {}
    other_cap = rest if unknown else may_other  # traffic nobody knows could have made all of it
    if other_cap == 0:  # only the run could have failed here
        own_may, other_may, undetermined = min(rest, may), 0, 0
        unexplained = rest - own_may
    else:
        own_may = min(max(0, rest - other_cap), may)
        other_may = min(max(0, rest - may), other_cap)
        undetermined, unexplained = rest - own_may - other_may, 0
    credit = _take(always_own, own_known)
    for failure, n in _take(may_own, own_may).items():
        credit[failure] = credit.get(failure, 0) + n
    share = FailureShare(
        counted=counted,
        own=own_known + own_may,
        other=other_known + other_may,
        undetermined=undetermined,
        unexplained=unexplained,
        expected=expected,
    )
    return share, credit


def _moving(
    classes: Mapping[FailureClass, int], metric: Any, effect_of: EffectOf, *, always: bool
) -> dict[FailureClass, int]:
    """The orders of ``classes`` that always (or may) move ``metric``, by class, in name order."""
    ordered = sorted(classes.items(), key=lambda item: item[0].value)
    return {failure: n for failure, n in ordered if metric in effect_of(failure)[0 if always else 1]}


def _take(orders: Mapping[FailureClass, int], total: int) -> dict[FailureClass, int]:
    """``total`` shared out to the classes in order, at most one per order."""
    taken = {}
    for failure, n in orders.items():
        taken[failure] = min(n, total)
        total -= taken[failure]
    return taken


def _counted(series: Mapping[str, Series], ids: Sequence[str], segment: Segment, period: int) -> int:
    values = [
        value
        for query_id in ids
        if (found := series.get(query_id)) is not None
        for ts in segment.periods(period)
        if (value := found.get(ts)) is not None
    ]
    return round(math.fsum(values))
