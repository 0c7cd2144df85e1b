"""The fault registry: which faults are active (with a rate) and the log of every fault that fired.

Names are the contract shared with the chain's handlers and the harness:

============================  ==============================================================
``dynamodb-throttle``         PutItem fails with ProvisionedThroughputExceededException (plugin)
``events-entry-failure``      a PutEvents entry fails, ``InternalFailure`` (plugin)
``lambda-exception``          OrdersHandler raises (chain)
``handler-500``               OrdersHandler answers 500, Lambda looks healthy (chain)
``malformed-response``        OrdersHandler answers no proxy response: 502 (chain)
``handler-latency``           OrdersHandler sleeps first (chain)
``courier-5xx`` ...           the courier answers 503 / slowly / resets / 429 (WireMock, chosen
``courier-429``               per attempt by DeliveryHandler)
============================  ==============================================================

A fault fires for a request whose ``chaos`` markers name it (``trigger: marker``), or with the
probability of its rate (``trigger: rate``). For the faults this plugin fires (``dynamodb-throttle``,
``events-entry-failure``) where the order id and the markers sit is configuration, per fault and
table or bus (``locations``: ``FaultLocation``, default ``orderId`` and ``chaos``); the chain's own
faults read the request in the chain's code. The active set is read by the handlers as
``{"faults": {NAME: {"rate": P}}}``. Every fault that fires is logged once, as
``{"fault", "orderId", "trigger", "at", "detail"}`` (``at`` in epoch seconds): the ground truth.

The names, the rate check and the log entry (``FiredFault``) are not written here: they are the harness's
``chainprobe.stacks.local.fault_names``, vendored into this package at install (``_vendor``), so
the harness, the ``chainprobe fault`` command and this registry read one copy.

Pure Python on purpose (no LocalStack import), so the harness's unit tests can load it.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chainprobe_localstack._vendor.fault_names import (
    FAULT_NAMES,
    FiredFault,
    Trigger,
    name_problem,
    rate_problem,
)
from chainprobe_localstack.faults.locations import (
    DEFAULT_LOCATION,
    LOCATED_FAULTS,
    FaultLocation,
    LocationError,
)

__all__ = [
    "DEFAULT_RATE",
    "FAULT_NAMES",
    "REGISTRY",
    "FaultError",
    "FaultRegistry",
    "FiredFault",
    "check_name",
    "check_rate",
    "parse_since",
]

DEFAULT_RATE = 1.0
MAX_LOG_ENTRIES = 200_000


class FaultError(ValueError):
    """A request the registry refuses (answered 400); the message says why, in one line."""


def check_name(name: object) -> str:
    """``name`` when it is a fault name (the contract: ``_vendor.fault_names``); else FaultError."""
    if problem := name_problem(name):
        raise FaultError(problem)
    assert isinstance(name, str)
    return name


def check_rate(rate: object) -> float:
    """``rate`` as a float when it is in [0, 1]; else FaultError."""
    if problem := rate_problem(rate):
        raise FaultError(problem)
    assert isinstance(rate, int | float)
    return float(rate)


class FaultRegistry:
    """The active faults and the fired-fault log of one LocalStack process; thread-safe."""

    def __init__(
        self,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        max_log_entries: int = MAX_LOG_ENTRIES,
    ) -> None:
        self._rng = rng or random.Random()
        self._clock = clock
        self._lock = threading.Lock()
        self._rates: dict[str, float] = {}
        self._log: deque[FiredFault] = deque(maxlen=max_log_entries)
        self._locations: dict[tuple[str, str | None], FaultLocation] = {}
        self.dropped = 0  # entries pushed out of a full log (the oldest first)

    # ------------------------------------------------------------------ the active set

    def active(self) -> dict[str, float]:
        with self._lock:
            return dict(self._rates)

    def document(self) -> dict[str, Any]:
        """The active set in the shape the handlers read: ``{"faults": {NAME: {"rate": P}}}``."""
        return {"faults": {name: {"rate": rate} for name, rate in self.active().items()}}

    def set(self, name: str, rate: object = DEFAULT_RATE) -> None:
        checked_name, checked_rate = check_name(name), check_rate(rate)
        with self._lock:
            self._rates[checked_name] = checked_rate

    def replace(self, document: object) -> None:
        """Replaces the whole active set with ``{"faults": {NAME: {"rate": P}}}``; all or nothing."""
        if not isinstance(document, Mapping) or not isinstance(document.get("faults"), Mapping):
            raise FaultError('expected {"faults": {NAME: {"rate": P}}}')
        rates: dict[str, float] = {}
        for name, spec in document["faults"].items():
            if spec is None:
                spec = {}
            if not isinstance(spec, Mapping):
                raise FaultError(f'fault {name!r}: expected {{"rate": P}}')
            rates[check_name(name)] = check_rate(spec.get("rate", DEFAULT_RATE))
        with self._lock:
            self._rates = rates

    def clear(self, name: str | None = None) -> None:
        """Clears one fault (an unknown name is refused), or all of them."""
        if name is not None:
            check_name(name)
        with self._lock:
            if name is None:
                self._rates.clear()
            else:
                self._rates.pop(name, None)

    def rate(self, name: str) -> float:
        with self._lock:
            return self._rates.get(name, 0.0)

    def fires(self, name: str, markers: Iterable[str] = ()) -> Trigger | None:
        """Whether ``name`` fires for one request: by its marker first, else by a draw at its rate."""
        if name in set(markers):
            return "marker"
        rate = self.rate(name)
        if rate > 0:
            with self._lock:
                draw = self._rng.random()
            if draw < rate:
                return "rate"
        return None

    # ------------------------------------------------------------------ where the faults look

    def locate(self, raw: object) -> None:
        """Sets one location from ``{"fault", "resource"?, "orderIdPath"?, "orderIdPrefix"?,
        "markerPath"?}``; ``resource`` (a table or bus name) absent: the fault's default."""
        if not isinstance(raw, Mapping):
            raise FaultError('expected {"fault": NAME, "resource": R, "orderIdPath": P, "markerPath": P}')
        fault = check_name(raw.get("fault"))
        if fault not in LOCATED_FAULTS:
            raise FaultError(
                f"fault {fault!r} is fired by the chain's own code or the courier stub, which decide where "
                f"they read markers; locations are for {', '.join(LOCATED_FAULTS)}"
            )
        resource = raw.get("resource")
        if resource is not None and (not isinstance(resource, str) or not resource):
            raise FaultError(f"resource must be a table or bus name, got {resource!r}")
        try:
            location = FaultLocation.from_dict(raw)
        except LocationError as e:
            raise FaultError(str(e)) from None
        with self._lock:
            self._locations[(fault, resource)] = location

    def location(self, fault: str, resource: str | None) -> FaultLocation:
        """Where ``fault`` looks in a request to ``resource``: its own, else the fault's, else the default."""
        with self._lock:
            found = self._locations.get((fault, resource)) or self._locations.get((fault, None))
        return found or DEFAULT_LOCATION

    def locations(self) -> list[dict[str, Any]]:
        """Every configured location, as ``{"fault", "resource", "orderIdPath", ...}``."""
        with self._lock:
            items = sorted(self._locations.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        return [{"fault": f, "resource": r, **loc.to_dict()} for (f, r), loc in items]

    def forget_locations(self) -> None:
        """Every fault looks where the reference chain puts things again (``orderId``, ``chaos``)."""
        with self._lock:
            self._locations.clear()

    # ------------------------------------------------------------------ the log

    def record(
        self,
        fault: str,
        *,
        order_id: str | None,
        trigger: Trigger,
        detail: Mapping[str, Any] | None = None,
        at: float | None = None,
    ) -> FiredFault:
        entry = FiredFault(
            check_name(fault),
            order_id,
            trigger,
            self._clock() if at is None else at,
            dict(detail or {}),
        )
        self._append(entry)
        return entry

    def append(self, raw: object) -> FiredFault:
        """Appends an entry POSTed by a handler (validated; ``at`` defaults to now)."""
        try:
            entry = FiredFault.from_dict(raw, now=self._clock())
        except ValueError as e:
            raise FaultError(str(e)) from None
        self._append(entry)
        return entry

    def _append(self, entry: FiredFault) -> None:
        with self._lock:
            if self._log.maxlen is not None and len(self._log) == self._log.maxlen:
                self.dropped += 1
            self._log.append(entry)

    def entries(self, since: float | None = None) -> list[FiredFault]:
        """The log in the order entries arrived; only those at or after ``since`` when given."""
        with self._lock:
            return [e for e in self._log if since is None or e.at >= since]

    def drain(self, since: float | None = None) -> list[FiredFault]:
        """Removes and returns the entries at or after ``since`` (all when None), atomically."""
        with self._lock:
            taken = [e for e in self._log if since is None or e.at >= since]
            kept = [e for e in self._log if since is not None and e.at < since]
            self._log.clear()
            self._log.extend(kept)
            if since is None:
                self.dropped = 0
            return taken


def parse_since(value: str | None) -> float | None:
    """A ``since`` query parameter: epoch seconds, or None when absent; raises FaultError."""
    if value is None or value == "":
        return None
    try:
        since = float(value)
    except ValueError:
        raise FaultError(f"since must be epoch seconds, got {value!r}") from None
    if not math.isfinite(since):
        raise FaultError(f"since must be epoch seconds, got {value!r}")
    return since


REGISTRY = FaultRegistry()
"""The registry of this LocalStack process, shared by the routes and the providers."""
