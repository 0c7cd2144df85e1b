"""The function table: which metric-math functions exist and what they do.

The supported set is data: :data:`FUNCTIONS` maps an uppercase name to a :class:`Function`
(implementation and arity). A call to any other name is an UnsupportedFunctionError, raised
when the request is validated, before anything is fetched. Example::

    >>> sorted(FUNCTIONS)[:4]
    ['ABS', 'AVG', 'CEIL', 'DATAPOINT_COUNT']

Semantics that go beyond or decide what the User Guide leaves open:

- ``MAX``/``MIN``/``SUM``/``AVG``/``STDDEV`` of one series reduce it to a scalar (NaN, i.e. "no
  value", when it has no datapoints); of an array they work per timestamp over the union of
  the members' timestamps, using the values present (AVG counts a missing value as 0, as
  documented). A scalar inside an array becomes a constant series over the whole period grid,
  so ``MAX([requests, 1])`` is at least 1 at every period even when ``requests`` has no data.
- The User Guide documents these functions with one argument. ``MAX([requests], 1)`` (the
  project's SLI spelling) is read as ``MAX([requests, 1])``: extra arguments join the array. The
  result then carries a ``NonStandardSyntax`` message; write ``MAX([requests, 1])`` to be portable.
- ``FILL(ts, filler)`` fills every period start of the query's grid (at the series' own period)
  where the series has no datapoint: with a number, with another series' value at that
  timestamp, with ``REPEAT`` (the latest earlier value; a leading gap stays empty) or ``LINEAR``
  (interpolated between the datapoints around an interior gap; leading and trailing gaps stay
  empty). ``FILL(m, 0)`` over a metric with no datapoints at all yields a 0 at every period.
- ``IF`` follows the User Guide's tables: a true condition with a missing true-series value
  gives 0; a false condition with a missing or omitted false branch gives no datapoint.
- ``METRICS('s')`` keeps the MetricStat queries whose Id or Label contains ``s``.
- ``STDDEV`` is the population standard deviation. ``PERIOD`` also accepts expression results.
"""

import bisect
import itertools
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from .exceptions import ArgumentError
from .operators import elementwise
from .parser import Keyword, String
from .series import PeriodGrid, Series, SeriesArray, Value

type Argument = Value | Keyword | String
"""An evaluated argument; keywords (REPEAT, LINEAR) and strings reach functions unevaluated."""


class Context(Protocol):
    """What a function may ask of the evaluation in progress."""

    @property
    def default_period(self) -> int:
        """The period of the expression being evaluated, for series made from scalars."""
        ...

    def grid(self, period: int) -> PeriodGrid:
        """The request's period grid at ``period``."""
        ...

    def metrics(self, pattern: str | None) -> SeriesArray:
        """The MetricStat series of the request, optionally those whose Id or Label has ``pattern``."""
        ...

    def note(self, code: str, message: str) -> None:
        """Attach a message to the result of the expression being evaluated."""
        ...


type Implementation = Callable[[Context, Sequence[Argument]], Value]


@dataclass(frozen=True, slots=True)
class Function:
    """One supported function: its implementation and how many arguments it takes."""

    name: str
    implementation: Implementation
    min_args: int
    max_args: int | None = None  # None: no upper bound

    def arity_error(self, count: int) -> str | None:
        """A message when ``count`` arguments do not fit this function, else None."""
        if self.min_args <= count and (self.max_args is None or count <= self.max_args):
            return None
        if self.max_args == self.min_args:
            expected = str(self.min_args)
        elif self.max_args is None:
            expected = f"at least {self.min_args}"
        else:
            expected = f"{self.min_args} to {self.max_args}"
        return f"Function {self.name} expects {expected} argument(s), got {count}"


# --- argument checks -------------------------------------------------------------------------


def _value(name: str, arg: Argument) -> Value:
    if isinstance(arg, Keyword):
        raise ArgumentError(f"{name} does not accept the keyword {arg.name}")
    if isinstance(arg, String):
        raise ArgumentError(f"{name} does not accept the string {arg.value!r}")
    return arg


def _series(name: str, arg: Argument) -> Series:
    value = _value(name, arg)
    if not isinstance(value, Series):
        raise ArgumentError(f"{name} expects a single time series")
    return value


def _array(name: str, arg: Argument) -> SeriesArray:
    value = _value(name, arg)
    if not isinstance(value, tuple):
        raise ArgumentError(f"{name} expects an array of time series")
    return value


def _scalar(name: str, arg: Argument) -> float:
    value = _value(name, arg)
    if not isinstance(value, float):
        raise ArgumentError(f"{name} expects a scalar")
    return value


def constant(ctx: Context, value: float, period: int) -> Series:
    """A series holding ``value`` at every period start of the request's grid."""
    return Series(period, dict.fromkeys(ctx.grid(period).timestamps(), value))


def members(ctx: Context, values: Sequence[Value]) -> SeriesArray:
    """Flatten values into one array, in order; scalars become constant series at the members' period."""
    flat: list[Series | float] = []
    for value in values:
        flat.extend(value if isinstance(value, tuple) else (value,))
    period = max((item.period for item in flat if isinstance(item, Series)), default=ctx.default_period)
    return tuple(item if isinstance(item, Series) else constant(ctx, item, period) for item in flat)


# --- per-series helpers ------------------------------------------------------------------------


def _per_series(name: str, transform: Callable[[Series], Series]) -> Implementation:
    def implementation(ctx: Context, args: Sequence[Argument]) -> Value:
        value = _value(name, args[0])
        if isinstance(value, tuple):
            return tuple(transform(member) for member in value)
        if isinstance(value, Series):
            return transform(value)
        raise ArgumentError(f"{name} expects a time series or an array of time series")

    return implementation


def _pointwise(name: str, fn: Callable[[float], float]) -> Implementation:
    def implementation(ctx: Context, args: Sequence[Argument]) -> Value:
        return elementwise(_value(name, args[0]), fn)

    return implementation


def _consecutive(fn: Callable[[datetime, float, datetime, float], float]) -> Callable[[Series], Series]:
    """A transform computing each datapoint from the one before it (the first has none)."""

    def transform(series: Series) -> Series:
        pairs = list(series)
        points = {t1: fn(t0, v0, t1, v1) for (t0, v0), (t1, v1) in itertools.pairwise(pairs)}
        return Series(series.period, points, series.label)

    return transform


def _running_sum(series: Series) -> Series:
    totals = itertools.accumulate(series.values)
    return Series(series.period, dict(zip(series.timestamps, totals, strict=True)), series.label)


def _safe_log(log: Callable[[float], float]) -> Callable[[float], float]:
    return lambda v: log(v) if v > 0 else math.nan


# --- reductions ----------------------------------------------------------------------------------


type Reducer = Callable[[Sequence[float]], float]


def _reduction(name: str, reduce: Reducer, *, missing_as_zero: bool = False) -> Implementation:
    def implementation(ctx: Context, args: Sequence[Argument]) -> Value:
        values = [_value(name, arg) for arg in args]
        if len(values) == 1 and not isinstance(values[0], tuple):
            return _reduce_one(values[0], reduce)
        if len(values) > 1:
            ctx.note(
                "NonStandardSyntax",
                f"{name} with {len(values)} arguments is read as {name}([...]) over all of them; "
                f"CloudWatch documents {name} with a single series or array",
            )
        array = members(ctx, values)
        return _across(array, reduce, missing_as_zero=missing_as_zero, period=ctx.default_period)

    return implementation


def _reduce_one(value: Series | float, reduce: Reducer) -> float:
    if isinstance(value, Series):
        return reduce(value.values) if value else math.nan
    return math.nan if math.isnan(value) else reduce([value])


def _across(array: SeriesArray, reduce: Reducer, *, missing_as_zero: bool, period: int) -> Series:
    """Reduce an array per timestamp over the union of its members' timestamps."""
    stamps = sorted(set().union(*(member.points.keys() for member in array)))
    points: dict[datetime, float] = {}
    for ts in stamps:
        present = [member.points[ts] for member in array if ts in member.points]
        if missing_as_zero:
            present.extend([0.0] * (len(array) - len(present)))
        points[ts] = reduce(present)
    return Series(max((member.period for member in array), default=period), points)


# --- FILL ------------------------------------------------------------------------------------------


def _fill(ctx: Context, args: Sequence[Argument]) -> Value:
    target = _value("FILL", args[0])
    if isinstance(target, tuple):
        return tuple(_fill_series(ctx, member, args[1]) for member in target)
    if isinstance(target, Series):
        return _fill_series(ctx, target, args[1])
    raise ArgumentError("FILL expects a time series or an array of time series as its first argument")


def _fill_series(ctx: Context, series: Series, filler: Argument) -> Series:
    grid = ctx.grid(series.period).timestamps()
    if isinstance(filler, Keyword):
        if filler.name == "REPEAT":
            return _fill_repeat(series, grid)
        if filler.name == "LINEAR":
            return _fill_linear(series, grid)
        raise ArgumentError(f"FILL does not accept {filler.name}; use a number, a series, REPEAT or LINEAR")
    value = _value("FILL", filler)
    if isinstance(value, tuple):
        raise ArgumentError("FILL cannot fill from an array of time series")
    if isinstance(value, Series):
        filled = {ts: value.points.get(ts, math.nan) for ts in grid}
    else:
        filled = dict.fromkeys(grid, value)
    return Series(series.period, filled | dict(series.points), series.label)


def _fill_repeat(series: Series, grid: Sequence[datetime]) -> Series:
    points: dict[datetime, float] = {}
    last = math.nan
    for ts in sorted(set(grid) | series.points.keys()):
        last = series.points.get(ts, last)
        points[ts] = last
    return Series(series.period, points, series.label)


def _fill_linear(series: Series, grid: Sequence[datetime]) -> Series:
    known = list(series)
    stamps = [ts for ts, _ in known]
    points = dict(series.points)
    for ts in grid:
        index = bisect.bisect(stamps, ts)
        if ts not in points and 0 < index < len(known):
            (t0, v0), (t1, v1) = known[index - 1], known[index]
            points[ts] = v0 + (v1 - v0) * ((ts - t0) / (t1 - t0))
    return Series(series.period, points, series.label)


# --- IF ----------------------------------------------------------------------------------------------


def _if(ctx: Context, args: Sequence[Argument]) -> Value:
    condition, then = _if_operand(args[0]), _if_operand(args[1])
    otherwise = _if_operand(args[2]) if len(args) == 3 else None
    if isinstance(condition, float):
        return _if_scalar(ctx, condition, then, otherwise)
    points: dict[datetime, float] = {}
    for ts, flag in condition:
        if flag != 0:
            points[ts] = then.points.get(ts, 0.0) if isinstance(then, Series) else then
        elif otherwise is not None:
            points[ts] = otherwise.points.get(ts, math.nan) if isinstance(otherwise, Series) else otherwise
    periods = [v.period for v in (condition, then, otherwise) if isinstance(v, Series)]
    label = then.label if isinstance(then, Series) else condition.label
    return Series(max(periods), points, label)


def _if_operand(arg: Argument) -> Series | float:
    value = _value("IF", arg)
    if isinstance(value, tuple):
        raise ArgumentError("IF does not accept arrays of time series")
    return value


def _if_scalar(
    ctx: Context, condition: float, then: Series | float, otherwise: Series | float | None
) -> Value:
    chosen = None if math.isnan(condition) else then if condition != 0 else otherwise
    return Series(ctx.default_period) if chosen is None else chosen


# --- arrays and metadata -------------------------------------------------------------------------------


def _metrics(ctx: Context, args: Sequence[Argument]) -> Value:
    if not args:
        return ctx.metrics(None)
    if not isinstance(args[0], String):
        raise ArgumentError("METRICS takes no argument or a string, e.g. METRICS('errors')")
    return ctx.metrics(args[0].value)


def _pick(name: str, index: int) -> Implementation:
    def implementation(ctx: Context, args: Sequence[Argument]) -> Value:
        array = _array(name, args[0])
        if not array:
            raise ArgumentError(f"{name} of an empty array of time series")
        return array[index]

    return implementation


def _remove_empty(ctx: Context, args: Sequence[Argument]) -> Value:
    return tuple(member for member in _array("REMOVE_EMPTY", args[0]) if member)


def _metric_count(ctx: Context, args: Sequence[Argument]) -> Value:
    return float(len(_array("METRIC_COUNT", args[0])))


def _period(ctx: Context, args: Sequence[Argument]) -> Value:
    return float(_series("PERIOD", args[0]).period)


def _time_series(ctx: Context, args: Sequence[Argument]) -> Value:
    return constant(ctx, _scalar("TIME_SERIES", args[0]), ctx.default_period)


def _datapoint_count(ctx: Context, args: Sequence[Argument]) -> Value:
    value = _value("DATAPOINT_COUNT", args[0])
    if isinstance(value, Series):
        return float(len(value))
    if isinstance(value, tuple):
        return _across(value, _count, missing_as_zero=False, period=ctx.default_period)
    raise ArgumentError("DATAPOINT_COUNT expects a time series or an array of time series")


def _count(present: Sequence[float]) -> float:
    return float(len(present))


def _diff(t0: datetime, v0: float, t1: datetime, v1: float) -> float:
    return v1 - v0


def _diff_time(t0: datetime, v0: float, t1: datetime, v1: float) -> float:
    return (t1 - t0).total_seconds()


def _rate(t0: datetime, v0: float, t1: datetime, v1: float) -> float:
    return (v1 - v0) / (t1 - t0).total_seconds()


def _function_table(*functions: Function) -> Mapping[str, Function]:
    return MappingProxyType({function.name: function for function in functions})


FUNCTIONS: Mapping[str, Function] = _function_table(
    Function("ABS", _pointwise("ABS", abs), 1, 1),
    Function("AVG", _reduction("AVG", statistics.fmean, missing_as_zero=True), 1),
    Function("CEIL", _pointwise("CEIL", lambda v: float(math.ceil(v))), 1, 1),
    Function("DATAPOINT_COUNT", _datapoint_count, 1, 1),
    Function("DIFF", _per_series("DIFF", _consecutive(_diff)), 1, 1),
    Function("DIFF_TIME", _per_series("DIFF_TIME", _consecutive(_diff_time)), 1, 1),
    Function("FILL", _fill, 2, 2),
    Function("FIRST", _pick("FIRST", 0), 1, 1),
    Function("FLOOR", _pointwise("FLOOR", lambda v: float(math.floor(v))), 1, 1),
    Function("IF", _if, 2, 3),
    Function("LAST", _pick("LAST", -1), 1, 1),
    Function("LOG", _pointwise("LOG", _safe_log(math.log)), 1, 1),
    Function("LOG10", _pointwise("LOG10", _safe_log(math.log10)), 1, 1),
    Function("MAX", _reduction("MAX", max), 1),
    Function("METRIC_COUNT", _metric_count, 1, 1),
    Function("METRICS", _metrics, 0, 1),
    Function("MIN", _reduction("MIN", min), 1),
    Function("PERIOD", _period, 1, 1),
    Function("RATE", _per_series("RATE", _consecutive(_rate)), 1, 1),
    Function("REMOVE_EMPTY", _remove_empty, 1, 1),
    Function("RUNNING_SUM", _per_series("RUNNING_SUM", _running_sum), 1, 1),
    Function("STDDEV", _reduction("STDDEV", statistics.pstdev), 1),
    Function("SUM", _reduction("SUM", math.fsum), 1),
    Function("TIME_SERIES", _time_series, 1, 1),
)
"""Every supported function by name; anything else is an UnsupportedFunctionError."""
