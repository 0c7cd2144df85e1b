"""Where a managed-service fault finds an order's id and its fault markers: configuration, not code.

A chain keys its records its own way. ``dynamodb-throttle`` looks into the item a PutItem writes,
``events-entry-failure`` into a PutEvents entry's ``Detail``; a ``FaultLocation`` says where, in that
document, the order id and the list of fault markers sit:

- ``order_id_path``: a dotted path (``orderId``, ``order.ref``, ``pk``) to a string; with
  ``order_id_prefix`` (``ORDER#``) that prefix is taken off (a value without it is no order id).
- ``marker_path``: a dotted path (``chaos``, ``meta.faults``) to a list of fault names.

In a DynamoDB item each step goes through a map attribute (``{"M": {...}}``), the id is an ``S`` and
the markers an ``L`` of ``S`` or an ``SS``. In an event detail the path walks plain JSON objects.

A location is kept per fault and resource (the table of a PutItem, the bus of a PutEvents entry); a
fault without one for its resource uses the fault's own default (resource ``None``), else
``DEFAULT_LOCATION`` (``orderId``, ``chaos``): the reference chain's contract. ::

    >>> location = FaultLocation.from_dict({"orderIdPath": "pk", "orderIdPrefix": "ORDER#",
    ...                                     "markerPath": "meta.faults"})
    >>> item = {"pk": {"S": "ORDER#o-1"}, "meta": {"M": {"faults": {"L": [{"S": "dynamodb-throttle"}]}}}}
    >>> location.item_order_id(item), location.item_markers(item)
    ('o-1', ['dynamodb-throttle'])
    >>> detail = {"orderId": "o-2", "chaos": ["x"]}
    >>> DEFAULT_LOCATION.detail_order_id(detail), DEFAULT_LOCATION.detail_markers(detail)
    ('o-2', ['x'])

No LocalStack import: the providers and the routes import this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chainprobe_localstack._vendor.fault_names import LOCATED_FAULTS

__all__ = ["DEFAULT_LOCATION", "LOCATED_FAULTS", "FaultLocation", "LocationError", "resource_name"]


_SEGMENT = r"[A-Za-z0-9_\-#$@:]+"
_PATH = re.compile(rf"{_SEGMENT}(\.{_SEGMENT})*")
_FIELDS = ("orderIdPath", "orderIdPrefix", "markerPath")
MAX_PATH = 256


class LocationError(ValueError):
    """A location the registry refuses; the message says why, in one line."""


def parse_path(text: object, field: str) -> tuple[str, ...]:
    """A dotted path as its steps; LocationError unless it is one (``a.b.c``, no empty step)."""
    if not isinstance(text, str) or len(text) > MAX_PATH or not _PATH.fullmatch(text):
        raise LocationError(f"{field} must be a dotted path such as order.ref, got {text!r}")
    return tuple(text.split("."))


@dataclass(frozen=True)
class FaultLocation:
    """Where the order id and the fault markers sit in the document a fault looks at."""

    order_id_path: tuple[str, ...] = ("orderId",)
    marker_path: tuple[str, ...] = ("chaos",)
    order_id_prefix: str = ""

    @classmethod
    def from_dict(cls, raw: object) -> FaultLocation:
        """From ``{"orderIdPath", "orderIdPrefix", "markerPath"}`` (each optional: the default's)."""
        if not isinstance(raw, Mapping):
            raise LocationError('expected {"orderIdPath": P, "orderIdPrefix": S, "markerPath": P}')
        unknown = sorted(set(raw) - {*_FIELDS, "fault", "resource"})
        if unknown:
            raise LocationError(f"unknown field(s) in a fault location: {', '.join(map(str, unknown))}")
        prefix = raw.get("orderIdPrefix") or ""
        if not isinstance(prefix, str) or len(prefix) > MAX_PATH:
            raise LocationError(f"orderIdPrefix must be a string, got {prefix!r}")
        default = DEFAULT_LOCATION
        order_id = raw.get("orderIdPath")
        marker = raw.get("markerPath")
        return cls(
            order_id_path=default.order_id_path if order_id is None else parse_path(order_id, "orderIdPath"),
            marker_path=default.marker_path if marker is None else parse_path(marker, "markerPath"),
            order_id_prefix=prefix,
        )

    def to_dict(self) -> dict[str, str]:
        return {
            "orderIdPath": ".".join(self.order_id_path),
            "orderIdPrefix": self.order_id_prefix,
            "markerPath": ".".join(self.marker_path),
        }

    # ------------------------------------------------------------------ a DynamoDB item (typed JSON)

    def item_order_id(self, item: Mapping[str, Any]) -> str | None:
        value = _item_value(item, self.order_id_path)
        text = value.get("S") if isinstance(value, Mapping) else None
        return self._strip(text)

    def item_markers(self, item: Mapping[str, Any]) -> list[str]:
        value = _item_value(item, self.marker_path)
        if not isinstance(value, Mapping):
            return []
        if isinstance(value.get("SS"), list):
            return [s for s in value["SS"] if isinstance(s, str)]
        if isinstance(value.get("L"), list):
            strings = (v.get("S") for v in value["L"] if isinstance(v, Mapping))
            return [s for s in strings if isinstance(s, str)]
        return []

    # ------------------------------------------------------------------ an event detail (plain JSON)

    def detail_order_id(self, detail: Mapping[str, Any]) -> str | None:
        value = _json_value(detail, self.order_id_path)
        return self._strip(value if isinstance(value, str) else None)

    def detail_markers(self, detail: Mapping[str, Any]) -> list[str]:
        value = _json_value(detail, self.marker_path)
        if isinstance(value, list):
            return [s for s in value if isinstance(s, str)]
        return []

    def _strip(self, text: str | None) -> str | None:
        if text is None or not text.startswith(self.order_id_prefix):
            return None
        return text[len(self.order_id_prefix) :] or None


DEFAULT_LOCATION = FaultLocation()
"""The reference chain's contract: a top-level ``orderId`` and a top-level ``chaos`` list."""


def _json_value(document: Mapping[str, Any], path: tuple[str, ...]) -> object:
    current: object = document
    for step in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(step)
    return current


def _item_value(item: Mapping[str, Any], path: tuple[str, ...]) -> object:
    current: object = item.get(path[0])
    for step in path[1:]:
        inner = current.get("M") if isinstance(current, Mapping) else None
        if not isinstance(inner, Mapping):
            return None
        current = inner.get(step)
    return current


def resource_name(value: object) -> str | None:
    """A table or bus name as given, or the name inside its ARN (``arn:…:table/Orders`` -> ``Orders``)."""
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("arn:"):
        return value.rsplit("/", 1)[-1]
    return value
