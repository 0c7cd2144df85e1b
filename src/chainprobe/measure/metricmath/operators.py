"""Operators between scalars (S), time series (TS) and arrays of time series (TS[]).

>>> from datetime import UTC, datetime
>>> t0, t1 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC), datetime(2026, 1, 1, 12, 1, tzinfo=UTC)
>>> a, b = Series(60, {t0: 6.0, t1: 1.0}), Series(60, {t0: 2.0})
>>> binary("/", a, b).values, binary(">", a, b).values
((3.0,), (1.0, 1.0))

Alignment, per operator family:

- Arithmetic (``+ - * / ^``) between two series keeps only the timestamps present in both
  operands; a timestamp missing on either side is missing in the result. (The User Guide's
  arithmetic table says missing values are treated as 0; this evaluator follows the
  intersection behaviour the project's SLI relies on, which is why that SLI wraps sparse
  metrics in FILL.) Division by zero, a negative base with a fractional exponent and overflow
  give no datapoint, as CloudWatch drops a datapoint that would divide by zero.
- Comparison (``== != < <= > >=``) and logical (``AND && OR ||``, ``NOT``) operators between two
  series use the union of timestamps and read a missing value as 0, as the User Guide documents
  (its example: metric1 [30, 20, 0, 0] < metric2 [20, -, 20, -] gives [0, 0, 1, 0]); they yield
  1.0 for true and 0.0 for false.
- A scalar broadcasts over the series' own timestamps only (it creates no new timestamps).
- An array applies the operator member by member; two arrays cannot be combined.
- Two series of different periods are matched on identical timestamps (no resampling); the
  result carries the larger period.
- A NaN scalar (e.g. ``AVG`` of an empty series) stands for "no value" and yields no datapoint.
"""

import math
import operator
from collections.abc import Callable

from .exceptions import ArgumentError
from .series import Series, Value

type BinaryFn = Callable[[float, float], float]


def _divide(a: float, b: float) -> float:
    return a / b if b != 0 else math.nan


def _power(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan


def _predicate(test: Callable[[float, float], bool]) -> BinaryFn:
    return lambda a, b: 1.0 if test(a, b) else 0.0


ARITHMETIC: dict[str, BinaryFn] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
    "^": _power,
}
COMPARISON: dict[str, BinaryFn] = {
    "==": _predicate(operator.eq),
    "!=": _predicate(operator.ne),
    "<": _predicate(operator.lt),
    "<=": _predicate(operator.le),
    ">": _predicate(operator.gt),
    ">=": _predicate(operator.ge),
}
LOGICAL: dict[str, BinaryFn] = {
    "AND": _predicate(lambda a, b: a != 0 and b != 0),
    "OR": _predicate(lambda a, b: a != 0 or b != 0),
}
OPERATORS = frozenset(ARITHMETIC) | frozenset(COMPARISON) | frozenset(LOGICAL)


def binary(op: str, left: Value, right: Value) -> Value:
    """Apply a binary operator with CloudWatch's broadcasting and alignment rules."""
    if op in ARITHMETIC:
        return _broadcast(ARITHMETIC[op], left, right, missing=None)
    if op in COMPARISON:
        return _broadcast(COMPARISON[op], left, right, missing=0.0)
    if op in LOGICAL:
        return _broadcast(LOGICAL[op], left, right, missing=0.0)
    raise ValueError(f"unknown operator {op!r}")


def negate(value: Value) -> Value:
    """Unary minus: on a scalar, every datapoint of a series, or every member of an array."""
    return elementwise(value, operator.neg)


def logical_not(value: Value) -> Value:
    """NOT: 1.0 where the value is 0, else 0.0."""
    return elementwise(value, lambda v: 1.0 if v == 0 else 0.0)


def elementwise(value: Value, fn: Callable[[float], float]) -> Value:
    """Apply ``fn`` to a scalar, each datapoint of a series, or each datapoint of each member."""
    if isinstance(value, tuple):
        return tuple(member.map(fn) for member in value)
    if isinstance(value, Series):
        return value.map(fn)
    return math.nan if math.isnan(value) else fn(value)


def _broadcast(fn: BinaryFn, left: Value, right: Value, *, missing: float | None) -> Value:
    if isinstance(left, tuple):
        if isinstance(right, tuple):
            raise ArgumentError("An operator cannot combine two arrays of time series; reduce one first")
        return tuple(_with_series(fn, member, right, missing, series_on_left=True) for member in left)
    if isinstance(right, tuple):
        return tuple(_with_series(fn, member, left, missing, series_on_left=False) for member in right)
    if isinstance(left, Series):
        return _with_series(fn, left, right, missing, series_on_left=True)
    if isinstance(right, Series):
        return _with_series(fn, right, left, missing, series_on_left=False)
    return _guarded(fn, left, right)


def _with_series(
    fn: BinaryFn, series: Series, other: Series | float, missing: float | None, *, series_on_left: bool
) -> Series:
    ordered: BinaryFn = fn if series_on_left else (lambda a, b: fn(b, a))
    if isinstance(other, Series):
        return _pairwise(ordered, series, other, missing)
    return series.map(lambda v: _guarded(ordered, v, other))


def _pairwise(fn: BinaryFn, left: Series, right: Series, missing: float | None) -> Series:
    """Combine two series on shared timestamps, or on all timestamps reading gaps as ``missing``."""
    if missing is None:
        stamps = [ts for ts in left.points if ts in right.points]
        values = {ts: _guarded(fn, left.points[ts], right.points[ts]) for ts in stamps}
    else:
        union = sorted(left.points.keys() | right.points.keys())
        values = {
            ts: _guarded(fn, left.points.get(ts, missing), right.points.get(ts, missing)) for ts in union
        }
    return Series(max(left.period, right.period), values, left.label)


def _guarded(fn: BinaryFn, a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return fn(a, b)
