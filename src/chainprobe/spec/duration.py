"""Durations written the way SLO tooling writes them: ``30d``, ``6h``, ``5m``, ``90s``.

Example::

    >>> parse_duration("30d")
    datetime.timedelta(days=30)
    >>> format_duration(timedelta(minutes=30))
    '30m'

Limitations: one number and one unit (``1h30m`` is not accepted; write ``90m``); units are
``s``, ``m``, ``h``, ``d``, ``w``.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse ``<positive integer><unit>``; raises ``ValueError`` for anything else."""
    match = _PATTERN.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"expected a duration such as 30d, 6h, 5m or 90s, got {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def format_duration(duration: timedelta) -> str:
    """The shortest ``<n><unit>`` form of a whole number of seconds (``timedelta(hours=72)`` -> ``3d``)."""
    seconds = int(duration.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0 and seconds > 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"
