"""Error budget, burn rates and the multi-window multi-burn-rate tiers kept as data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from chainprobe.measure.budget import (
    InvalidObjectiveError,
    InvalidWindowsError,
    MissingWindowError,
    Severity,
    UnknownWindowsError,
    budget_consumed,
    budget_minutes,
    budget_remaining,
    burn_rate,
    firing_tiers,
    load_windows,
    parse_windows,
    run_burn,
)

H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)
VALID = """
kind: BurnRateWindows
version: 1
slo_period: 30d
tiers:
  - {name: page-fast, severity: page, budget_percent: 2, long_window: 1h, short_window: 5m}
"""


def test_shipped_30d_tiers_match_the_design() -> None:
    windows = load_windows("30d")
    assert windows.slo_period == 30 * D
    rows = [
        (t.name, t.severity, t.burn_rate, t.long_window, t.short_window, t.budget_percent)
        for t in windows.tiers
    ]
    assert rows == [
        ("page-fast", Severity.PAGE, 14.4, H, 5 * M, 2),
        ("page-slow", Severity.PAGE, 6.0, 6 * H, 30 * M, 5),
        ("ticket", Severity.TICKET, 1.0, 3 * D, 6 * H, 10),
    ]
    assert windows.windows() == (5 * M, 30 * M, H, 6 * H, 3 * D)
    assert load_windows(30 * D) == windows


def test_budget_arithmetic_by_hand() -> None:
    assert budget_minutes(0.995, 30 * D) == 216.0  # 0.5% of 43,200 minutes
    assert budget_minutes(0.999, 30 * D) == 43.2
    assert burn_rate(0.005, 0.995) == 1.0
    assert burn_rate(0.01, 0.995) == 2.0
    assert burn_rate(0.0, 0.995) == 0.0
    assert budget_remaining(0.0025, 0.995) == pytest.approx(0.5)  # half the budget rate over the period
    assert budget_remaining(0.01, 0.995) == pytest.approx(-1.0)  # overspent twice over
    # 14.4x for one hour spends 2% of a 30-day budget: the page-fast tier's definition
    assert budget_consumed(0.072, 0.995, window=H, period=30 * D) == pytest.approx(0.02)
    assert budget_remaining(0.072, 0.995, window=H, period=30 * D) == pytest.approx(0.98)


def test_objective_and_rate_validation() -> None:
    with pytest.raises(InvalidObjectiveError):
        burn_rate(0.1, 1.0)
    with pytest.raises(InvalidObjectiveError):
        budget_minutes(0.0, 30 * D)
    with pytest.raises(ValueError, match="error rate"):
        burn_rate(1.5, 0.99)


def _rates(**by_window: float) -> dict[timedelta, float]:
    named = {"m5": 5 * M, "m30": 30 * M, "h1": H, "h6": 6 * H, "d3": 3 * D}
    return {named[key]: value for key, value in by_window.items()}


@pytest.mark.parametrize(
    ("rates", "fired"),
    [
        (_rates(m5=0.0, m30=0.0, h1=0.0, h6=0.0, d3=0.0), []),
        (_rates(m5=0.08, m30=0.08, h1=0.08, h6=0.08, d3=0.08), ["page-fast", "page-slow", "ticket"]),
        # a fast burn that already stopped: the short window vetoes the page
        (_rates(m5=0.001, m30=0.001, h1=0.08, h6=0.004, d3=0.004), []),
        # a slow steady burn at 2x: only the ticket
        (_rates(m5=0.01, m30=0.01, h1=0.01, h6=0.01, d3=0.01), ["ticket"]),
        # 7x over 6h and 30m, quieter in the last hour: the slow page only
        (_rates(m5=0.035, m30=0.035, h1=0.035, h6=0.035, d3=0.004), ["page-slow"]),
        # exactly at the threshold does not fire (strictly above, as in Sloth's rules)
        (_rates(m5=0.005, m30=0.005, h1=0.005, h6=0.005, d3=0.005), []),
    ],
)
def test_firing_tiers(rates: dict[timedelta, float], fired: list[str]) -> None:
    assert [tier.name for tier in firing_tiers(load_windows(), 0.995, rates)] == fired


def test_firing_tiers_needs_every_window() -> None:
    with pytest.raises(MissingWindowError, match="tier page-fast needs the error rate over 5m"):
        firing_tiers(load_windows(), 0.995, {H: 0.1})


def test_run_burn() -> None:
    windows = load_windows()
    burn = run_burn(0.1, 0.995, duration=2 * M, period=windows.slo_period, tiers=windows.tiers)
    assert burn.burn_rate == 20.0
    assert burn.budget_consumed == pytest.approx(20.0 * 2 / 43_200)
    assert burn.would_fire == ("page-fast", "page-slow", "ticket")
    calm = run_burn(0.0, 0.995, duration=2 * M, period=30 * D, tiers=windows.tiers)
    assert (calm.burn_rate, calm.budget_consumed, calm.would_fire) == (0.0, 0.0, ())


def test_windows_file_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(VALID)
    windows = load_windows(path=path)
    assert [tier.burn_rate for tier in windows.tiers] == [14.4] and windows.source == str(path)


def test_unknown_period() -> None:
    with pytest.raises(
        UnknownWindowsError, match=r"no burn-rate windows ship for a 7d SLO period \(have: 30d\)"
    ):
        load_windows("7d")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("short_window: 5m", "short_window: 2h"), "tiers[0].short_window: expected a window shorter than"),
        (("long_window: 1h", "long_window: 40d"), "tiers[0].long_window: expected a window no longer than"),
        (("severity: page", "severity: sms"), "tiers[0].severity: expected one of page, ticket, got 'sms'"),
        (("budget_percent: 2", "budget_percent: 0"), "tiers[0].budget_percent: expected a number between 0"),
        (("name: page-fast,", "name: page-fast, factor: 14.4,"), "tiers[0].factor: unknown field"),
        (("kind: BurnRateWindows", "kind: AlertWindows"), "kind: expected one of BurnRateWindows"),
        (("version: 1", "version: 2"), "version: expected an integer between 1 and 1, got 2"),
        (("slo_period: 30d", "slo_period: monthly"), "slo_period: expected a duration"),
        (("tiers:", "tires:"), "tires: unknown field"),
        (("{name", "[{name"), "w.yaml: malformed YAML"),
    ],
)
def test_invalid_windows_files_are_one_line(change: tuple[str, str], message: str) -> None:
    with pytest.raises(InvalidWindowsError) as caught:
        parse_windows(VALID.replace(*change), source="w.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith("w.yaml")


def test_duplicate_tier_names_are_refused() -> None:
    text = (
        VALID
        + "  - {name: page-fast, severity: page, budget_percent: 5, long_window: 6h, short_window: 30m}\n"
    )
    with pytest.raises(InvalidWindowsError, match="tiers: expected tiers with distinct names"):
        parse_windows(text, source="w.yaml")
