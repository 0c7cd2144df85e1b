"""The fault names and what a fault's rate may be: the contract of issue 3, written once.

Read by the harness (``chainprobe.stacks.local.faults``, the ``chainprobe fault`` command) and by the
LocalStack plugin's fault registry, which runs in LocalStack's own virtualenv and cannot import the
harness: ``chainprobe.stacks.local.tools.ensure_plugins`` copies this file into the plugin package
at install (``chainprobe_localstack._vendor.fault_names``) and counts it in the plugins' digest, so a
change here reinstalls the plugins. The chain's handlers and the courier stubs use the same names.
Standard library only, and no imports from chainprobe: it must work as a copy.

Each side raises its own error type with the message these functions give::

    >>> name_problem("handler-5000")[:44]
    "unknown fault 'handler-5000'; known faults: "
    >>> rate_problem(1.5), rate_problem(0.25)
    ('rate must be between 0 and 1, got 1.5', None)
"""

from __future__ import annotations

import math

FAULT_NAMES = (
    "dynamodb-throttle",
    "events-entry-failure",
    "lambda-exception",
    "handler-500",
    "malformed-response",
    "handler-latency",
    "courier-5xx",
    "courier-slow",
    "courier-reset",
    "courier-429",
)


def name_problem(name: object) -> str | None:
    """Why ``name`` is not a fault name, in one line; None when it is one."""
    if isinstance(name, str) and name in FAULT_NAMES:
        return None
    return f"unknown fault {name!r}; known faults: {', '.join(FAULT_NAMES)}"


def rate_problem(rate: object) -> str | None:
    """Why ``rate`` is not a probability in [0, 1], in one line; None when it is one."""
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        return f"rate must be a number between 0 and 1, got {rate!r}"
    if not math.isfinite(rate) or not 0 <= rate <= 1:
        return f"rate must be between 0 and 1, got {rate!r}"
    return None
