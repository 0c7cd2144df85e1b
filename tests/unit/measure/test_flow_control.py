"""The courier scenario's figures of one run: hand-computed cases."""

from __future__ import annotations

import pytest

from chainprobe.measure.flow_control import FlowFigures, delivered_at, flow_figures
from chainprobe.verify.courier import CourierCall

SENT = {"o-1": 100.0, "o-2": 100.5, "o-3": 101.0}


def figures(
    calls: list[CourierCall], limit: float | None = 10.0, before: int = 0, after: int = 0
) -> FlowFigures:
    return flow_figures(
        calls, sent=SENT, deadline_s=30.0, limit_per_second=limit, dlq_before=before, dlq_after=after
    )


# Each row: calls -> (orders, delivered, on time, calls, peak per second, refused, retries), by hand.
CASES = [
    ([], (3, 0, 0, 0, 0, 0, 0)),
    # one call each, all 201 within 1 s: three delivered on time, peak 3, no retry
    (
        [CourierCall("o-1", 201, 100.1), CourierCall("o-2", 201, 100.6), CourierCall("o-3", 201, 101.05)],
        (3, 3, 3, 3, 3, 0, 0),
    ),
    # o-1: 429, 500, then 201 at 110 -> 2 retries; o-2: 429 twice (never delivered: no retry of a delivery)
    (
        [
            CourierCall("o-1", 429, 100.1),
            CourierCall("o-2", 429, 100.6),
            CourierCall("o-1", 500, 104.0),
            CourierCall("o-2", 429, 108.0),
            CourierCall("o-1", 201, 110.0),
        ],
        (3, 1, 1, 5, 2, 3, 2),
    ),
    # o-1 delivered at 130.0 (30 s: on time, the deadline is inclusive), o-2 at 131.0 (30.5 s: late)
    # (130.0 and 131.0 are in two half-open windows: peak 1)
    ([CourierCall("o-1", 201, 130.0), CourierCall("o-2", 201, 131.0)], (3, 2, 1, 2, 1, 0, 0)),
    # a second 201 after the first is a retry of a delivered order; a call of another run is not counted
    (
        [CourierCall("o-3", 201, 102.0), CourierCall("o-3", 201, 103.5), CourierCall("o-other", 429, 102.1)],
        (3, 1, 1, 2, 1, 0, 1),
    ),
    # a 201 answered after the client's 5 s timeout served nobody: not delivered by it
    ([CourierCall("o-1", 201, 101.0, 6000.0), CourierCall("o-1", 201, 108.0, 100.0)], (3, 1, 1, 2, 1, 0, 1)),
]


@pytest.mark.parametrize(("calls", "expected"), CASES)
def test_flow_figures_by_hand(calls: list[CourierCall], expected: tuple[int, ...]) -> None:
    got = flow_figures(
        calls,
        sent=SENT,
        deadline_s=30.0,
        limit_per_second=10.0,
        dlq_before=0,
        dlq_after=0,
        expected_status=(200, 201),
        client_timeout_ms=5000.0,
    )
    assert (
        got.orders,
        got.delivered,
        got.on_time,
        got.calls,
        got.peak_per_second,
        got.refused,
        got.retries,
    ) == (expected)


@pytest.mark.parametrize(
    ("times", "limit", "over"),
    [
        ([100.0 + n / 10 for n in range(10)], 10.0, False),  # 10 in one second: at the limit, not over it
        ([100.0 + n / 11 for n in range(11)], 10.0, True),  # 11 in one second
        ([100.0 + n / 10 for n in range(11)], 10.0, False),  # the 11th at 101.0 starts the next window
        ([100.0, 100.1], None, None),  # no limit stated: no verdict
    ],
)
def test_the_peak_is_set_against_the_limit(
    times: list[float], limit: float | None, over: bool | None
) -> None:
    calls = [CourierCall("o-1", 429, at) for at in times]
    assert figures(calls, limit=limit).over_limit is over


def test_the_dlq_depth_and_its_growth_over_the_run() -> None:
    got = figures([], before=4, after=7)
    assert (got.dlq_depth, got.dlq_added) == (7, 3)
    assert figures([], before=7, after=2).dlq_added == 0  # drained by someone else: nothing added


def test_ratios() -> None:
    calls = [CourierCall("o-1", 500, 100.2), CourierCall("o-1", 201, 105.0), CourierCall("o-2", 201, 101.0)]
    got = figures(calls)
    assert got.delivery_ratio == pytest.approx(2 / 3)
    assert got.retries_per_delivered == pytest.approx(0.5)
    none = flow_figures([], sent={}, deadline_s=30, limit_per_second=None, dlq_before=0, dlq_after=0)
    assert (none.delivery_ratio, none.retries_per_delivered) == (None, None)


def test_delivered_at_is_the_first_successful_call() -> None:
    calls = [CourierCall("o-1", 201, 5.0), CourierCall("o-1", 201, 2.0), CourierCall("o-1", 503, 1.0)]
    assert delivered_at(calls) == {"o-1": 2.0}
