"""Number formatting shared by the human-readable writers (terminal, Markdown, JUnit messages)."""

from __future__ import annotations

from chainprobe.measure.sli import Interval

__all__ = ["interval_text", "ms", "percent", "seconds"]


def percent(value: float | None, digits: int = 2) -> str:
    """``0.995`` -> ``'99.50%'``; ``None`` -> ``'n/a'``."""
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def interval_text(interval: Interval | None) -> str:
    """``'95% CI 76.39-99.11%'`` (empty when there is no interval)."""
    if interval is None:
        return ""
    return f"{interval.confidence * 100:g}% CI {interval.low * 100:.2f}-{interval.high * 100:.2f}%"


def ms(value: float | None) -> str:
    """``412.37`` -> ``'412 ms'``; ``None`` -> ``'n/a'``."""
    return "n/a" if value is None else f"{value:.0f} ms"


def seconds(value: float | None) -> str:
    """``61.25`` -> ``'61.2 s'``; ``None`` -> ``'n/a'``."""
    return "n/a" if value is None else f"{value:.1f} s"
