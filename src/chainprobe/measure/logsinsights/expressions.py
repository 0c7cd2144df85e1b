"""The expression tree a query's commands carry, each node with its source text and offset.

A node's ``text`` is how the query wrote it: a result names an unaliased expression by it
(``count(*)``, ``avg(latency)``), as CloudWatch does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .values import Value


@dataclass(frozen=True)
class FieldRef:
    name: str
    text: str
    position: int


@dataclass(frozen=True)
class Literal:
    value: Value
    text: str
    position: int


@dataclass(frozen=True)
class Duration:
    """``5m`` as written in ``bin(5m)``: a length of time in milliseconds."""

    millis: int
    text: str
    position: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    text: str
    position: int


@dataclass(frozen=True)
class Binary:
    op: str  # arithmetic, comparison, "and", "or"
    left: Expr
    right: Expr
    text: str
    position: int


@dataclass(frozen=True)
class Call:
    name: str  # lower case
    args: tuple[Expr, ...]
    text: str
    position: int
    star: bool = False  # count(*)


@dataclass(frozen=True)
class Like:
    """``f like "text"`` (substring), ``f like /re/`` and ``f =~ /re/`` (regex search)."""

    operand: Expr
    pattern: str
    regex: bool
    negated: bool
    text: str
    position: int


@dataclass(frozen=True)
class In:
    operand: Expr
    choices: tuple[Expr, ...]
    negated: bool
    text: str
    position: int


Expr = FieldRef | Literal | Duration | Unary | Binary | Call | Like | In


def walk(expr: Expr) -> list[Expr]:
    """The node and every node under it, depth first."""
    nodes: list[Expr] = [expr]
    children: tuple[Expr, ...] = ()
    if isinstance(expr, Unary):
        children = (expr.operand,)
    elif isinstance(expr, Binary):
        children = (expr.left, expr.right)
    elif isinstance(expr, Call):
        children = expr.args
    elif isinstance(expr, Like):
        children = (expr.operand,)
    elif isinstance(expr, In):
        children = (expr.operand, *expr.choices)
    for child in children:
        nodes.extend(walk(child))
    return nodes
