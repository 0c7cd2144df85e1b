"""Read a metric-math availability expression as a ratio of counts: ``1 - bad / total`` or ``good / total``.

SLO tools want counts (good or bad events, total events), not a ratio; the spec's SLI is a ratio. This
module finds the two counts in its expression::

    >>> split_ratio("1 - ((FILL(apiFailures,0) + FILL(lambdaFailures,0)) / MAX([totalRequests], 1))")
    RatioParts(kind='bad', numerator='FILL(apiFailures, 0) + FILL(lambdaFailures, 0)', total='totalRequests')
    >>> split_ratio("okRequests / allRequests")
    RatioParts(kind='good', numerator='okRequests', total='allRequests')

A total written ``MAX([x], 1)`` (the guard against dividing by zero in a period without traffic) is read
as ``x``: an SLO tool counts events over its own windows and has no empty period to guard. Any other
shape is not a ratio of counts: ``NotARatioError`` (one line, with the expression).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chainprobe.measure.metricmath.parser import (
    ArrayLiteral,
    Binary,
    Call,
    Keyword,
    Node,
    Number,
    Reference,
    String,
    Unary,
    parse,
)
from chainprobe.report.slo_export.exceptions import UnexpressibleSloError

__all__ = ["NotARatioError", "RatioParts", "render", "split_ratio"]

_PRECEDENCE = {
    "OR": 1,
    "AND": 2,
    **dict.fromkeys(("==", "!=", "<=", ">=", "<", ">"), 3),
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "^": 6,
}


class NotARatioError(UnexpressibleSloError):
    """The availability expression is not ``1 - bad / total`` nor ``good / total``."""


@dataclass(frozen=True, kw_only=True)
class RatioParts:
    """The numerator and total as metric-math expressions; ``kind`` says what the numerator counts."""

    kind: Literal["good", "bad"]
    numerator: str
    total: str


def split_ratio(expression: str) -> RatioParts:
    """The counts in ``expression`` (see the module docstring)."""
    tree = parse(expression)
    if (
        isinstance(tree, Binary)
        and tree.op == "-"
        and isinstance(tree.left, Number)
        and tree.left.value == 1
        and _is_division(tree.right)
    ):
        assert isinstance(tree.right, Binary)
        return RatioParts(kind="bad", numerator=render(tree.right.left), total=_total(tree.right.right))
    if _is_division(tree):
        assert isinstance(tree, Binary)
        return RatioParts(kind="good", numerator=render(tree.left), total=_total(tree.right))
    raise NotARatioError(
        f"the availability expression {expression!r} is neither 1 - bad / total nor good / total, "
        "so it names no counts an SLO tool could read"
    )


def render(node: Node) -> str:
    """``node`` as metric-math text; binary operands that are themselves binary get parentheses."""
    if isinstance(node, Number):
        return f"{node.value:g}"
    if isinstance(node, String):
        return '"' + node.value.replace('"', '\\"') + '"'
    if isinstance(node, Keyword):
        return node.name
    if isinstance(node, Reference):
        return node.id
    if isinstance(node, Unary):
        return f"{node.op}{_operand(node.operand)}"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(render(arg) for arg in node.args)})"
    if isinstance(node, ArrayLiteral):
        return f"[{', '.join(render(item) for item in node.items)}]"
    left, right = render(node.left), render(node.right)
    right_associative = node.op == "^"
    if isinstance(node.left, Binary) and _binds_looser(node.left.op, node.op, ties=right_associative):
        left = f"({left})"
    if isinstance(node.right, Binary) and _binds_looser(node.right.op, node.op, ties=not right_associative):
        right = f"({right})"
    return f"{left} {node.op} {right}"


def _binds_looser(inner: str, outer: str, *, ties: bool) -> bool:
    """Whether an operand with operator ``inner`` needs parentheses under ``outer``."""
    if ties:
        return _PRECEDENCE[inner] <= _PRECEDENCE[outer]
    return _PRECEDENCE[inner] < _PRECEDENCE[outer]


def _operand(node: Node) -> str:
    return f"({render(node)})" if isinstance(node, Binary) else render(node)


def _is_division(node: Node) -> bool:
    return isinstance(node, Binary) and node.op == "/"


def _total(node: Node) -> str:
    """``MAX([x], 1)`` is ``x``; anything else as written."""
    if (
        isinstance(node, Call)
        and node.name.upper() == "MAX"
        and len(node.args) == 2
        and isinstance(node.args[0], ArrayLiteral)
        and len(node.args[0].items) == 1
        and isinstance(node.args[1], Number)
        and node.args[1].value == 1
    ):
        return render(node.args[0].items[0])
    return render(node)
