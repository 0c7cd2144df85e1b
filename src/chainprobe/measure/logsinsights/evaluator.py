"""Runs a parsed query over log events: each command in turn, then the result's rows.

Follows AWS where it is explicit: results are lists of ``{"field", "value"}`` strings; a field
absent from a row is left out of that row; a query without ``stats`` and without ``sort`` is sorted
by ``@timestamp`` descending; at most ``limit`` rows (10,000 by default, StartQuery's default).

Where AWS's documentation is silent, the choices made here:

- Events are read in ``@timestamp`` order (ties: the order given), so ``stats`` groups come in the
  order of their first event, and ``earliest``/``latest`` are well defined; a query without
  ``stats`` or ``sort`` reads them newest first, so its ``limit`` keeps the newest.
- A comparison, ``like`` or ``in`` with an absent operand is false, negated or not (``!=``,
  ``not like``, ``not in`` included).
- Fields shown: those of the last ``display`` if any; else those of the last ``stats`` followed by
  the ``fields`` after it; else those of every ``fields``, in order; else ``@timestamp``,
  ``@message``, ``@logStream`` and ``@log``. ``stats`` shows its ``by`` fields first.
- A row whose ``by`` field is absent is grouped with the others where it is absent.
- ``sort`` puts rows where the key is absent last in both directions; numbers sort as numbers,
  timestamps by time, text by code point, numbers before text.
- ``recordsScanned`` counts the events given, ``recordsMatched`` the rows left after the filters
  before the first ``stats`` (or after all of them when there is none), before ``limit``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .aggregates import AGGREGATES
from .commands import Command, Display, Fields, Filter, Item, Limit, Parse, Query, Sort, Stats
from .expressions import Binary, Call, Duration, Expr, FieldRef, In, Like, Literal, Unary
from .functions import SCALAR_FUNCTIONS
from .parser import group_name, parse
from .records import LogEvent, record
from .values import Value, as_number, render, truthy

Row = dict[str, Value]
ResultField = dict[str, str]
DEFAULT_LIMIT = 10_000
DEFAULT_FIELDS = ("@timestamp", "@message", "@logStream", "@log")


@dataclass(frozen=True)
class QueryResult:
    """What GetQueryResults returns for a completed query."""

    results: list[list[ResultField]]
    records_matched: int
    records_scanned: int
    bytes_scanned: int


def evaluate(query: str | Query, events: Iterable[LogEvent], *, limit: int | None = None) -> QueryResult:
    """Runs ``query`` (text or parsed) over ``events``; raises a ``LogsInsightsError`` if malformed."""
    parsed = parse(query) if isinstance(query, str) else query
    given = list(events)
    rows = [record(e) for e in sorted(given, key=lambda e: e.timestamp)]
    default_order = not parsed.has_stats and not any(isinstance(c, Sort) for c in parsed.commands)
    if default_order:
        rows.reverse()  # newest first, before any limit
    shown: list[str] = []
    displayed: list[str] | None = None
    matched: int | None = None
    for command in parsed.commands:
        if isinstance(command, Stats) and matched is None:
            matched = len(rows)
        rows = _run(command, rows)
        if isinstance(command, Fields):
            shown.extend(item.name for item in command.items)
        elif isinstance(command, Stats):
            shown = [item.name for item in (*command.groups, *command.aggregates)]
        elif isinstance(command, Display):
            displayed = [item.name for item in command.items]
    if matched is None:
        matched = len(rows)
    rows = rows[: limit or DEFAULT_LIMIT]
    names = displayed or list(dict.fromkeys(shown)) or list(DEFAULT_FIELDS)
    return QueryResult(
        results=[_result_row(row, names) for row in rows],
        records_matched=matched,
        records_scanned=len(given),
        bytes_scanned=sum(len(e.message.encode()) for e in given),
    )


def _result_row(row: Row, names: Sequence[str]) -> list[ResultField]:
    fields: list[ResultField] = []
    for name in names:
        text = render(row.get(name))
        if text is not None:
            fields.append({"field": name, "value": text})
    return fields


# -- commands ---------------------------------------------------------------------------------
def _run(command: Command, rows: list[Row]) -> list[Row]:
    if isinstance(command, Fields | Display):
        return [_with_items(row, command.items) for row in rows]
    if isinstance(command, Filter):
        return [row for row in rows if truthy(value(command.condition, row))]
    if isinstance(command, Stats):
        return _stats(command, rows)
    if isinstance(command, Sort):
        keys = [(_key_of(key.expr), key.descending) for key in command.keys]
        return _sorted(rows, keys)
    if isinstance(command, Limit):
        return rows[: command.count]
    return [_parsed(command, row) for row in rows]


def _key_of(expr: Expr) -> Callable[[Row], Value]:
    return lambda row: value(expr, row)


def _with_items(row: Row, items: Sequence[Item]) -> Row:
    updated = dict(row)
    for item in items:
        if not (isinstance(item.expr, FieldRef) and item.expr.name == item.name):
            updated[item.name] = value(item.expr, row)
    return updated


def _parsed(command: Parse, row: Row) -> Row:
    updated = dict(row)
    text = render(value(command.source, row))
    match = re.search(command.pattern, text) if text is not None else None
    for name in command.names:
        updated[name] = match.group(group_name(name)) if match else None
    return updated


def _sort_key(item: Value) -> tuple[int, Any]:
    number = as_number(item) if not isinstance(item, str) else None
    if number is not None:
        return (0, number)
    if isinstance(item, str):
        parsed = as_number(item)
        return (0, parsed) if parsed is not None else (1, item)
    return (1, str(item))


def _sorted(rows: list[Row], keys: Sequence[tuple[Callable[[Row], Value], bool]]) -> list[Row]:
    ordered = list(rows)
    for key, descending in reversed(keys):  # stable sorts, least significant key first
        present = [row for row in ordered if key(row) is not None]
        absent = [row for row in ordered if key(row) is None]
        present.sort(key=lambda row: _sort_key(key(row)), reverse=descending)
        ordered = present + absent
    return ordered


def _stats(command: Stats, rows: list[Row]) -> list[Row]:
    groups: dict[tuple[str | None, ...], tuple[Row, list[Row]]] = {}
    for row in rows:
        by = {item.name: value(item.expr, row) for item in command.groups}
        key = tuple(None if v is None else f"{type(v).__name__}:{v}" for v in by.values())
        groups.setdefault(key, (by, []))[1].append(row)
    if not command.groups and not groups:
        groups[()] = ({}, [])
    results: list[Row] = []
    for by, members in groups.values():
        out: Row = dict(by)
        for item in command.aggregates:
            out[item.name] = value(item.expr, {}, members)
        results.append(out)
    return results


# -- expressions ------------------------------------------------------------------------------
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "^": operator.pow,
}
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def value(expr: Expr, row: Row, group: Sequence[Row] | None = None) -> Value:
    """The expression's value for one row, or for a ``stats`` group (aggregates read ``group``)."""
    if isinstance(expr, FieldRef):
        return row.get(expr.name)
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Duration):
        return expr.millis
    if isinstance(expr, Unary):
        inner = value(expr.operand, row, group)
        if expr.op == "not":
            return 0 if truthy(inner) else 1
        number = as_number(inner)
        return None if number is None else -number
    if isinstance(expr, Binary):
        return _binary(expr, row, group)
    if isinstance(expr, Like):
        text = render(value(expr.operand, row, group))
        if text is None:
            return 0
        found = re.search(expr.pattern, text) is not None if expr.regex else expr.pattern in text
        return int(found != expr.negated)
    if isinstance(expr, In):
        subject = value(expr.operand, row, group)
        if subject is None:
            return 0
        hit = any(_equal(subject, value(choice, row, group)) for choice in expr.choices)
        return int(hit != expr.negated)
    return _call(expr, row, group)


def _binary(expr: Binary, row: Row, group: Sequence[Row] | None) -> Value:
    left = value(expr.left, row, group)
    if expr.op == "and":
        return int(truthy(left) and truthy(value(expr.right, row, group)))
    if expr.op == "or":
        return int(truthy(left) or truthy(value(expr.right, row, group)))
    right = value(expr.right, row, group)
    if expr.op == "=":
        return int(_equal(left, right))
    if expr.op == "!=":
        return int(left is not None and right is not None and not _equal(left, right))
    if expr.op in _ORDER:
        return _ordered(expr.op, left, right)
    a, b = as_number(left), as_number(right)
    if a is None or b is None or (expr.op in "/%" and b == 0):
        return None
    try:
        result = _ARITHMETIC[expr.op](a, b)
    except (OverflowError, ValueError, ZeroDivisionError):
        return None
    if isinstance(result, complex) or (isinstance(result, float) and not math.isfinite(result)):
        return None
    return int(result) if isinstance(result, float) and result.is_integer() and expr.op != "/" else result


def _equal(left: Value, right: Value) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    a, b = as_number(left), as_number(right)
    if a is not None and b is not None:
        return a == b
    return render(left) == render(right)


def _ordered(op: str, left: Value, right: Value) -> int:
    if left is None or right is None:
        return 0
    a, b = as_number(left), as_number(right)
    if a is not None and b is not None and not (isinstance(left, str) and isinstance(right, str)):
        return int(_ORDER[op](a, b))
    return int(_ORDER[op](render(left), render(right)))


def _call(expr: Call, row: Row, group: Sequence[Row] | None) -> Value:
    aggregate = AGGREGATES.get(expr.name)
    if aggregate is not None:
        members = group or []
        if expr.star:
            per_row: list[Value] = [1] * len(members)
        else:
            per_row = [value(expr.args[0], member) for member in members] if expr.args else [1] * len(members)
        constants = [value(arg, row) for arg in expr.args[1:]]
        return aggregate.apply(per_row, constants)
    args = [value(arg, row, group) for arg in expr.args]
    if expr.name == "bin":
        return SCALAR_FUNCTIONS["datefloor"].apply([row.get("@timestamp"), *args])
    return SCALAR_FUNCTIONS[expr.name].apply(args)
