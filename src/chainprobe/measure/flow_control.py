"""The courier scenario's figures for one run, flow control on or off: what the issue asks the report to show.

From the courier's request journal (every call for the run's orders, admitted or refused), the orders'
send times, the courier's stated limit and the dead-letter queue's depth:

- the delivery SLO: orders whose first successful courier call (one of the spec's expected statuses,
  answered within the client's timeout: ``CourierCall.succeeded``) came within the deadline of the
  order's send, over the orders sent (as the courier verifier judges a delivery);
- the courier's request rate against its limit: the most calls arriving within any 1 s
  (``courier_load.peak_in_window``) against the limit's ``ratePerSecond`` (``over_limit``);
- refused calls (429) and retries: calls per delivered order beyond its first (calls for orders never
  delivered are not retries of a delivery: ``courier_load.retries`` counts every order's);
- the DLQ's depth at the end of the run, and its growth over the run.

Example::

    >>> from chainprobe.verify.courier import CourierCall
    >>> calls = [CourierCall("o-1", 429, 10.0), CourierCall("o-1", 201, 39.0, 500.0)]
    >>> figures = flow_figures(calls, sent={"o-1": 9.0, "o-2": 9.5}, deadline_s=30, limit_per_second=10,
    ...                        dlq_before=0, dlq_after=1)
    >>> (figures.on_time, figures.orders, figures.refused, figures.retries, figures.dlq_added)
    (1, 2, 1, 1, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chainprobe.measure.courier_load import TOO_MANY_REQUESTS, peak_in_window
from chainprobe.verify.courier import CourierCall

__all__ = ["FlowFigures", "delivered_at", "flow_figures"]

DEFAULT_EXPECTED = (200, 201)


@dataclass(frozen=True)
class FlowFigures:
    orders: int  # sent
    delivered: int  # at all, by the end of the run
    on_time: int  # delivered within the deadline of the send
    calls: int
    peak_per_second: int
    limit_per_second: float | None  # None: the profile states no limit
    refused: int  # answered 429
    retries: int  # calls per delivered order beyond its first, summed
    dlq_depth: int
    dlq_added: int

    @property
    def delivery_ratio(self) -> float | None:
        return self.on_time / self.orders if self.orders else None

    @property
    def over_limit(self) -> bool | None:
        return None if self.limit_per_second is None else self.peak_per_second > self.limit_per_second

    @property
    def retries_per_delivered(self) -> float | None:
        return self.retries / self.delivered if self.delivered else None


def delivered_at(
    calls: Sequence[CourierCall],
    *,
    expected_status: tuple[int, ...] = DEFAULT_EXPECTED,
    client_timeout_ms: float | None = None,
) -> dict[str, float]:
    """When each order's first successful call came (epoch seconds)."""
    done: dict[str, float] = {}
    for call in sorted(calls, key=lambda c: c.at):
        if call.order_id not in done and call.succeeded(expected_status, client_timeout_ms):
            done[call.order_id] = call.at
    return done


def flow_figures(
    calls: Sequence[CourierCall],
    *,
    sent: Mapping[str, float],
    deadline_s: float,
    limit_per_second: float | None,
    dlq_before: int,
    dlq_after: int,
    expected_status: tuple[int, ...] = DEFAULT_EXPECTED,
    client_timeout_ms: float | None = None,
) -> FlowFigures:
    """The figures of one run; ``calls`` outside ``sent``'s orders are not the run's and are left out."""
    own = [call for call in calls if call.order_id in sent]
    done = delivered_at(own, expected_status=expected_status, client_timeout_ms=client_timeout_ms)
    per_order = Counter(call.order_id for call in own)
    return FlowFigures(
        orders=len(sent),
        delivered=len(done),
        on_time=sum(1 for order, at in done.items() if at - sent[order] <= deadline_s),
        calls=len(own),
        peak_per_second=peak_in_window([call.at for call in own]),
        limit_per_second=limit_per_second,
        refused=sum(1 for call in own if call.status == TOO_MANY_REQUESTS),
        retries=sum(per_order[order] - 1 for order in done),
        dlq_depth=dlq_after,
        dlq_added=max(0, dlq_after - dlq_before),
    )
