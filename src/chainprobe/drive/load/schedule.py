"""The arrival schedule of a load run, shared by the Locust processes that send it.

Arrival ``k`` of the shape is due at ``start + shape.arrival_time(k)`` and its order's sequence number
is ``k``. With ``stride`` processes sending one run, the process of index ``i`` sends the arrivals
``k = i, i + stride, i + 2·stride, …``: every arrival belongs to exactly one process, so sequence
numbers (and the order ids built from them) never collide across processes, and the processes
together follow the shape's rate exactly. The ledger's primary key ``(run_id, seq)`` would refuse a
collision all the same. A process that dies takes its share of the arrivals with it: the run sends
fewer orders than planned (the report shows planned against achieved) and loses none it recorded.

Inside a process, users claim the arrivals one at a time, in order (``ArrivalClaims``); a process
whose index is not below the stride (a worker that joined after the run started) gets none.

Example::

    >>> from chainprobe.drive.load.shapes import load_shapes
    >>> shape = load_shapes().get("arrival-ramp")
    >>> claims = ArrivalClaims(ArrivalSchedule(shape=shape, start=1000.0, index=1, stride=2))
    >>> [arrival.seq for arrival in (claims.claim(), claims.claim())]
    [1, 3]
    >>> round(ArrivalSchedule(shape=shape, start=1000.0).arrival(1).due, 3)
    1000.965
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from chainprobe.drive.load.shapes import LoadShape

__all__ = ["START_LEAD_S", "Arrival", "ArrivalClaims", "ArrivalSchedule"]

START_LEAD_S = 1.0
"""Seconds between the start of a Locust test and arrival 0: time for the first users to spawn (and,
distributed, for the run to reach every worker). The Locust shape ends this much later too."""


@dataclass(frozen=True)
class Arrival:
    """One order to send: its sequence number and when it is due (epoch seconds)."""

    seq: int
    due: float


@dataclass(frozen=True, kw_only=True)
class ArrivalSchedule:
    """Process ``index`` of ``stride``'s share of ``shape``'s arrivals, arrival 0 due at ``start``."""

    shape: LoadShape
    start: float
    index: int = 0
    stride: int = 1

    def __post_init__(self) -> None:
        if self.stride < 1 or self.index < 0:
            raise ValueError(f"expected index >= 0 and stride >= 1, got {self.index} and {self.stride}")

    @property
    def active(self) -> bool:
        """Whether this process has a share (its index is below the stride)."""
        return self.index < self.stride

    def seq(self, k: int) -> int:
        """The sequence number of this process's ``k``-th arrival."""
        return self.index + k * self.stride

    def arrival(self, seq: int) -> Arrival | None:
        """Arrival ``seq`` of the whole run (whichever process sends it); ``None`` past the last one."""
        offset = self.shape.arrival_time(seq)
        return None if offset is None else Arrival(seq=seq, due=self.start + offset)

    def share(self) -> int:
        """How many arrivals this process sends."""
        total = self.shape.planned_orders
        return len(range(self.index, total, self.stride)) if self.active else 0


@dataclass
class ArrivalClaims:
    """Hands this process's arrivals out once each, in order; safe across greenlets and threads
    (``next`` on an ``itertools.count`` is atomic)."""

    schedule: ArrivalSchedule
    _counter: itertools.count[int] = field(default_factory=itertools.count, repr=False)
    exhausted: bool = False

    def claim(self) -> Arrival | None:
        """The next unclaimed arrival of this process, or ``None`` when there are no more."""
        if self.exhausted or not self.schedule.active:
            self.exhausted = True
            return None
        arrival = self.schedule.arrival(self.schedule.seq(next(self._counter)))
        if arrival is None:
            self.exhausted = True
        return arrival
