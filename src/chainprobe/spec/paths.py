"""Field paths into JSON documents: dotted (``detail.orderId``) or simple JSONPath (``$.status``).

Both spellings denote the same path; a path may index lists (``items[0].sku``) and quote odd keys
(``$['detail-type']``).

Example::

    >>> path = FieldPath.parse("$.detail.orderId")
    >>> path.get({"detail": {"orderId": "o-1"}})
    'o-1'
    >>> doc: dict[str, object] = {}
    >>> FieldPath.parse("probe.runId").set(doc, "r-1")
    >>> doc
    {'probe': {'runId': 'r-1'}}

Limitations: no wildcards, filters, slices or recursive descent; ``get`` returns the ``MISSING``
sentinel (not ``None``, which is a legitimate JSON value) when the path leads nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = ["MISSING", "FieldPath", "Missing"]


class Missing(Enum):
    """The type of ``MISSING``: a path that leads to no value."""

    MISSING = "MISSING"


MISSING = Missing.MISSING

_NAME = r"[A-Za-z_][A-Za-z0-9_\-]*"
_SEGMENT = re.compile(rf"\.({_NAME})|\[(\d+)\]|\['([^']+)'\]")
_FIRST = re.compile(_NAME)


@dataclass(frozen=True)
class FieldPath:
    """A parsed path: ``text`` as written, ``parts`` the keys (str) and list indexes (int)."""

    text: str
    parts: tuple[str | int, ...]

    @classmethod
    def parse(cls, text: str) -> FieldPath:
        """Parse a dotted path or a ``$``-rooted JSONPath; raises ``ValueError`` when malformed."""
        rest, parts = _split_root(text)
        position = 0
        while position < len(rest):
            match = _SEGMENT.match(rest, position)
            if match is None:
                raise ValueError(f"expected a path such as orderId, detail.orderId or $.status, got {text!r}")
            name, index, quoted = match.groups()
            parts.append(int(index) if index is not None else (name or quoted))
            position = match.end()
        return cls(text=text, parts=tuple(parts))

    def __str__(self) -> str:
        return self.text

    def get(self, document: object) -> object:
        """The value at this path in ``document``, or ``MISSING``."""
        current = document
        for part in self.parts:
            current = _step(current, part)
            if current is MISSING:
                return MISSING
        return current

    def set(self, document: MutableMapping[str, object], value: object) -> None:
        """Put ``value`` at this path, creating intermediate mappings; list indexes must exist."""
        if not self.parts:
            raise ValueError("cannot set the document root")
        current: object = document
        for part, following in zip(self.parts, self.parts[1:], strict=False):
            nxt = _step(current, part)
            if nxt is MISSING or not isinstance(nxt, MutableMapping | list):
                nxt = {} if isinstance(following, str) else []
                _assign(current, part, nxt, self.text)
            current = nxt
        _assign(current, self.parts[-1], value, self.text)


def _split_root(text: str) -> tuple[str, list[str | int]]:
    if text.startswith("$"):
        return text[1:], []
    first = _FIRST.match(text)
    if first is None:
        raise ValueError(f"expected a path such as orderId, detail.orderId or $.status, got {text!r}")
    return text[first.end() :], [first.group(0)]


def _step(current: object, part: str | int) -> object:
    if isinstance(part, str):
        if isinstance(current, Mapping) and part in current:
            return current[part]
        return MISSING
    if isinstance(current, Sequence) and not isinstance(current, str) and 0 <= part < len(current):
        return current[part]
    return MISSING


def _assign(container: object, part: str | int, value: object, text: str) -> None:
    if isinstance(part, str) and isinstance(container, MutableMapping):
        container[part] = value
        return
    if isinstance(part, int) and isinstance(container, list) and 0 <= part < len(container):
        container[part] = value
        return
    raise ValueError(f"cannot set {text!r}: {part!r} does not fit the document's shape")
