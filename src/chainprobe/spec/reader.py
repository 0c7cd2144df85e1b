"""A strict reader over parsed YAML: every value knows its field path, every mistake is one line.

The loader walks the document with ``Node`` (a value and where it sits) and ``Fields`` (a mapping
whose keys are checked against the ones the format defines), converting leaves with the ``Node``
methods. Every failure raises a ``SpecError`` subclass naming the file and the field path.

Example::

    >>> root = Node(value={"objective": "high"}, path="slo.availability", source="probes/x.yaml")
    >>> objective = Fields(root, required=("objective",)).get("objective")
    >>> objective.number(low=0, high=1)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    WrongTypeError: probes/x.yaml: slo.availability.objective: expected a number between 0 and 1, got 'high'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

from chainprobe.spec.exceptions import (
    InvalidValueError,
    MissingFieldError,
    SpecError,
    UnknownFieldError,
    WrongTypeError,
)

__all__ = ["Fields", "Node", "describe"]


@dataclass(frozen=True)
class Node:
    """A parsed YAML value, its dotted field path and the file it came from."""

    value: object
    path: str
    source: str

    def fail(self, error: type[SpecError], reason: str) -> NoReturn:
        """Raise ``error`` naming this node's file and field."""
        raise error(reason, source=self.source, field=self.path or None)

    def wrong_type(self, expected: str) -> NoReturn:
        """Raise ``WrongTypeError``: expected ``expected``, got the value."""
        self.fail(WrongTypeError, f"expected {expected}, got {describe(self.value)}")

    def invalid(self, expected: str) -> NoReturn:
        """Raise ``InvalidValueError``: expected ``expected``, got the value."""
        self.fail(InvalidValueError, f"expected {expected}, got {describe(self.value)}")

    def child(self, key: str | int) -> Node:
        """A node for ``key`` (a mapping key or list index) of this node's value."""
        path = f"{self.path}[{key}]" if isinstance(key, int) else (f"{self.path}.{key}" if self.path else key)
        container = self.value
        value: object = None
        if isinstance(container, dict):
            value = container.get(key)
        elif isinstance(container, list) and isinstance(key, int):
            value = container[key]
        return Node(value=value, path=path, source=self.source)

    def text(self, *, pattern: str | None = None, expected: str = "a string") -> str:
        """A non-empty string, optionally matching ``pattern`` in full."""
        if not isinstance(self.value, str):
            self.wrong_type(expected)
        if not self.value.strip() or (pattern is not None and re.fullmatch(pattern, self.value) is None):
            self.invalid(expected)
        return self.value

    def choice(self, choices: Iterable[str]) -> str:
        """One of ``choices``."""
        options = tuple(choices)
        expected = "one of " + ", ".join(options)
        if not isinstance(self.value, str):
            self.wrong_type(expected)
        if self.value not in options:
            self.invalid(expected)
        return self.value

    def number(
        self,
        *,
        low: float | None = None,
        high: float | None = None,
        open_low: bool = False,
        open_high: bool = False,
    ) -> float:
        """An int or float within the given bounds (booleans are not numbers)."""
        expected = _number_phrase(low, high, open_low)
        if not isinstance(self.value, int | float) or isinstance(self.value, bool):
            self.wrong_type(expected)
        value = float(self.value)
        too_low = low is not None and (value <= low if open_low else value < low)
        too_high = high is not None and (value >= high if open_high else value > high)
        if too_low or too_high or value != value:
            self.invalid(expected)
        return value

    def integer(self, *, low: int | None = None, high: int | None = None) -> int:
        """An int within ``[low, high]``."""
        expected = "an integer" + _range_phrase(low, high)
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            self.wrong_type(expected)
        if (low is not None and self.value < low) or (high is not None and self.value > high):
            self.invalid(expected)
        return self.value

    def boolean(self) -> bool:
        """``true`` or ``false``."""
        if not isinstance(self.value, bool):
            self.wrong_type("true or false")
        return self.value

    def items(self, *, expected: str = "a list", allow_empty: bool = False) -> list[Node]:
        """The nodes of a list."""
        if not isinstance(self.value, list):
            self.wrong_type(expected)
        if not self.value and not allow_empty:
            self.invalid(f"{expected} with at least one entry")
        return [self.child(index) for index in range(len(self.value))]

    def mapping(self, *, expected: str = "a mapping") -> dict[str, Node]:
        """The nodes of a mapping whose keys are strings."""
        if not isinstance(self.value, dict):
            self.wrong_type(expected)
        for key in self.value:
            if not isinstance(key, str):
                self.fail(WrongTypeError, f"expected text keys, got the key {describe(key)}")
        return {key: self.child(key) for key in self.value}


class Fields:
    """A mapping node whose keys must be among ``required`` and ``optional``, with every required one present.

    Unknown keys raise ``UnknownFieldError`` (suggesting the closest known one), missing ones
    ``MissingFieldError``.
    """

    def __init__(self, node: Node, *, required: Iterable[str] = (), optional: Iterable[str] = ()) -> None:
        self._node = node
        self._nodes = node.mapping()
        self._required = tuple(required)
        known = (*self._required, *optional)
        for key, child in self._nodes.items():
            if key not in known:
                child.fail(UnknownFieldError, _unknown_reason(key, known))
        for key in self._required:
            if key not in self._nodes:
                node.child(key).fail(MissingFieldError, "required field missing")

    @property
    def node(self) -> Node:
        """The mapping node itself."""
        return self._node

    def get(self, key: str) -> Node:
        """The node of a required field (or of an optional one known to be present)."""
        return self._nodes[key]

    def optional(self, key: str) -> Node | None:
        """The node of an optional field, ``None`` when absent or null."""
        child = self._nodes.get(key)
        return None if child is None or child.value is None else child

    def has(self, key: str) -> bool:
        """Whether the field is present (and not null)."""
        return self.optional(key) is not None


def describe(value: object) -> str:
    """How a bad value is shown in an error: short, on one line."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _unknown_reason(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown field{hint}; expected one of: {', '.join(sorted(known))}"


def _number_phrase(low: float | None, high: float | None, open_low: bool = False) -> str:
    if low is not None and high is not None:
        return f"a number between {low:g} and {high:g}"
    return "a number" + _range_phrase(low, high, open_low)


def _range_phrase(low: float | None, high: float | None, open_low: bool = False) -> str:
    if low is not None and high is not None:
        return f" between {low:g} and {high:g}"
    if low is not None:
        return f" greater than {low:g}" if open_low else f" of at least {low:g}"
    if high is not None:
        return f" of at most {high:g}"
    return ""
