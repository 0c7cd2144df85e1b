"""Aggregate functions of ``stats``: one value per group of rows.

Following AWS where it is explicit: ``count(*)`` counts rows, ``count(f)`` rows where ``f`` is
present, ``earliest(f)``/``latest(f)`` give ``f`` of the row with the earliest/latest
``@timestamp``. Where it is silent, the choices made here:

- ``pct(f, p)`` is the nearest-rank percentile of the group's values (AWS computes an
  approximation and does not say which); ``p`` from 0 to 100.
- ``sum``/``avg``/``stddev``/``pct`` use the numeric values only (numeric strings included);
  a group with none gives an absent value. ``min``/``max`` of timestamps are timestamps;
  of strings (no number among them), the lexically least/greatest.
- ``stddev`` is the sample standard deviation (n - 1).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .values import Timestamp, Value, as_number


@dataclass(frozen=True)
class Aggregate:
    arity: tuple[int, int]
    # (values of the first argument per row, in @timestamp order; constant further arguments)
    apply: Callable[[Sequence[Value], Sequence[Value]], Value]


def _present(values: Sequence[Value]) -> list[Value]:
    return [v for v in values if v is not None]


def _numbers(values: Sequence[Value]) -> list[float | int]:
    return [n for n in map(as_number, values) if n is not None]


def _tidy(number: float | int) -> float | int:
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _sum(values: Sequence[Value], _: Sequence[Value]) -> Value:
    numbers = _numbers(values)
    return _tidy(math.fsum(numbers)) if numbers else None


def _avg(values: Sequence[Value], _: Sequence[Value]) -> Value:
    numbers = _numbers(values)
    return _tidy(math.fsum(numbers) / len(numbers)) if numbers else None


def _stddev(values: Sequence[Value], _: Sequence[Value]) -> Value:
    numbers = _numbers(values)
    return statistics.stdev(numbers) if len(numbers) > 1 else None


def _extreme(largest: bool) -> Callable[[Sequence[Value], Sequence[Value]], Value]:
    def apply(values: Sequence[Value], _: Sequence[Value]) -> Value:
        present = _present(values)
        if not present:
            return None
        times = [v.millis for v in present if isinstance(v, Timestamp)]
        if len(times) == len(present):
            return Timestamp(max(times) if largest else min(times))
        numbers = _numbers(present)
        if numbers:
            return max(numbers) if largest else min(numbers)
        texts = [str(v) for v in present]
        return max(texts) if largest else min(texts)

    return apply


def _pct(values: Sequence[Value], args: Sequence[Value]) -> Value:
    numbers = sorted(_numbers(values))
    percent = as_number(args[0]) if args else None
    if not numbers or percent is None:
        return None
    rank = math.ceil(min(max(percent, 0), 100) / 100 * len(numbers))
    return numbers[max(rank, 1) - 1]


AGGREGATES: dict[str, Aggregate] = {
    "count": Aggregate((0, 1), lambda values, _: len(_present(values))),
    "count_distinct": Aggregate((1, 1), lambda values, _: len({str(v) for v in _present(values)})),
    "sum": Aggregate((1, 1), _sum),
    "avg": Aggregate((1, 1), _avg),
    "min": Aggregate((1, 1), _extreme(largest=False)),
    "max": Aggregate((1, 1), _extreme(largest=True)),
    "stddev": Aggregate((1, 1), _stddev),
    "pct": Aggregate((2, 2), _pct),
    "earliest": Aggregate((1, 1), lambda values, _: next(iter(_present(values)), None)),
    "latest": Aggregate((1, 1), lambda values, _: next(iter(reversed(_present(values))), None)),
}
