"""Time formatting shared by the report writers."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso_seconds", "iso_utc"]


def iso_utc(epoch_seconds: float) -> str:
    """ISO 8601 UTC with milliseconds: ``iso_utc(0)`` -> ``'1970-01-01T00:00:00.000Z'``."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_seconds(epoch_seconds: float) -> str:
    """ISO 8601 UTC to the second, without zone suffix (JUnit's ``timestamp``): ``'1970-01-01T00:00:00'``."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
