"""A client for the local stack's fault registry (``/_chainprobe/faults`` on LocalStack's gateway).

The registry is served by the project's LocalStack plugin (``chainprobe_localstack.faults``): the
active faults with their rates, read by the chain's handlers, and the ground-truth log of every
fault that fired, written by the plugins (DynamoDB, EventBridge) and by the handlers.

Example::

    faults = FaultRegistryClient.for_endpoint("http://127.0.0.1:4566")
    faults.set("handler-500", rate=0.5)
    ...
    fired = faults.log(since=started)     # [FiredFault(fault="handler-500", order_id=..., ...)]
    faults.clear()

Where the plugin's own faults (``dynamodb-throttle``: the item a PutItem writes, ``events-entry-failure``:
a PutEvents entry's detail) find an order's id and its markers is configuration, per table or bus
(default: a top-level ``orderId`` and ``chaos``)::

    faults.locate(FaultLocation("dynamodb-throttle", resource="Orders2", order_id_path="pk",
                                order_id_prefix="ORDER#", marker_path="meta.faults"))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from chainprobe.stacks.exceptions import StackError
from chainprobe.stacks.local.fault_names import (
    FAULT_NAMES,
    LOCATED_FAULTS,
    FiredFault,
    name_problem,
    rate_problem,
)

__all__ = [
    "FAULTS_PATH",
    "FAULT_NAMES",
    "LOCATED_FAULTS",
    "FaultLocation",
    "FaultRegistryClient",
    "FaultRegistryUnavailable",
    "FaultUsageError",
    "FiredFault",
    "check_name",
    "check_rate",
]

FAULTS_PATH = "/_chainprobe/faults"


@dataclass(frozen=True)
class FaultLocation:
    """Where ``fault`` finds an order's id and its markers in requests to ``resource`` (a table for
    ``dynamodb-throttle``, a bus for ``events-entry-failure``; None: every one without its own).
    Paths are dotted (``order.ref``); ``order_id_prefix`` is taken off the id (``ORDER#``)."""

    fault: str
    resource: str | None = None
    order_id_path: str = "orderId"
    marker_path: str = "chaos"
    order_id_prefix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "resource": self.resource,
            "orderIdPath": self.order_id_path,
            "orderIdPrefix": self.order_id_prefix,
            "markerPath": self.marker_path,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FaultLocation:
        return cls(
            fault=str(raw.get("fault")),
            resource=None if raw.get("resource") is None else str(raw["resource"]),
            order_id_path=str(raw.get("orderIdPath") or "orderId"),
            marker_path=str(raw.get("markerPath") or "chaos"),
            order_id_prefix=str(raw.get("orderIdPrefix") or ""),
        )

    def describe(self) -> str:
        throttle = self.fault == "dynamodb-throttle"
        where, kind = ("the item", "table") if throttle else ("the event detail", "bus")
        prefix = f" (less {self.order_id_prefix!r})" if self.order_id_prefix else ""
        scope = self.resource or f"every {kind}"
        return (
            f"{self.fault:22} on {scope}: order id at {self.order_id_path}{prefix}, "
            f"markers at {self.marker_path} in {where}"
        )


class FaultUsageError(ValueError):
    """An unknown fault name or a rate outside [0, 1]: the caller's mistake, one line."""


class FaultRegistryUnavailable(StackError):
    """The registry cannot be reached, or this LocalStack was started without it."""


def check_name(name: str) -> str:
    """``name`` when it is a fault name (the contract: ``fault_names``); else FaultUsageError."""
    if problem := name_problem(name):
        raise FaultUsageError(problem)
    return name


def check_rate(rate: float) -> float:
    """``rate`` when it is in [0, 1]; else FaultUsageError."""
    if problem := rate_problem(rate):
        raise FaultUsageError(problem)
    return rate


class FaultRegistryClient:
    """Sets and clears faults and reads the fired-fault log of one local stack."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def for_endpoint(cls, aws_endpoint_url: str, *, timeout: float = 5.0) -> FaultRegistryClient:
        """The registry of the LocalStack answering at ``aws_endpoint_url``."""
        return cls(f"{aws_endpoint_url.rstrip('/')}{FAULTS_PATH}", timeout=timeout)

    # ------------------------------------------------------------------ the active faults

    def active(self) -> dict[str, float]:
        """Fault name -> rate, for every active fault."""
        return self._rates(self._call("GET", ""))

    def document(self) -> dict[str, Any]:
        """The active faults exactly as the handlers read them: ``{"faults": {NAME: {"rate": P}}}``."""
        answer: dict[str, Any] = self._call("GET", "")
        return answer

    def set(self, name: str, rate: float = 1.0) -> dict[str, float]:
        """Activates ``name`` at ``rate`` (1: every request); the other faults stay. Returns the set."""
        self._call("PUT", f"/{check_name(name)}", json={"rate": check_rate(rate)})
        return self.active()

    def replace(self, rates: Mapping[str, float]) -> dict[str, float]:
        """Makes ``rates`` the whole active set (all or nothing)."""
        document = {"faults": {check_name(n): {"rate": check_rate(r)} for n, r in rates.items()}}
        return self._rates(self._call("PUT", "", json=document))

    def clear(self, name: str | None = None) -> dict[str, float]:
        """Clears one fault, or all of them; returns what stays active."""
        path = "" if name is None else f"/{check_name(name)}"
        return self._rates(self._call("DELETE", path))

    # ------------------------------------------------------------------ where the plugin's faults look

    def locate(self, location: FaultLocation) -> list[FaultLocation]:
        """Sets where ``location.fault`` looks (a registry 400 is a FaultUsageError); returns them all."""
        if location.fault not in LOCATED_FAULTS:
            raise FaultUsageError(
                f"{location.fault} is fired by the reference chain's code or the courier stub, not by the "
                f"local stack: only {', '.join(LOCATED_FAULTS)} take --order-id-path/--marker-path"
            )
        return self._locations(self._call("PUT", "/locations", json=location.to_dict()))

    def locations(self) -> list[FaultLocation]:
        """Every configured location (none: every fault looks at ``orderId`` and ``chaos``)."""
        return self._locations(self._call("GET", "/locations"))

    def forget_locations(self) -> list[FaultLocation]:
        """Every fault looks at ``orderId`` and ``chaos`` again."""
        return self._locations(self._call("DELETE", "/locations"))

    @staticmethod
    def _locations(answer: Mapping[str, Any]) -> list[FaultLocation]:
        return [FaultLocation.from_dict(raw) for raw in answer.get("locations", []) if isinstance(raw, dict)]

    # ------------------------------------------------------------------ the ground-truth log

    def log(self, since: float | None = None) -> list[FiredFault]:
        """Every fault that fired (at or after ``since``), oldest first."""
        answer = self._call("GET", "/log", params=self._since(since))
        return [self._entry(entry) for entry in answer.get("log", [])]

    def clear_log(self, since: float | None = None) -> list[FiredFault]:
        """Removes the entries (at or after ``since``) and returns them, atomically."""
        answer = self._call("DELETE", "/log", params=self._since(since))
        return [self._entry(entry) for entry in answer.get("log", [])]

    def record(self, entry: FiredFault) -> FiredFault:
        """Appends one entry, as a handler does."""
        return self._entry(self._call("POST", "/log", json=entry.to_dict()))

    # ------------------------------------------------------------------ plumbing

    def _entry(self, raw: object) -> FiredFault:
        try:
            return FiredFault.from_dict(raw)
        except ValueError as e:  # a plugin of another version: ``chainprobe install`` reinstalls it
            raise FaultRegistryUnavailable(f"fault registry at {self.base_url} logged {raw!r}: {e}") from None

    @staticmethod
    def _since(since: float | None) -> dict[str, str]:
        return {} if since is None else {"since": repr(float(since))}

    @staticmethod
    def _rates(document: Mapping[str, Any]) -> dict[str, float]:
        faults = document.get("faults") or {}
        return {str(name): float(spec.get("rate", 0)) for name, spec in faults.items()}

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        try:
            response = httpx.request(method, url, json=json, params=params, timeout=self.timeout)
        except httpx.HTTPError as e:
            raise FaultRegistryUnavailable(f"fault registry at {self.base_url}: {e}") from e
        if response.status_code == 400:
            raise FaultUsageError(self._message(response))
        if response.status_code == 404:  # the client never asks for one fault by name
            raise FaultRegistryUnavailable(
                f"no fault registry at {self.base_url}: this LocalStack runs without chainprobe's "
                "fault plugin (restart it: chainprobe down, then up)"
            )
        if response.status_code >= 300:
            status, message = response.status_code, self._message(response)
            raise FaultRegistryUnavailable(f"fault registry at {self.base_url} answered {status}: {message}")
        try:
            answer = response.json()
        except ValueError as e:
            raise FaultRegistryUnavailable(f"fault registry at {self.base_url} did not answer JSON") from e
        if not isinstance(answer, dict):
            raise FaultRegistryUnavailable(f"fault registry at {self.base_url} answered {answer!r}")
        return answer

    @staticmethod
    def _message(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()[:200] or f"HTTP {response.status_code}"
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return str(body["message"])
        return str(body)[:200]
