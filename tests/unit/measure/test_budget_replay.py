"""The budget over a window and the replayed burn-rate alerts, against hand-computed cases.

The tiers are the shipped 30 d file at 99.5% (thresholds: page-fast 1h/5m 0.072, page-slow 6h/30m 0.03,
ticket 3d/6h 0.005). History: the black-box SLI, ``good / (good + bad)`` per canary run, one datapoint
per run at the minute it ended. ``E`` is the replay's end, ``B`` the minute a burst of 20 bad orders
ended (2 h before ``E``)::

    E - 10h   20 good          (a quiet run)
    B         20 bad           (the burst: every window holding it is at error rate 1.0)
    B + 15m   20 good          (the next run: windows holding both are at 0.5)
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from chainprobe.measure.budget import load_windows, parse_windows
from chainprobe.measure.budget_replay import evaluation_end, replay
from chainprobe.measure.budget_window import STAT, SliDefinition, WindowReader, merge_histories

M, H, D = 60, 3600, 86_400
E = 10 * D
B = E - 2 * H
WINDOWS = load_windows("30d")
BLACKBOX = SliDefinition(
    key="blackbox",
    title="black box",
    queries=(
        {"Id": "g", "MetricStat": STAT},
        {"Id": "b", "MetricStat": STAT},
        {"Id": "a", "Expression": "g / (g + b)"},
    ),
    availability_id="a",
    requests_ids=("g", "b"),
    missing_breaches=False,
)
BURST = {E - 10 * H: {"g": 20.0, "b": 0.0}, B: {"g": 0.0, "b": 20.0}, B + 15 * M: {"g": 20.0, "b": 0.0}}


def run(history, *, sli=BLACKBOX, windows=WINDOWS, window=timedelta(days=1), end=E):  # type: ignore[no-untyped-def]
    return replay(sli, history, objective=0.995, windows=windows, window=window, end=end)


def test_a_burst_fires_every_tier_a_minute_after_its_first_bad_minute_and_clears_by_its_short_window() -> (
    None
):
    result = run(BURST)

    fired = [
        (a.tier, a.fired_at - B, None if a.cleared_at is None else a.cleared_at - B) for a in result.alerts
    ]
    assert fired == [
        ("page-fast", 60, 60 + 5 * M),  # the burst leaves the 5 m window: nothing there, not breaching
        ("page-slow", 60, 60 + 30 * M),  # the 30 m window keeps the burst (0.5 with the next run) till then
        ("ticket", 60, None),  # its 6 h short window still holds the burst at E
    ]
    assert [a.first_bad for a in result.alerts] == [B, B, B]
    assert result.first_page is not None and result.first_page.tier == "page-fast"
    assert result.first_page.time_to_fire_s == 60
    assert result.first_bad == B


def test_the_budget_over_the_window_is_the_ratio_of_sums_against_one_minus_the_objective() -> None:
    result = run(BURST)

    # 40 good, 20 bad in the day: error rate 1/3, budget 0.5% of the day = 7.2 minutes.
    assert result.requests == 60
    assert result.error_rate == pytest.approx(1 / 3)
    assert result.consumed == pytest.approx((1 / 3) / 0.005)
    assert result.budget_minutes == pytest.approx(7.2)
    assert result.consumed_minutes == pytest.approx(480.0)
    assert result.remaining == pytest.approx(1 - (1 / 3) / 0.005)
    # Remaining over the window: untouched by the good run, then errors so far over the day's budget.
    series = [(p.at, round(p.remaining, 6)) for p in result.budget_series]
    assert series[:3] == [(E - D, 1.0), (E - 10 * H + M, 1.0), (B + M, round(1 - 0.5 * (40 / 60) / 0.005, 6))]
    assert series[-1] == (E, round(1 - (1 / 3) / 0.005, 6))


def test_burn_rates_now_read_each_tier_window_ending_at_the_end() -> None:
    now = {t.tier.name: t for t in run(BURST).tiers_now}

    assert (
        now["page-fast"].long.error_rate is None and now["page-fast"].long.burn_rate is None
    )  # no data: 1 h
    assert not now["page-fast"].firing
    assert now["page-slow"].long.burn_rate == pytest.approx(0.5 / 0.005)  # B and B+15m in the last 6 h
    assert now["page-slow"].short.error_rate is None
    assert now["ticket"].long.burn_rate == pytest.approx((1 / 3) / 0.005)
    assert now["ticket"].short.burn_rate == pytest.approx(0.5 / 0.005)
    assert now["ticket"].firing and now["ticket"].threshold == 0.005
    assert run(BURST).paging_now == ()  # a ticket is not a page


def test_one_error_among_three_requests_pages_nobody_under_the_minimum_traffic_guard() -> None:
    history = {B: {"g": 2.0, "b": 1.0}}

    guarded = run(history)
    assert guarded.alerts == ()
    assert guarded.min_requests == 10
    fast = next(t for t in guarded.tiers_now if t.tier.name == "ticket")
    assert fast.long.low_traffic and fast.long.error_rate == pytest.approx(1 / 3)

    unguarded = run(history, windows=dataclasses.replace(WINDOWS, min_requests=0))
    assert [a.tier for a in unguarded.alerts] == ["page-fast", "page-slow", "ticket"]
    # 10 requests is enough: the guard is "fewer than min_requests".
    assert [a.tier for a in run({B: {"g": 9.0, "b": 1.0}}).alerts] == ["page-fast", "page-slow", "ticket"]


def test_missing_data_is_treated_as_the_alarms_treat_it() -> None:
    quiet = run({})
    assert quiet.alerts == () and quiet.error_rate is None and quiet.consumed == 0.0

    # With the guard off (a window of no requests is under any guard: it reads 0, as the alarm's IF does).
    unguarded = dataclasses.replace(WINDOWS, min_requests=0)
    assert run({}, sli=dataclasses.replace(BLACKBOX, missing_breaches=True)).alerts == ()
    breaching = run({}, sli=dataclasses.replace(BLACKBOX, missing_breaches=True), windows=unguarded)
    assert [(a.tier, a.fired_at, a.cleared_at, a.at_start) for a in breaching.alerts] == [
        ("page-fast", E - D + M, None, True),
        ("page-slow", E - D + M, None, True),
        ("ticket", E - D + M, None, True),
    ]
    assert breaching.alerts[0].time_to_fire_s is None


def test_a_quiet_history_fires_nothing() -> None:
    history = {E - k * 15 * M: {"g": 20.0, "b": 0.0} for k in range(1, 90)}
    result = run(history)
    assert result.alerts == () and result.consumed == 0.0 and result.remaining == 1.0


def test_a_run_in_cloudwatch_and_in_the_ledger_counts_once() -> None:
    cloudwatch = {B: {"g": 20.0, "b": 0.0}}
    ledger = {B: {"g": 20.0, "b": 0.0}, B + M: {"g": 5.0, "b": 5.0}}
    assert merge_histories(cloudwatch, ledger) == {B: {"g": 20.0, "b": 0.0}, B + M: {"g": 5.0, "b": 5.0}}


def test_the_metric_math_sli_reads_its_own_expression_over_the_window_sums() -> None:
    sli = SliDefinition(
        key="sli",
        title="metric math",
        queries=(
            {"Id": "totalRequests", "MetricStat": STAT},
            {"Id": "apiFailures", "MetricStat": STAT},
            {"Id": "lambdaFailures", "MetricStat": STAT},
            {
                "Id": "availability",
                "Expression": "1 - ((FILL(apiFailures,0) + FILL(lambdaFailures,0))"
                " / MAX([totalRequests], 1))",
            },
        ),
        availability_id="availability",
        requests_ids=("totalRequests",),
        missing_breaches=False,
    )
    reader = WindowReader(
        sli, {0: {"totalRequests": 100.0, "apiFailures": 2.0}, 60: {"totalRequests": 100.0}}
    )
    assert reader.error_rate(0, 120) == pytest.approx(2 / 200)  # lambdaFailures never published: FILL 0
    assert reader.requests(0, 120) == 200


def test_the_end_is_the_end_of_the_minute_holding_at() -> None:
    assert (evaluation_end(125.0), evaluation_end(120.0), evaluation_end(179.9)) == (180, 180, 180)
    with pytest.raises(ValueError, match="minute boundary"):
        run(BURST, end=E + 1)


def test_min_requests_comes_from_the_windows_file() -> None:
    text = (
        "kind: BurnRateWindows\nversion: 1\nslo_period: 30d\nmin_requests: 25\ntiers:\n"
        "  - {name: page-fast, severity: page, budget_percent: 2, long_window: 1h, short_window: 5m}\n"
    )
    windows = parse_windows(text, source="w.yaml")
    assert windows.min_requests == 25 and WINDOWS.min_requests == 10
    # A 20-order burst is below 25: no page.
    assert run({B: {"g": 0.0, "b": 20.0}}, windows=windows).alerts == ()
