"""The values a query computes with, and how a result shows them.

A value is ``None`` (the field is absent), a ``str``, an ``int`` or ``float``, or a
:class:`Timestamp` (``@timestamp``, ``earliest``/``latest`` of it, ``bin()``), so that a result
prints times as CloudWatch does (``2026-01-01 12:00:00.000``, UTC) while arithmetic on them works in
milliseconds: ``latest(@timestamp) - earliest(@timestamp)`` is a number of milliseconds.

Where AWS's documentation is silent, the choices made here:

- A string that reads as a number is used as that number where a number is needed (comparison with
  a number, arithmetic, ``sum``/``avg``/``pct``): fields extracted by ``parse`` are strings.
- Arithmetic with an absent or non-numeric operand, and division by zero, give an absent value.
- Numbers print without a trailing ``.0`` when integral (``3``), else Python's shortest repr
  (``2.5``); JSON booleans print as ``true``/``false``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, order=True)
class Timestamp:
    """A point in time in epoch milliseconds, printed as CloudWatch prints ``@timestamp``."""

    millis: int

    def __str__(self) -> str:
        moment = datetime.fromtimestamp(self.millis / 1000, tz=UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{self.millis % 1000:03d}"


Value = str | int | float | bool | Timestamp | None


def as_number(value: Value) -> float | int | None:
    """The value as a number (timestamps in ms, numeric strings parsed); None when it is not one."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, Timestamp):
        return value.millis
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        if math.isfinite(number) and number.is_integer() and "." not in value and "e" not in value.lower():
            return int(number)
        return number if math.isfinite(number) else None
    return None


def render(value: Value) -> str | None:
    """How a result shows a value (None: the field is left out of the row, as CloudWatch does)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def truthy(value: Value) -> bool:
    """A filter keeps a row when its condition is true: an absent value is never true."""
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, Timestamp):
        return True
    return bool(value)
