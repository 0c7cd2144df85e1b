"""Where template variables come from: endpoint values and per-order values.

Endpoint values (``api_url``, ``courier_url``, ``aws_endpoint_url``, ``region``, ``table``, ``bus``, or any
other name a spec uses) come from ``chainprobe status --json`` (a flat mapping of name to value) and from
environment variables ``CHAINPROBE_<NAME>`` (``CHAINPROBE_API_URL`` gives ``api_url``). The environment
wins, so one spec serves the local stack, compose and a real AWS account.

Per-order values (``order_id``, ``run_id``, ``seq``) are added for each order and win over both.

Example::

    >>> endpoint_variables({"api_url": "http://a"}, environ={"CHAINPROBE_API_URL": "http://b"})
    {'api_url': 'http://b'}
    >>> order_variables({"api_url": "http://b"}, run_id="r-1", seq=3, order_id="o-r-1-3")["seq"]
    3
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from chainprobe.spec.template import Scalar

__all__ = [
    "ENDPOINT_NAMES",
    "ENV_PREFIX",
    "ORDER_NAMES",
    "endpoint_variables",
    "order_variables",
    "without_environment",
]

ENV_PREFIX = "CHAINPROBE_"
ENDPOINT_NAMES = ("api_url", "courier_url", "aws_endpoint_url", "region", "table", "bus")
ORDER_NAMES = ("order_id", "run_id", "seq")

_VARIABLE = re.compile(r"[a-z_][a-z0-9_]*")


def endpoint_variables(
    status: Mapping[str, object] | None = None, *, environ: Mapping[str, str] | None = None
) -> dict[str, Scalar]:
    """Endpoint values: the status mapping's scalar entries, overridden by ``CHAINPROBE_*`` variables.

    ``environ`` defaults to ``os.environ``. Nested values and booleans of ``status`` are ignored.
    """
    values: dict[str, Scalar] = {}
    for name, value in (status or {}).items():
        if _VARIABLE.fullmatch(name) and isinstance(value, str | int | float) and not isinstance(value, bool):
            values[name] = value
    env = os.environ if environ is None else environ
    for key, value in env.items():
        name = key[len(ENV_PREFIX) :].lower()
        if key.startswith(ENV_PREFIX) and _VARIABLE.fullmatch(name):
            values[name] = value
    return values


def without_environment(
    values: Mapping[str, Scalar], *, environ: Mapping[str, str] | None = None
) -> dict[str, Scalar]:
    """``values`` less those a ``CHAINPROBE_*`` variable gives: what may be written to a file or sent to
    another process that has the same environment (``endpoint_variables`` adds the rest back there), so
    a secret passed that way (``CHAINPROBE_API_KEY``) is never written down."""
    env = os.environ if environ is None else environ
    return {name: value for name, value in values.items() if f"{ENV_PREFIX}{name.upper()}" not in env}


def order_variables(
    endpoints: Mapping[str, Scalar], *, run_id: str, seq: int, order_id: str
) -> dict[str, Scalar]:
    """The variables for one order: endpoint values plus ``run_id``, ``seq`` and ``order_id``."""
    return {**endpoints, "run_id": run_id, "seq": seq, "order_id": order_id}
