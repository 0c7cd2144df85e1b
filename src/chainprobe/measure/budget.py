"""Error budget and burn rates, with the multi-window multi-burn-rate tiers kept as data (as in Sloth).

burn rate = error rate / (1 - objective): at 1x the budget lasts exactly the SLO period. The tiers
live in versioned files, ``windows/<period>.yaml`` beside this module (``30d`` ships: page at 14.4x over
1 h AND 5 m, page at 6x over 6 h AND 30 m, ticket at 1x over 3 d AND 6 h), validated on load, and
overridable with ``load_windows(path=...)``. A tier's factor is computed from its data:
``budget_percent / 100 * slo_period / long_window``.

Example::

    >>> budget_minutes(0.995, timedelta(days=30))
    216.0
    >>> burn_rate(0.01, 0.995)
    2.0
    >>> windows = load_windows("30d")
    >>> rates = dict.fromkeys(windows.windows(), 0.01)      # 2x the budget rate, over every window
    >>> [tier.name for tier in firing_tiers(windows, 0.995, rates)]
    ['ticket']

A tier fires when both windows' error rates are strictly above ``factor * (1 - objective)``, as the
Prometheus rules of the SRE workbook and Sloth compare.

Raises ``InvalidObjectiveError`` (objective not in (0, 1)), ``InvalidWindowsError`` (a bad windows file,
one line naming file and field), ``UnknownWindowsError`` (no shipped file for a period) and
``MissingWindowError`` (no error rate given for a tier's window), all ``BudgetError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path

import yaml

from chainprobe.spec.duration import format_duration, parse_duration
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.reader import Fields, Node

__all__ = [
    "DEFAULT_MIN_REQUESTS",
    "BudgetError",
    "BurnRateTier",
    "BurnRateWindows",
    "InvalidObjectiveError",
    "InvalidWindowsError",
    "MissingWindowError",
    "RunBurn",
    "Severity",
    "UnknownWindowsError",
    "budget_consumed",
    "budget_minutes",
    "budget_remaining",
    "burn_rate",
    "firing_tiers",
    "load_windows",
    "parse_windows",
    "run_burn",
]

WINDOWS_KIND = "BurnRateWindows"
WINDOWS_VERSION = 1
DEFAULT_MIN_REQUESTS = 10
"""The minimum-traffic guard's default: a window with fewer requests never breaches (chainprobe budget)."""


class BudgetError(Exception):
    """An error budget or burn rate cannot be computed as asked."""


class InvalidObjectiveError(BudgetError, ValueError):
    """An objective outside (0, 1): at 1 there is no budget to burn."""


class InvalidWindowsError(BudgetError):
    """A burn-rate windows file is malformed; the message names the file and the field."""


class UnknownWindowsError(BudgetError):
    """No burn-rate windows file ships for this SLO period."""


class MissingWindowError(BudgetError):
    """No error rate was given for a window a tier needs."""


class Severity(StrEnum):
    """What a firing tier asks for: wake someone up, or open a ticket."""

    PAGE = "page"
    TICKET = "ticket"


@dataclass(frozen=True, kw_only=True)
class BurnRateTier:
    """An alert tier: ``burn_rate`` over ``long_window`` and ``short_window`` spends ``budget_percent``."""

    name: str
    severity: Severity
    budget_percent: float
    long_window: timedelta
    short_window: timedelta
    burn_rate: float

    def fires(self, *, long_error_rate: float, short_error_rate: float, objective: float) -> bool:
        """Whether both windows' error rates are above this tier's threshold."""
        threshold = self.burn_rate * error_budget(objective)
        return _rate(long_error_rate) > threshold and _rate(short_error_rate) > threshold


@dataclass(frozen=True, kw_only=True)
class BurnRateWindows:
    """The tiers for one SLO period, and the file they came from.

    ``min_requests`` (optional in the file, default ``DEFAULT_MIN_REQUESTS``): the minimum-traffic
    guard of ``chainprobe budget``'s replay, a window holding fewer requests never breaches.
    """

    slo_period: timedelta
    tiers: tuple[BurnRateTier, ...]
    source: str
    min_requests: int = DEFAULT_MIN_REQUESTS

    def windows(self) -> tuple[timedelta, ...]:
        """Every distinct window the tiers use, shortest first."""
        return tuple(sorted({w for tier in self.tiers for w in (tier.long_window, tier.short_window)}))


@dataclass(frozen=True, kw_only=True)
class RunBurn:
    """A run's burn: its error rate, burn rate, the share of the period's budget it spent, the tiers it trips.

    ``would_fire`` names the tiers whose threshold the run's error rate exceeds, i.e. those that would
    fire were that rate sustained over both of their windows.
    """

    error_rate: float
    burn_rate: float
    budget_consumed: float
    would_fire: tuple[str, ...]


def error_budget(objective: float) -> float:
    """The allowed error rate ``1 - objective``."""
    if not 0 < objective < 1:
        raise InvalidObjectiveError(f"expected an objective between 0 and 1 (exclusive), got {objective}")
    return float(1 - Decimal(repr(objective)))  # 1 - 0.995 is 0.005, not 0.0050000000000000044


def budget_minutes(objective: float, period: timedelta) -> float:
    """The budget as time: ``(1 - objective) * period`` in minutes (0.995 over 30 d -> 216)."""
    return round(error_budget(objective) * period.total_seconds() / 60.0, 9)


def burn_rate(error_rate: float, objective: float) -> float:
    """``error_rate / (1 - objective)``."""
    return _rate(error_rate) / error_budget(objective)


def budget_consumed(error_rate: float, objective: float, *, window: timedelta, period: timedelta) -> float:
    """The share of the period's budget spent by ``error_rate`` held over ``window``."""
    return burn_rate(error_rate, objective) * (window / period)


def budget_remaining(
    error_rate: float, objective: float, *, window: timedelta | None = None, period: timedelta | None = None
) -> float:
    """The share of the budget left (negative when overspent) after ``error_rate`` over ``window``.

    Without ``window`` the error rate is taken over the whole period: ``1 - burn rate``.
    """
    if window is None or period is None:
        return 1.0 - burn_rate(error_rate, objective)
    return 1.0 - budget_consumed(error_rate, objective, window=window, period=period)


def firing_tiers(
    windows: BurnRateWindows, objective: float, error_rates: Mapping[timedelta, float]
) -> list[BurnRateTier]:
    """The tiers that fire given the error rate observed over each window they use."""
    return [
        tier for tier in windows.tiers if tier.fires(**_rates_for(tier, error_rates), objective=objective)
    ]


def run_burn(
    error_rate: float,
    objective: float,
    *,
    duration: timedelta,
    period: timedelta,
    tiers: Iterable[BurnRateTier] = (),
) -> RunBurn:
    """The burn of a run: ``error_rate`` over ``duration``, against the SLO ``period`` and its ``tiers``."""
    return RunBurn(
        error_rate=error_rate,
        burn_rate=burn_rate(error_rate, objective),
        budget_consumed=budget_consumed(error_rate, objective, window=duration, period=period),
        would_fire=tuple(
            tier.name
            for tier in tiers
            if tier.fires(long_error_rate=error_rate, short_error_rate=error_rate, objective=objective)
        ),
    )


def load_windows(
    period: str | timedelta = "30d", *, path: str | os.PathLike[str] | None = None
) -> BurnRateWindows:
    """The tiers for ``period`` from the shipped files, or from the file at ``path``."""
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidWindowsError(f"{path}: cannot read ({error.strerror})") from error
        return parse_windows(text, source=str(path))
    name = period if isinstance(period, str) else format_duration(period)
    resource = resources.files("chainprobe.measure").joinpath("windows", f"{name}.yaml")
    if not resource.is_file():
        raise UnknownWindowsError(
            f"no burn-rate windows ship for a {name} SLO period (have: {', '.join(_shipped())}); pass a file"
        )
    windows = parse_windows(resource.read_text(encoding="utf-8"), source=f"windows/{name}.yaml")
    if windows.slo_period != parse_duration(name):
        raise InvalidWindowsError(f"windows/{name}.yaml: slo_period: expected {name}")
    return windows


def parse_windows(text: str, *, source: str) -> BurnRateWindows:
    """Validate windows file text; ``source`` names it in errors."""
    try:
        return _read_windows(Node(value=yaml.safe_load(text), path="", source=source))
    except yaml.YAMLError as error:
        raise InvalidWindowsError(f"{source}: malformed YAML ({' '.join(str(error).split())})") from error
    except SpecError as error:
        raise InvalidWindowsError(str(error)) from error


def _read_windows(root: Node) -> BurnRateWindows:
    fields = Fields(root, required=("kind", "version", "slo_period", "tiers"), optional=("min_requests",))
    fields.get("kind").choice((WINDOWS_KIND,))
    fields.get("version").integer(low=WINDOWS_VERSION, high=WINDOWS_VERSION)
    period = _duration(fields.get("slo_period"))
    tiers = tuple(_read_tier(node, period) for node in fields.get("tiers").items())
    names = [tier.name for tier in tiers]
    if len(set(names)) != len(names):
        fields.get("tiers").invalid("tiers with distinct names")
    guard = fields.optional("min_requests")
    min_requests = DEFAULT_MIN_REQUESTS if guard is None else guard.integer(low=0)
    return BurnRateWindows(slo_period=period, tiers=tiers, source=root.source, min_requests=min_requests)


def _read_tier(node: Node, period: timedelta) -> BurnRateTier:
    fields = Fields(node, required=("name", "severity", "budget_percent", "long_window", "short_window"))
    budget_percent = fields.get("budget_percent").number(low=0, high=100, open_low=True)
    long_window, short_window = _duration(fields.get("long_window")), _duration(fields.get("short_window"))
    if long_window > period:
        fields.get("long_window").invalid(f"a window no longer than slo_period ({format_duration(period)})")
    if short_window >= long_window:
        fields.get("short_window").invalid(
            f"a window shorter than long_window ({format_duration(long_window)})"
        )
    return BurnRateTier(
        name=fields.get("name").text(pattern=r"[a-z0-9][a-z0-9-]*", expected="a name such as page-fast"),
        severity=Severity(fields.get("severity").choice(Severity)),
        budget_percent=budget_percent,
        long_window=long_window,
        short_window=short_window,
        burn_rate=budget_percent * (period / long_window) / 100.0,
    )


def _duration(node: Node) -> timedelta:
    text = node.text(expected="a duration such as 1h or 5m")
    try:
        return parse_duration(text)
    except ValueError:
        node.invalid("a duration such as 30d, 6h, 5m or 90s")


def _rates_for(tier: BurnRateTier, error_rates: Mapping[timedelta, float]) -> dict[str, float]:
    missing = [w for w in (tier.long_window, tier.short_window) if w not in error_rates]
    if missing:
        needed = ", ".join(format_duration(w) for w in missing)
        raise MissingWindowError(f"tier {tier.name} needs the error rate over {needed}")
    return {
        "long_error_rate": error_rates[tier.long_window],
        "short_error_rate": error_rates[tier.short_window],
    }


def _rate(error_rate: float) -> float:
    if not 0 <= error_rate <= 1:
        raise ValueError(f"expected an error rate between 0 and 1, got {error_rate}")
    return error_rate


def _shipped() -> Iterable[str]:
    folder = resources.files("chainprobe.measure").joinpath("windows")
    return sorted(item.name.removesuffix(".yaml") for item in folder.iterdir() if item.name.endswith(".yaml"))
