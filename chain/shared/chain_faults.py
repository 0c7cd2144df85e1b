"""The chain's side of fault injection (issue 3), shared by OrdersHandler and DeliveryHandler.

A handler decides which of its faults fire (by an order's marker, or by a draw at the rate the
fault config gives) and reports each one that fires to the ground-truth log. This module is what
both handlers do alike: read the fault config, draw, report. It is packaged at the root of each
function's zip next to ``app.py`` (``src/chainprobe/stacks/reference_chain.py``), so a handler
imports it as ``import chain_faults`` on AWS and on the local stack alike. Standard library only.

Example::

    faults = ChainFaults.from_environment(logger, function="OrdersHandler")
    rates = faults.rates()                      # {"handler-500": 0.5}: cached for 1 s
    if faults.draw(rates.get("handler-500")):
        faults.report("handler-500", order_id="o-1", trigger="rate")

Environment (read by ``from_environment``, i.e. once per cold start, when the handler imports):
    FAULT_CONFIG_URL          optional; GET returns ``{"faults": {NAME: {"rate": P}}}`` (0.5 s
                              timeout, cached 1 s, any failure means no faults). Each fault that
                              fires is POSTed to ``{FAULT_CONFIG_URL}/log`` as ``{"fault",
                              "orderId", "trigger", "at", "detail"}`` (best effort, 0.5 s timeout,
                              a failure is logged as ``unreported`` and never changes the answer).
    AWS_LAMBDA_FUNCTION_NAME  the function named in each entry's ``detail.function``.

Without FAULT_CONFIG_URL nothing is read or reported: only markers fire, and are only logged.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.request
from typing import Any, Literal, Protocol

CONFIG_TIMEOUT_S = 0.5
CONFIG_TTL_S = 1.0
LOG_TIMEOUT_S = 0.5

Trigger = Literal["marker", "rate"]


class Warns(Protocol):
    """What is needed of the handler's logger (Powertools' ``Logger`` is one)."""

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> Any: ...


class ChainFaults:
    """The fault config one function reads and the fault log it writes to."""

    def __init__(
        self, config_url: str, *, function: str, logger: Warns, rng: random.Random | None = None
    ) -> None:
        self.config_url = config_url.strip()
        self.log_url = f"{self.config_url.rstrip('/')}/log" if self.config_url else ""
        self.function = function
        self.logger = logger
        self._rng = rng or random.Random()
        self._cache: tuple[float, dict[str, float]] | None = None

    @classmethod
    def from_environment(cls, logger: Warns, *, function: str) -> ChainFaults:
        """From FAULT_CONFIG_URL; ``function`` unless AWS_LAMBDA_FUNCTION_NAME names it."""
        return cls(
            os.environ.get("FAULT_CONFIG_URL", ""),
            function=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", function),
            logger=logger,
        )

    def rates(self) -> dict[str, float]:
        """Fault name -> probability (cached 1 s); empty when there is no config or it is unusable."""
        if not self.config_url:
            return {}
        now = time.monotonic()
        if self._cache is not None and now - self._cache[0] < CONFIG_TTL_S:
            return self._cache[1]
        rates: dict[str, float] = {}
        try:
            with urllib.request.urlopen(self.config_url, timeout=CONFIG_TIMEOUT_S) as answer:
                faults = json.loads(answer.read()).get("faults") or {}
            for name, spec in faults.items():
                rate = float(spec.get("rate", 0)) if isinstance(spec, dict) else 0.0
                if rate > 0:
                    rates[str(name)] = min(rate, 1.0)
        except Exception:  # any failure means no faults, never a failed request
            rates = {}
        self._cache = (now, rates)
        return rates

    def draw(self, rate: float | None) -> bool:
        """True with probability ``rate`` (never for None or 0)."""
        return bool(rate) and self._rng.random() < float(rate or 0)

    def report(
        self, fault: str, *, order_id: str, trigger: Trigger, detail: dict[str, Any] | None = None
    ) -> None:
        """POSTs one fired fault to the fault log; best effort, never raises."""
        if not self.log_url:
            return
        entry = {
            "fault": fault,
            "orderId": order_id,
            "trigger": trigger,
            "at": time.time(),
            "detail": {"function": self.function, **(detail or {})},
        }
        request = urllib.request.Request(
            self.log_url,
            data=json.dumps(entry).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=LOG_TIMEOUT_S) as answer:
                answer.read()
        except Exception as exc:  # the log is best effort: the caller goes on as decided
            self.logger.warning("fault not reported", extra={"unreported": fault, "reason": str(exc)})
