"""A metric-math window is complete only once it is closed: read after its last period ended plus the
publish lag, with the run's counts caught up (``read_window_sli``, on a fake CloudWatch and clocks).

The window of every case is 12:00-12:02 (60-second periods), the publish lag 10 s: it closes at
12:02:10. The fake's counts catch up from a given read on (``caught_up``); the wall clock starts at
``first_read`` and moves with every sleep. Hand-computed: when the read stops, how many reads it
took, how long it slept, and whether it is complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cloudwatch_fake import FakeClock, FakeCloudWatch
from test_reconcile import API_5XX, COUNT_METRIC, MARKED, RAISED, T0, canary, metrics

from chainprobe.measure.metricmath import Series
from chainprobe.measure.reconcile import reconcile_run
from chainprobe.measure.sli import compute_sli
from chainprobe.measure.window_sli import RunWindow, read_window_sli
from chainprobe.spec import load_spec

SPEC = load_spec(Path(__file__).resolve().parents[3] / "probes" / "orders.yaml").metric_math
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
WINDOW = RunWindow(start=START, end=datetime(2026, 1, 1, 12, 2, tzinfo=UTC), period=60)


def at(clock: str) -> float:
    """``'12:01:05'`` on the test's day, in epoch seconds."""
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return datetime(2026, 1, 1, hours, minutes, seconds, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Case:
    first_read: str  # the wall clock at the first read
    caught_up: int  # the read (1-based) from which the run's counts are all in (0: never)
    wait_s: float
    reads: int
    slept: float
    complete: bool
    lag_s: float = 10.0


CASES = {
    # Read once closed: the first read whose counts are in is final.
    "closed, counts in": Case("12:02:30", 1, 90, reads=1, slept=0, complete=True),
    "closed on the dot": Case("12:02:10", 1, 90, reads=1, slept=0, complete=True),
    "no lag, read at the end": Case("12:02:00", 1, 90, reads=1, slept=0, complete=True, lag_s=0),
    # The canary's own read, 1 s after its last verdict at 12:00:30: the close is 99 s away, past a
    # 90-second wait: incomplete at once (the counts reached their minimum, the minute was open).
    "open, close past the wait": Case("12:00:31", 1, 90, reads=1, slept=0, complete=False),
    # The same read with a longer wait: it sleeps to the close and reads again.
    "open, close within the wait": Case("12:00:31", 1, 120, reads=2, slept=99, complete=True),
    # Counts in at the third read (12:01:05), the close 65 s on, 85 s of the wait left.
    "counts late, then the close": Case("12:01:00", 3, 90, reads=4, slept=70, complete=True),
    "open by one second": Case("12:02:09", 1, 90, reads=2, slept=1, complete=True),
    # The counts never catch up: the wait runs out as before (reads at 0, 2.5, 5, 7.5 and 10 s).
    "counts never in": Case("12:02:30", 0, 10, reads=5, slept=10, complete=False),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_window_is_complete_only_once_closed_with_its_counts_in(case: Case) -> None:
    monotonic = FakeClock()
    wall = at(case.first_read)
    cloudwatch = FakeCloudWatch({("AWS/ApiGateway", "Count"): [(at("12:00:10"), 1.0)]})

    def shortfall(_series: Mapping[str, Series]) -> str | None:
        in_yet = case.caught_up and len(cloudwatch.calls) >= case.caught_up
        return None if in_yet else "in 12:00:00-12:01:00: 0 requests counted for the run's 1"

    reading = read_window_sli(
        SPEC,
        WINDOW,
        cloudwatch.get_metric_data,
        shortfall=shortfall,
        wait_s=case.wait_s,
        poll_s=2.5,
        sleep=monotonic.sleep,
        clock=monotonic,
        now=lambda: wall + monotonic.now,
        publish_lag_s=case.lag_s,
    )

    assert (len(cloudwatch.calls), monotonic.now, reading.complete) == (case.reads, case.slept, case.complete)


def test_an_open_window_says_when_it_closes_and_what_reads_it_then() -> None:
    monotonic = FakeClock()
    wall = at("12:00:31")
    cloudwatch = FakeCloudWatch({})
    reading = read_window_sli(
        SPEC,
        WINDOW,
        cloudwatch.get_metric_data,
        shortfall=lambda _series: None,
        sleep=monotonic.sleep,
        clock=monotonic,
        now=lambda: wall + monotonic.now,
    )
    assert not reading.complete
    assert reading.notes[-1] == (
        "incomplete: read at 12:00:31 UTC, while the window was open (its last period ends 12:02:00 UTC, "
        "and its metrics arrive up to 10 s later): other traffic may still be counted in it "
        "(chainprobe reconcile --run reads it once closed)"
    )


# -- the canary's own read, 1 s after its last verdict, while other traffic still fills its minute -----


def canary_read(wait_s: float) -> Any:
    """The raised canary of test_reconcile (six orders from 12:00:10, 0 and 3 raised: 502, Lambda Errors),
    ended 12:00:30 and read from 12:00:31; another user's four 5xx (no Lambda error) at 12:00:40, in the
    same minute, published 5 s later. Hand-computed truth once closed: 10 requests, 5XXError 6 (the run's
    2, the other's 4), Lambda Errors 2 (the run's, or by the table any 5xx's: undetermined)."""
    orders = canary(RAISED)
    points = metrics(orders, lambda_errors=MARKED)
    for i in range(4):
        points[COUNT_METRIC].append((at("12:00:40") + i / 10, 1.0))
        points[API_5XX].append((at("12:00:40") + i / 10, 1.0))
    monotonic = FakeClock()

    def wall() -> float:
        return at("12:00:31") + monotonic.now

    published = FakeCloudWatch(points, visible=lambda _call, moment: moment + 5 <= wall())
    return reconcile_run(
        spec=SPEC,
        orders=orders,
        sli=compute_sli(orders),
        ended_at=T0 + 20,
        get_metric_data=published.get_metric_data,
        wait_s=wait_s,
        sleep=monotonic.sleep,
        clock=monotonic,
        now=wall,
    )


def test_the_canarys_read_of_its_open_minute_is_incomplete_not_a_partial_figure() -> None:
    # Before: the first read at 12:00:31 found the run's 6 requests and 2 5xx and was called complete,
    # 1 - (2 + 2) / 6 = 33.33%, no other traffic; the closed minute reads 1 - (6 + 2) / 10 = 20%.
    result = canary_read(wait_s=90)  # the close (12:02:10) is 99 s away
    assert not result.reading.complete
    assert result.reconciliation.gap is None and result.reconciliation.other_traffic is None
    assert result.reconciliation.notes == (
        "no gap: the window was still open when read (its counts not final): it would compare unlike things",
    )


def test_the_canarys_read_waits_for_the_close_when_it_falls_within_the_wait() -> None:
    result = canary_read(wait_s=120)
    reading, rec = result.reading, result.reconciliation
    assert reading.complete and reading.availability == pytest.approx(1 - 8 / 10)
    assert (rec.requests, rec.own_requests, rec.other_requests) == (10, 6, 4)
    assert (rec.other_failures, rec.undetermined_failures, rec.unexplained_failures) == (4, 2, 0)
    (http_5xx,) = rec.by_class
    assert http_5xx.metric_math == 2  # its 5XXError; its Lambda Errors undetermined, never the other's
