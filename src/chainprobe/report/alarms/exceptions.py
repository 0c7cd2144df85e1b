"""Why ``chainprobe alarms`` refuses to write a template: every error is one line, naming what and why.

Example::

    >>> str(LimitExceededError("sli page-fast 1h: 21 queries, more than the 20 a metric-math alarm takes"))
    'sli page-fast 1h: 21 queries, more than the 20 a metric-math alarm takes'

The CLI prints ``chainprobe: <message>`` and exits 2 (bad usage or configuration): each of these is
something the spec, the windows file or the command line asks for that no template can express.
"""

from __future__ import annotations

__all__ = [
    "AlarmsError",
    "InvalidSliError",
    "LimitExceededError",
    "NothingToAlarmError",
    "WindowsMismatchError",
]


class AlarmsError(Exception):
    """A CloudFormation template of alarms cannot be generated as asked."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class NothingToAlarmError(AlarmsError):
    """The spec has no ``slo``, or no SLI to alarm on (neither ``metric_math`` nor ``cloudwatch_publish``)."""


class WindowsMismatchError(AlarmsError):
    """The burn-rate windows file is for another SLO period than the spec's ``slo.window``."""


class InvalidSliError(AlarmsError):
    """The spec's metric-math SLI cannot be an alarm: it does not parse, or does not return one series."""


class LimitExceededError(AlarmsError):
    """An alarm, the dashboard or the template would break a CloudWatch or CloudFormation limit."""
