"""Which requests of the metric-math window the ledger knows, period by period: the run's own, and
other runs' recorded in the same ledger.

A gateway counts a request at the moment it arrives, which lies between the order's ``sent_at``
and its answer (``api_at``). An order whose two moments fall in one period is counted in that
period, exactly; one whose moments straddle a boundary may be counted in either, so the two
periods are joined into one **segment** and read together. Every figure below is then exact per
segment: the run's requests the API answered (the gateway counted them: ``own``), the run's
requests with no answer (a timeout or a connection error: counted or not, ``own_maybe``), and the
same for other runs (``other``, ``other_maybe``), with the failure classes of each side's orders.

Example::

    >>> from datetime import UTC, datetime
    >>> from chainprobe.ledger.model import OrderRecord, Verdict
    >>> start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    >>> t0 = start.timestamp()
    >>> mine = [OrderRecord(run_id="r", seq=0, order_id="o-0", planned_at=t0 + 59.9, sent_at=t0 + 59.9,
    ...                     api_at=t0 + 60.1, api_status=201, chain_verdict=Verdict.GOOD)]
    >>> found = segments_of(start, 3, 60, ledger_requests(mine, own=True))
    >>> [(s.start.minute, s.end.minute, s.own) for s in found]
    [(0, 2, 1), (2, 3, 0)]

Limitations: the client's clock is taken for the gateway's (on AWS they differ by the clock skew,
usually well under a second: an order sent that close to a boundary can be put in the wrong
period); traffic chainprobe did not send is known only from the counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict

__all__ = ["LedgerRequest", "Segment", "ledger_requests", "segments_of"]


@dataclass(frozen=True, kw_only=True)
class LedgerRequest:
    """One order's request as the ledger knows it: when it may have reached the gateway
    (``first``..``last``, epoch seconds), whether the API answered it (so the gateway counted it),
    its failure class when judged bad, and whether it is the run's own."""

    first: float
    last: float
    answered: bool
    failure: FailureClass | None
    own: bool


@dataclass(frozen=True, kw_only=True)
class Segment:
    """Whole periods ``[start, end)`` read together, with the requests the ledger knows there.

    ``own_classes`` counts the run's bad orders here by class; ``other_classes`` those of other
    runs' requests counted here for sure (``other``): a ``maybe`` one's failures may lie elsewhere.
    """

    start: datetime
    end: datetime
    own: int = 0
    own_maybe: int = 0
    other: int = 0
    other_maybe: int = 0
    own_classes: Mapping[FailureClass, int] = field(default_factory=dict)
    other_classes: Mapping[FailureClass, int] = field(default_factory=dict)

    def periods(self, period: int) -> tuple[datetime, ...]:
        """The period starts of the segment."""
        count = round((self.end - self.start).total_seconds()) // period
        return tuple(self.start + timedelta(seconds=i * period) for i in range(count))


def ledger_requests(orders: Iterable[OrderRecord], *, own: bool) -> list[LedgerRequest]:
    """The requests of ``orders`` that left (never-sent orders have none)."""
    requests = []
    for order in orders:
        if order.sent_at is None:
            continue
        last = max(order.sent_at, order.api_at) if order.api_at is not None else order.sent_at
        requests.append(
            LedgerRequest(
                first=order.sent_at,
                last=last,
                answered=order.api_status is not None,
                failure=order.chain_failure if order.chain_verdict is Verdict.BAD else None,
                own=own,
            )
        )
    return requests


def segments_of(
    start: datetime, periods: int, period: int, requests: Sequence[LedgerRequest]
) -> tuple[Segment, ...]:
    """The window of ``periods`` periods of ``period`` s from ``start``, cut into segments: a period
    on its own unless a request may have been counted in it or the next. A request partly outside
    the window counts as ``maybe`` in the segment it reaches into; one wholly outside is left out."""
    origin = start.timestamp()
    joined = [False] * periods
    placed: list[tuple[int, LedgerRequest, bool]] = []
    for request in requests:
        first = math.floor((request.first - origin) / period)
        last = math.floor((request.last - origin) / period)
        if last < 0 or first >= periods:
            continue
        inside = first >= 0 and last < periods
        first, last = max(first, 0), min(last, periods - 1)
        for index in range(first, last):
            joined[index] = True
        placed.append((first, request, inside))
    groups: list[tuple[int, int]] = []
    index = 0
    while index < periods:
        end = index
        while joined[end]:
            end += 1
        groups.append((index, end + 1))
        index = end + 1
    return tuple(_segment(start, period, group, placed) for group in groups)


def _segment(
    start: datetime, period: int, group: tuple[int, int], placed: Sequence[tuple[int, LedgerRequest, bool]]
) -> Segment:
    first, end = group
    mine = [(r, inside) for at, r, inside in placed if first <= at < end and r.own]
    theirs = [(r, inside) for at, r, inside in placed if first <= at < end and not r.own]
    return Segment(
        start=_plus(start, first * period),
        end=_plus(start, end * period),
        own=sum(1 for r, inside in mine if r.answered and inside),
        own_maybe=sum(1 for r, inside in mine if not (r.answered and inside)),
        other=sum(1 for r, inside in theirs if r.answered and inside),
        other_maybe=sum(1 for r, inside in theirs if not (r.answered and inside)),
        own_classes=_classes(r for r, _ in mine),
        other_classes=_classes(r for r, inside in theirs if r.answered and inside),
    )


def _classes(requests: Iterable[LedgerRequest]) -> dict[FailureClass, int]:
    return dict(Counter(r.failure for r in requests if r.failure is not None))


def _plus(start: datetime, seconds: int) -> datetime:
    return datetime.fromtimestamp(start.timestamp() + seconds, UTC)
