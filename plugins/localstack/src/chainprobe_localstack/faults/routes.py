"""The fault registry on LocalStack's own gateway (edge router), registered when LocalStack starts.

``/_chainprobe/faults``
    GET     ``{"faults": {NAME: {"rate": P}}}``: the active set, the shape the handlers read.
    PUT     the same shape: replaces the whole active set (all or nothing; ``rate`` defaults to 1).
    DELETE  clears every fault.
``/_chainprobe/faults/NAME``
    GET     ``{"fault": NAME, "rate": P}``, or 404 when not active.
    PUT     ``{"rate": P}`` (body optional, rate 1): sets one fault, the others stay.
    DELETE  clears one fault (clearing an inactive one is fine).
``/_chainprobe/faults/locations``
    GET     ``{"locations": [{"fault", "resource", "orderIdPath", "orderIdPrefix", "markerPath"}]}``:
            where ``dynamodb-throttle`` (in the item, per table) and ``events-entry-failure`` (in the
            event detail, per bus) find an order's id and its markers; none listed: ``orderId``, ``chaos``.
    PUT     one location ``{"fault", "resource"?, "orderIdPath"?, "orderIdPrefix"?, "markerPath"?}``
            (``resource`` absent: every table or bus without one of its own); answers the list.
    DELETE  forgets every location (the defaults again); answers the (empty) list.
``/_chainprobe/faults/log``
    GET     ``{"log": [ENTRY, ...], "dropped": N}``, oldest first; ``?since=EPOCH`` keeps entries
            with ``at >= since``.
    POST    one ENTRY ``{"fault", "orderId", "trigger", "at"?, "detail"?}``: 201 with the entry.
    DELETE  removes the entries (``?since=`` as GET) and answers them, atomically.

An unknown fault name, a rate outside [0, 1] or a malformed body is answered 400
``{"error": "...", "message": "..."}``.
"""

from __future__ import annotations

import json
from typing import Any

from localstack.http import Request, Response, route
from localstack.runtime import hooks
from localstack.services.edge import ROUTER

from chainprobe_localstack.faults.registry import (
    REGISTRY,
    FaultError,
    FaultRegistry,
    check_name,
    parse_since,
)

PREFIX = "/_chainprobe/faults"


def _json(document: Any, status: int = 200) -> Response:
    return Response.for_json(document, status=status)


def _error(exc: Exception, status: int = 400) -> Response:
    return _json({"error": type(exc).__name__, "message": str(exc)}, status=status)


def _body(request: Request, *, required: bool) -> Any:
    raw = request.get_data()
    if not raw.strip():
        if required:
            raise FaultError("a JSON body is required")
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise FaultError("the body is not JSON") from None


class FaultsApi:
    """The HTTP face of a ``FaultRegistry``."""

    def __init__(self, registry: FaultRegistry = REGISTRY) -> None:
        self.registry = registry

    @route(PREFIX, methods=["GET", "PUT", "DELETE"])
    def faults(self, request: Request) -> Response:
        try:
            if request.method == "PUT":
                self.registry.replace(_body(request, required=True))
            elif request.method == "DELETE":
                self.registry.clear()
        except FaultError as exc:
            return _error(exc)
        return _json(self.registry.document())

    @route(f"{PREFIX}/locations", methods=["GET", "PUT", "DELETE"])
    def locations(self, request: Request) -> Response:
        try:
            if request.method == "PUT":
                self.registry.locate(_body(request, required=True))
            elif request.method == "DELETE":
                self.registry.forget_locations()
        except FaultError as exc:
            return _error(exc)
        return _json({"locations": self.registry.locations()})

    @route(f"{PREFIX}/log", methods=["GET", "POST", "DELETE"])
    def log(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                entry = self.registry.append(_body(request, required=True))
                return _json(entry.to_dict(), status=201)
            since = parse_since(request.args.get("since"))
        except FaultError as exc:
            return _error(exc)
        dropped = self.registry.dropped
        entries = self.registry.drain(since) if request.method == "DELETE" else self.registry.entries(since)
        return _json({"log": [e.to_dict() for e in entries], "dropped": dropped})

    @route(f"{PREFIX}/<name>", methods=["GET", "PUT", "DELETE"])
    def fault(self, request: Request, name: str) -> Response:
        try:
            if request.method == "PUT":
                body = _body(request, required=False)
                if body is not None and not isinstance(body, dict):
                    raise FaultError('expected {"rate": P}')
                self.registry.set(name, (body or {}).get("rate", 1.0))
            elif request.method == "DELETE":
                self.registry.clear(name)
            else:
                check_name(name)
        except FaultError as exc:
            return _error(exc)
        active = self.registry.active()
        if request.method == "GET" and name not in active:
            return _json({"error": "NotActive", "message": f"fault {name!r} is not active"}, status=404)
        if request.method == "DELETE":
            return _json(self.registry.document())
        return _json({"fault": name, "rate": active[name]})


@hooks.on_infra_start()
def register_chainprobe_fault_routes() -> None:
    """Adds the fault registry's routes to LocalStack's edge router."""
    ROUTER.add(FaultsApi())
