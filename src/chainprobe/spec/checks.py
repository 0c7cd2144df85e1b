"""JSON checks: what a good API answer, DynamoDB item or event holds.

A check names a path and one condition: ``equals`` (a template rendered with the order's variables),
``matches`` (a regular expression the whole value must match) or ``exists`` (true or false).

Example::

    >>> check = EqualsCheck(path=FieldPath.parse("$.orderId"), expected="${order_id}")
    >>> check.failure({"orderId": "o-1"}, {"order_id": "o-1"}) is None
    True
    >>> check.failure({"orderId": "o-2"}, {"order_id": "o-1"})
    "$.orderId: expected 'o-1', got 'o-2'"

Numbers compare by value across int, float and ``Decimal`` (what boto3 gives for DynamoDB numbers),
so ``25.0`` equals ``Decimal('25')`` and ``0.1`` equals ``Decimal('0.1')``, also inside mappings and
lists; booleans only equal booleans; text never equals a number (``"7"`` is not ``7``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeGuard

from chainprobe.spec.paths import MISSING, FieldPath
from chainprobe.spec.template import Variables, render_value

__all__ = ["EqualsCheck", "ExistsCheck", "JsonCheck", "MatchesCheck", "failed_checks"]


@dataclass(frozen=True)
class EqualsCheck:
    """The value at ``path`` equals ``expected`` (strings inside are ``${name}`` templates)."""

    path: FieldPath
    expected: object

    def failure(self, document: object, variables: Variables) -> str | None:
        """``None`` when the check passes, else a one-line reason."""
        actual = self.path.get(document)
        if actual is MISSING:
            return f"{self.path}: missing"
        expected = render_value(self.expected, variables, field=str(self.path))
        return None if _same(actual, expected) else f"{self.path}: expected {expected!r}, got {actual!r}"


@dataclass(frozen=True)
class MatchesCheck:
    """The whole text of the value at ``path`` matches the regular expression ``pattern``."""

    path: FieldPath
    pattern: str

    def failure(self, document: object, variables: Variables) -> str | None:
        """``None`` when the check passes, else a one-line reason."""
        actual = self.path.get(document)
        if actual is MISSING:
            return f"{self.path}: missing"
        if not isinstance(actual, str | int | float | Decimal) or isinstance(actual, bool):
            return f"{self.path}: expected text matching {self.pattern!r}, got {actual!r}"
        if re.fullmatch(self.pattern, str(actual)) is None:
            return f"{self.path}: expected to match {self.pattern!r}, got {actual!r}"
        return None


@dataclass(frozen=True)
class ExistsCheck:
    """The path leads to a value (``exists: true``) or to nothing (``exists: false``)."""

    path: FieldPath
    exists: bool

    def failure(self, document: object, variables: Variables) -> str | None:
        """``None`` when the check passes, else a one-line reason."""
        present = self.path.get(document) is not MISSING
        if present == self.exists:
            return None
        return f"{self.path}: expected {'a value' if self.exists else 'no value'}"


type JsonCheck = EqualsCheck | MatchesCheck | ExistsCheck


def failed_checks(checks: tuple[JsonCheck, ...], document: object, variables: Variables) -> list[str]:
    """The reasons of every check that fails (empty when the document is good)."""
    reasons = (check.failure(document, variables) for check in checks)
    return [reason for reason in reasons if reason is not None]


def _same(actual: object, expected: object) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        return left == right
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        return actual.keys() == expected.keys() and all(_same(actual[k], expected[k]) for k in actual)
    if _is_list(actual) and _is_list(expected):
        return len(actual) == len(expected) and all(map(_same, actual, expected))
    return actual == expected


def _is_list(value: object) -> TypeGuard[Sequence[object]]:
    return isinstance(value, list | tuple)


def _number(value: object) -> Decimal | None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return None
