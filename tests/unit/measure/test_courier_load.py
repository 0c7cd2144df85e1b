"""The courier's side of a run from its journal: hand-computed cases."""

from __future__ import annotations

import pytest

from chainprobe.measure.courier_load import courier_load, peak_in_flight, peak_in_window
from chainprobe.verify.courier import CourierCall


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([], 0),
        ([5.0], 1),
        ([0.0, 0.5, 0.99], 3),
        ([0.0, 0.5, 1.0], 2),  # the window is half-open: 1.0 is the next second's
        ([0.0, 0.1, 0.2, 2.0, 2.1, 2.2, 2.3], 4),
        ([3.0, 0.0, 2.5, 0.4, 2.9], 3),  # order does not matter
    ],
)
def test_the_peak_per_second_is_the_fullest_one_second_window(times: list[float], expected: int) -> None:
    assert peak_in_window(times) == expected


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([], 0),
        ([(0.0, 1000.0), (1.0, 1000.0)], 1),  # one ends as the next starts: serial
        ([(0.0, 1000.0), (0.5, 1000.0)], 2),
        ([(0.0, 2000.0), (0.5, 100.0), (0.7, 100.0), (1.0, 500.0)], 2),
        ([(0.0, 3000.0), (0.5, 2000.0), (1.0, 1500.0), (4.0, 10.0)], 3),
        ([(0.0, 0.0), (0.0, 0.0), (0.0, 500.0)], 3),  # answered at once, but at the same instant
    ],
)
def test_the_peak_in_flight_counts_overlapping_calls(spans: list[tuple[float, float]], expected: int) -> None:
    calls = [CourierCall(f"o-{n}", 201, at, ms) for n, (at, ms) in enumerate(spans)]
    assert peak_in_flight(calls) == expected


def test_refusals_failures_and_retries_are_counted_per_call_and_per_order() -> None:
    calls = [
        CourierCall("o-1", 429, 0.0),
        CourierCall("o-1", 500, 4.0),
        CourierCall("o-1", 201, 9.0, 1500.0),
        CourierCall("o-2", 201, 0.1, 300.0),
        CourierCall("o-3", 503, 0.2),
        CourierCall("o-3", 429, 0.3),
    ]
    load = courier_load(calls)
    assert (load.calls, load.refused, load.failed, load.retries) == (6, 2, 2, 3)
    assert (load.peak_per_second, load.peak_in_flight) == (4, 2)  # o-3 at 0.2 s while o-2 is answered
