"""Scalar functions (one value per row) for ``fields``, ``filter``, ``display``, ``sort``, ``stats … by``.

Names are matched case-insensitively (``isPresent`` is ``ispresent``); AWS's documentation writes
them in lower case and does not say. ``bin(period)`` floors ``@timestamp`` to the period, counted
from the epoch; ``datefloor(f, period)`` and ``dateceil`` do the same for any timestamp field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .values import Timestamp, Value, as_number, render

Row = dict[str, Value]


@dataclass(frozen=True)
class Function:
    arity: tuple[int, int]  # (min, max) arguments
    apply: Callable[[Sequence[Value]], Value]


def _numeric(op: Callable[[float], float]) -> Callable[[Sequence[Value]], Value]:
    def apply(args: Sequence[Value]) -> Value:
        number = as_number(args[0])
        return None if number is None else _tidy(op(number))

    return apply


def _tidy(number: float) -> int | float:
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _text(op: Callable[[str], Value]) -> Callable[[Sequence[Value]], Value]:
    def apply(args: Sequence[Value]) -> Value:
        text = render(args[0])
        return None if text is None else op(text)

    return apply


def _floor_time(args: Sequence[Value]) -> Value:
    millis, period = as_number(args[0]), as_number(args[1])
    if millis is None or not period:
        return None
    return Timestamp(int(millis // period * period))


def _ceil_time(args: Sequence[Value]) -> Value:
    millis, period = as_number(args[0]), as_number(args[1])
    if millis is None or not period:
        return None
    return Timestamp(int(math.ceil(millis / period) * period))


def _concat(args: Sequence[Value]) -> Value:
    return "".join(render(a) or "" for a in args)


def _extreme(pick: Callable[[Sequence[float | int]], float | int]) -> Callable[[Sequence[Value]], Value]:
    def apply(args: Sequence[Value]) -> Value:
        numbers = [n for n in map(as_number, args) if n is not None]
        return pick(numbers) if numbers else None

    return apply


def _from_millis(args: Sequence[Value]) -> Value:
    number = as_number(args[0])
    return None if number is None else Timestamp(int(number))


def _to_millis(args: Sequence[Value]) -> Value:
    number = as_number(args[0])
    return None if number is None else int(number)


def _is_blank(args: Sequence[Value]) -> Value:
    text = render(args[0])
    return 1 if text is None or text.strip() == "" else 0


SCALAR_FUNCTIONS: dict[str, Function] = {
    "ispresent": Function((1, 1), lambda args: 0 if args[0] is None else 1),
    "isempty": Function((1, 1), lambda args: 1 if args[0] is None or args[0] == "" else 0),
    "isblank": Function((1, 1), _is_blank),
    "abs": Function((1, 1), _numeric(abs)),
    "ceil": Function((1, 1), _numeric(math.ceil)),
    "floor": Function((1, 1), _numeric(math.floor)),
    "sqrt": Function((1, 1), _numeric(lambda n: math.sqrt(n) if n >= 0 else math.nan)),
    "log": Function((1, 1), _numeric(lambda n: math.log(n) if n > 0 else math.nan)),
    "greatest": Function((1, 99), _extreme(max)),
    "least": Function((1, 99), _extreme(min)),
    "strlen": Function((1, 1), _text(len)),
    "tolower": Function((1, 1), _text(str.lower)),
    "toupper": Function((1, 1), _text(str.upper)),
    "trim": Function((1, 1), _text(str.strip)),
    "ltrim": Function((1, 1), _text(str.lstrip)),
    "rtrim": Function((1, 1), _text(str.rstrip)),
    "concat": Function((1, 99), _concat),
    "frommillis": Function((1, 1), _from_millis),
    "tomillis": Function((1, 1), _to_millis),
    "datefloor": Function((2, 2), _floor_time),
    "dateceil": Function((2, 2), _ceil_time),
    # bin(period) is datefloor(@timestamp, period); the evaluator passes @timestamp in front.
    "bin": Function((1, 1), lambda args: None),
}
