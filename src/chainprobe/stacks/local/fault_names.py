"""The fault names, what a fault's rate may be and a fired fault's log entry: the contract, written once.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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

LOCATED_FAULTS = ("dynamodb-throttle", "events-entry-failure")
"""The faults the LocalStack plugin fires itself: where they find an order's id and its markers in a request
is configuration (``chainprobe fault set NAME --order-id-path … --marker-path …``). The others are the
reference chain's own (its handlers read ``chaos``) and the courier stub's."""


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


TRIGGERS = ("marker", "rate")
Trigger = Literal["marker", "rate"]
ENTRY_FIELDS = ("fault", "orderId", "trigger", "at", "detail")


@dataclass(frozen=True)
class FiredFault:
    """One entry of the ground-truth log: which fault fired, on which order (None when the request
    named none), by marker or by rate, when (epoch seconds), and what it did. As JSON:
    ``{"fault", "orderId", "trigger", "at", "detail"}``."""

    fault: str
    order_id: str | None
    trigger: Trigger
    at: float
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "orderId": self.order_id,
            "trigger": self.trigger,
            "at": self.at,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, raw: object, *, now: float | None = None) -> FiredFault:
        """An entry from JSON (``at`` defaults to ``now``); ValueError naming the bad field."""
        if not isinstance(raw, Mapping):
            raise ValueError("a log entry must be a JSON object with fault, orderId and trigger")
        unknown = sorted(set(raw) - set(ENTRY_FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) in log entry: {', '.join(unknown)}")
        fault = raw.get("fault")
        if problem := name_problem(fault):
            raise ValueError(problem)
        order_id = raw.get("orderId")
        if order_id is not None and not isinstance(order_id, str):
            raise ValueError("orderId must be a string or null")
        trigger = raw.get("trigger")
        if trigger not in TRIGGERS:
            raise ValueError(f"trigger must be one of {', '.join(TRIGGERS)}, got {trigger!r}")
        at = raw.get("at", now)
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
            raise ValueError(f"at must be epoch seconds, got {at!r}")
        detail = raw.get("detail") or {}
        if not isinstance(detail, Mapping):
            raise ValueError("detail must be a JSON object")
        return cls(str(fault), order_id, "marker" if trigger == "marker" else "rate", float(at), dict(detail))
