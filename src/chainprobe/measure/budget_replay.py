"""The error budget over a window and a replay of the burn-rate alerts, from an SLI's per-minute history.

For one SLI (``budget_window.SliDefinition``), its history and the burn-rate tiers of the windows file
(the same ``BurnRateWindows`` ``chainprobe alarms`` generates its alarms from), :func:`replay` gives:

- **the budget over the window** ``[end - window, end)``: the error rate there (a ratio of sums, the
  SLI's own expression), ``consumed = error rate / (1 - objective)`` of the window's budget (the
  budget is ``1 - objective`` of the window's requests: 216 minutes for 99.5% over 30 d), and the
  remaining share, both also in minutes of ``budget_minutes(objective, window)``;
- **the burn rate now** over each tier's long and short window ending at ``end``;
- **the replay**: at every evaluation step (each minute end, as CloudWatch evaluates alarms) each
  tier's two windows are read as its two alarms read them (period = window, one datapoint) and the
  tier *fires* while both are breaching; an :class:`Alert` says when it fired and when it cleared,
  and the time from the first bad minute within its long window to the firing.

A window is breaching when its error rate is strictly above ``factor x (1 - objective)`` (the
alarms' threshold, ``GreaterThanThreshold``) and it holds at least ``min_requests`` requests (the
minimum-traffic guard: one error among three requests is a 33% error rate, but no evidence of a
burn; ``min_requests`` in the windows file, default 10; the generated alarms carry the same rule as
``IF(requests >= N, 1 - availability, 0)``). A window above the guard whose expression has no
datapoint is missing data, breaching or not as the alarms' ``TreatMissingData`` says (the generated
alarms: not breaching). Steps are evaluated only where a window's content changes (a minute with data
enters or leaves it); between two such steps nothing can change, so fire and clear times are exact.

``end`` is the end of the minute holding ``at`` (as the alarms' evaluation range ends at the end of
the current minute). Read at ``now`` before that minute closed (its end plus the publish lag), its
counts may still grow: :func:`open_minute` says so, a note (the figures are what an alarm evaluated
then sees; never a final reading of that minute). The replay starts at the window's first minute
end, reading before the window (up to the longest tier window) as the alarms would have; an alert
firing at that first step fired at or before it (``at_start``).

Pure: no AWS, no LocalStack. Hand-computed cases: ``tests/unit/measure/test_budget_replay.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chainprobe.measure.budget import BurnRateTier, BurnRateWindows, budget_minutes, error_budget
from chainprobe.measure.budget_window import MINUTE, History, SliDefinition, WindowReader
from chainprobe.measure.window_sli import DEFAULT_PUBLISH_LAG_S

__all__ = [
    "Alert",
    "BudgetPoint",
    "BurnPoint",
    "SliBudget",
    "TierNow",
    "WindowNow",
    "evaluation_end",
    "open_minute",
    "replay",
]

BURN_POINTS = 400
"""About this many points per tier in ``SliBudget.burn_series`` and in ``budget_series`` (evenly thinned)."""


@dataclass(frozen=True, kw_only=True)
class WindowNow:
    """One tier window read at a step: error rate (None: missing data), requests, burn rate, verdict."""

    window: timedelta
    error_rate: float | None
    requests: float
    burn_rate: float | None
    breaching: bool
    low_traffic: bool


@dataclass(frozen=True, kw_only=True)
class TierNow:
    tier: BurnRateTier
    threshold: float
    long: WindowNow
    short: WindowNow

    @property
    def firing(self) -> bool:
        return self.long.breaching and self.short.breaching


@dataclass(frozen=True, kw_only=True)
class Alert:
    """A tier's alert in the replay: fired at ``fired_at`` (epoch s), cleared at ``cleared_at`` (None:
    still firing at the end); ``first_bad`` the first minute with errors in the long window it fired on."""

    tier: str
    severity: str
    fired_at: int
    cleared_at: int | None
    first_bad: int | None
    at_start: bool

    @property
    def time_to_fire_s(self) -> int | None:
        return None if self.first_bad is None or self.at_start else self.fired_at - self.first_bad


@dataclass(frozen=True, kw_only=True)
class BudgetPoint:
    at: int
    remaining: float


@dataclass(frozen=True, kw_only=True)
class BurnPoint:
    at: int
    tier: str
    long: float | None
    short: float | None
    firing: bool


@dataclass(frozen=True, kw_only=True)
class SliBudget:
    """Everything :func:`replay` finds for one SLI."""

    sli: SliDefinition
    objective: float
    start: int
    end: int
    min_requests: int
    requests: float
    error_rate: float | None
    consumed: float
    budget_minutes: float
    tiers_now: tuple[TierNow, ...]
    alerts: tuple[Alert, ...]
    first_bad: int | None
    budget_series: tuple[BudgetPoint, ...]
    burn_series: tuple[BurnPoint, ...]

    @property
    def remaining(self) -> float:
        return 1.0 - self.consumed

    @property
    def consumed_minutes(self) -> float:
        return self.consumed * self.budget_minutes

    @property
    def remaining_minutes(self) -> float:
        return self.remaining * self.budget_minutes

    @property
    def first_page(self) -> Alert | None:
        return next((a for a in self.alerts if a.severity == "page"), None)

    @property
    def paging_now(self) -> tuple[str, ...]:
        return tuple(t.tier.name for t in self.tiers_now if t.firing and t.tier.severity.value == "page")


def evaluation_end(at: float) -> int:
    """The end of the minute holding ``at``: where an alarm evaluated at ``at`` ends its range."""
    return (int(at) // MINUTE + 1) * MINUTE


def open_minute(end: int, now: float, publish_lag_s: float = DEFAULT_PUBLISH_LAG_S) -> str | None:
    """A note when the minute ending at ``end`` had not closed at ``now`` (``None``: it had)."""
    if now >= end + publish_lag_s:
        return None
    minute = f"{_clock(end - MINUTE)}-{_clock(end)}"
    return (
        f"the last minute ({minute} UTC) was still open when read at {_clock(now)} UTC: its counts may "
        "still grow (the figures are what an alarm evaluated now sees)"
    )


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S")


def replay(
    sli: SliDefinition,
    history: History,
    *,
    objective: float,
    windows: BurnRateWindows,
    window: timedelta,
    end: int,
) -> SliBudget:
    """The budget, the burn rates at ``end`` and the replayed alerts over ``[end - window, end)``."""
    if end % MINUTE:
        raise ValueError(f"end must be a minute boundary, got {end}")
    reader = WindowReader(sli, history)
    span = int(window.total_seconds())
    start = end - span
    error_rate = reader.error_rate(start, end)
    consumed = 0.0 if error_rate is None else error_rate / error_budget(objective)
    alerts = _alerts(reader, windows, objective, start, end)
    return SliBudget(
        sli=sli,
        objective=objective,
        start=start,
        end=end,
        min_requests=windows.min_requests,
        requests=reader.requests(start, end),
        error_rate=error_rate,
        consumed=consumed,
        budget_minutes=budget_minutes(objective, window),
        tiers_now=tuple(
            _tier_at(reader, tier, objective, windows.min_requests, end) for tier in windows.tiers
        ),
        alerts=alerts,
        first_bad=next(iter(_bad_minutes(reader, start, end)), None),
        budget_series=_budget_series(reader, objective, start, end),
        burn_series=_burn_series(reader, windows, objective, start, end),
    )


def _window_at(
    reader: WindowReader, length: timedelta, objective: float, threshold: float, min_requests: int, end: int
) -> WindowNow:
    start = end - int(length.total_seconds())
    rate, requests = reader.error_rate(start, end), reader.requests(start, end)
    low_traffic = bool(reader.sli.requests_ids) and requests < min_requests
    # Under the guard the alarm's IF reads 0 (a datapoint, not missing data): never breaching.
    breaching = not low_traffic and (reader.sli.missing_breaches if rate is None else rate > threshold)
    burn = None if rate is None else rate / error_budget(objective)
    return WindowNow(
        window=length, error_rate=rate, requests=requests, burn_rate=burn, breaching=breaching,
        low_traffic=low_traffic,
    )  # fmt: skip


def _tier_at(
    reader: WindowReader, tier: BurnRateTier, objective: float, min_requests: int, end: int
) -> TierNow:
    threshold = float(f"{tier.burn_rate * error_budget(objective):.12g}")  # as report.alarms.plan rounds it
    return TierNow(
        tier=tier,
        threshold=threshold,
        long=_window_at(reader, tier.long_window, objective, threshold, min_requests, end),
        short=_window_at(reader, tier.short_window, objective, threshold, min_requests, end),
    )


def _steps(reader: WindowReader, windows: BurnRateWindows, start: int, end: int) -> list[int]:
    """The evaluation steps where some window's content changes, plus the first and the last."""
    lengths = {int(w.total_seconds()) for w in windows.windows()}
    longest = max(lengths)
    steps = {start + MINUTE, end}
    for minute in reader.data_minutes(start - longest, end):
        steps.add(minute + MINUTE)
        steps.update(minute + MINUTE + length for length in lengths)
    return sorted(step for step in steps if start + MINUTE <= step <= end)


def _alerts(
    reader: WindowReader, windows: BurnRateWindows, objective: float, start: int, end: int
) -> tuple[Alert, ...]:
    bad = _bad_minutes(reader, start - int(max(windows.windows()).total_seconds()), end)
    alerts: list[Alert] = []
    for tier in windows.tiers:
        open_at: int | None = None
        for step in _steps(reader, windows, start, end):
            firing = _tier_at(reader, tier, objective, windows.min_requests, step).firing
            if firing and open_at is None:
                open_at = step
            elif not firing and open_at is not None:
                alerts.append(_alert(tier, open_at, step, bad, start))
                open_at = None
        if open_at is not None:
            alerts.append(_alert(tier, open_at, None, bad, start))
    return tuple(sorted(alerts, key=lambda a: (a.fired_at, a.tier)))


def _alert(tier: BurnRateTier, fired: int, cleared: int | None, bad: list[int], start: int) -> Alert:
    reach = fired - int(tier.long_window.total_seconds())
    first = next((minute for minute in bad if reach <= minute < fired), None)
    return Alert(
        tier=tier.name,
        severity=tier.severity.value,
        fired_at=fired,
        cleared_at=cleared,
        first_bad=first,
        at_start=fired == start + MINUTE,
    )


def _bad_minutes(reader: WindowReader, start: int, end: int) -> list[int]:
    """The minutes in ``[start, end)`` whose own error rate is above 0."""
    return [m for m in reader.data_minutes(start, end) if (reader.error_rate(m, m + MINUTE) or 0.0) > 0]


def _budget_series(reader: WindowReader, objective: float, start: int, end: int) -> tuple[BudgetPoint, ...]:
    """The budget remaining from the window's start to each minute with errors (and, thinned to about
    ``BURN_POINTS``, the other minutes with data), and at the end.

    Consumed up to t is the errors so far over the budget of the whole window: ``error rate[start, t) x
    requests[start, t) / ((1 - objective) x requests[start, end))``; without request counts, time
    weighs instead of requests.
    """
    total = reader.requests(start, end)
    points = [BudgetPoint(at=start, remaining=1.0)]
    minutes = reader.data_minutes(start, end)
    stride = max(1, len(minutes) // BURN_POINTS)  # a chart's worth: every bad minute, the rest thinned
    bad = _bad_minutes(reader, start, end)[:BURN_POINTS]
    for minute in sorted({*minutes[::stride], *bad, end - MINUTE}):
        t = minute + MINUTE
        rate = reader.error_rate(start, t) or 0.0
        if reader.sli.requests_ids:
            share = reader.requests(start, t) / total if total else 0.0
        else:
            share = (t - start) / (end - start)
        points.append(BudgetPoint(at=t, remaining=1.0 - rate * share / error_budget(objective)))
    return tuple(points)


def _burn_series(
    reader: WindowReader, windows: BurnRateWindows, objective: float, start: int, end: int
) -> tuple[BurnPoint, ...]:
    steps = _steps(reader, windows, start, end)
    stride = max(1, len(steps) // BURN_POINTS)
    kept = sorted({*steps[::stride], end})
    points = []
    for tier in windows.tiers:
        for step in kept:
            now = _tier_at(reader, tier, objective, windows.min_requests, step)
            points.append(
                BurnPoint(
                    at=step,
                    tier=tier.name,
                    long=now.long.burn_rate,
                    short=now.short.burn_rate,
                    firing=now.firing,
                )
            )
    return tuple(points)
