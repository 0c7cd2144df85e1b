"""What the courier saw of a run, from its request journal: rate against its limit, retries, refusals.

The source material's courier allows 10 requests a second with a burst of 10; a delivery queue with
flow control keeps under that, one without exceeds it. This module measures it on the courier's side
(one :class:`~chainprobe.verify.courier.CourierCall` per call the courier received, admitted or
refused): the most calls that arrived within any one second, the most calls in flight at once, the
calls refused with 429, and the retries (calls for an order beyond its first).

Example::

    >>> from chainprobe.verify.courier import CourierCall
    >>> load = courier_load([CourierCall("o-1", 500, 0.0), CourierCall("o-1", 201, 4.0, 800.0)])
    >>> (load.calls, load.retries, load.peak_per_second, load.refused)
    (2, 1, 1, 0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from chainprobe.verify.courier import CourierCall

TOO_MANY_REQUESTS = 429
INSTANT_S = 1e-6


@dataclass(frozen=True)
class CourierLoad:
    """The courier's side of a run."""

    calls: int
    refused: int  # answered 429
    failed: int  # answered 5xx
    retries: int  # calls for an order beyond its first
    peak_per_second: int  # most calls arriving within any 1-second window
    peak_in_flight: int  # most calls being answered at one instant


def peak_in_window(times: Sequence[float], window_s: float = 1.0) -> int:
    """The most ``times`` that fall in any half-open window ``[t, t + window_s)``."""
    ordered = sorted(times)
    peak = start = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window_s:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def peak_in_flight(calls: Sequence[CourierCall]) -> int:
    """The most calls whose ``[at, at + response)`` intervals overlap at one instant.

    A call answered at once (0 ms, the journal's resolution) is in flight for an instant.
    """
    ends = [call.at + max(call.response_ms / 1000, INSTANT_S) for call in calls]
    edges = sorted([(call.at, 1) for call in calls] + [(end, -1) for end in ends])
    running = peak = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start (+1)
        running += step
        peak = max(peak, running)
    return peak


def courier_load(calls: Sequence[CourierCall]) -> CourierLoad:
    per_order = Counter(call.order_id for call in calls)
    return CourierLoad(
        calls=len(calls),
        refused=sum(1 for call in calls if call.status == TOO_MANY_REQUESTS),
        failed=sum(1 for call in calls if call.status >= 500),
        retries=sum(count - 1 for count in per_order.values()),
        peak_per_second=peak_in_window([call.at for call in calls]),
        peak_in_flight=peak_in_flight(calls),
    )
