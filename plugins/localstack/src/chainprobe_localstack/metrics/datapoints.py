"""Datapoints held in memory until a flush: what is measured, and how it becomes PutMetricData.

A :class:`Metric` names one CloudWatch metric (namespace, name, unit, dimensions). :class:`Buffer`
keeps, per account and region, every value recorded for a metric in the same second as a
value -> count table, and turns it into ``MetricDatum`` entries with ``Values``/``Counts``, so
that CloudWatch still sees one sample per request (Sum, SampleCount, Average, Minimum, Maximum
and percentiles come out as if each request had been published on its own)::

    >>> buffer = Buffer()
    >>> latency = Metric.of("AWS/ApiGateway", "Latency", "Milliseconds", ApiName="OrdersAPI")
    >>> for value in (12.0, 30.0, 12.0):
    ...     buffer.add("000000000000", "us-east-1", latency, value, at=1767268800.4)
    >>> [(batch.namespace, datum["Values"], datum["Counts"]) for batch in buffer.batches()
    ...  for datum in batch.metric_data]
    [('AWS/ApiGateway', [12.0, 30.0], [2.0, 1.0])]

Limits kept per PutMetricData call (CloudWatch's): at most 150 distinct values per datum and
1,000 datums per call. Values are rounded to 3 decimals (a microsecond, for milliseconds) so
that equal values share a count. Standard library only: importable without LocalStack.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_VALUES_PER_DATUM = 150
MAX_DATUMS_PER_CALL = 1000

type Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Metric:
    """One CloudWatch metric: namespace, name, unit and its dimensions (sorted by name)."""

    namespace: str
    name: str
    unit: str = "Count"
    dimensions: Dimensions = ()

    @classmethod
    def of(cls, namespace: str, name: str, unit: str = "Count", **dimensions: str) -> Metric:
        """``Metric.of("AWS/Lambda", "Errors", FunctionName="OrdersHandler")``."""
        return cls(namespace, name, unit, tuple(sorted(dimensions.items())))

    def with_dimensions(self, dimensions: Dimensions) -> Metric:
        return Metric(self.namespace, self.name, self.unit, tuple(sorted(dimensions)))


type Entry = tuple[Metric, int, Counter[float]]
"""A metric, the second its values were recorded in, and value -> count."""


@dataclass(frozen=True, slots=True)
class Batch:
    """The arguments of one PutMetricData call, and the entries they were made from."""

    account_id: str
    region: str
    namespace: str
    entries: tuple[Entry, ...]

    @property
    def metric_data(self) -> list[dict[str, Any]]:
        return [datum for entry in self.entries for datum in _datums(entry)]

    @property
    def samples(self) -> int:
        """How many datapoints the batch stands for."""
        return sum(sum(values.values()) for _, _, values in self.entries)

    def __len__(self) -> int:
        """The number of distinct (metric, second, value) entries, as ``len(Buffer)`` counts them."""
        return sum(len(values) for _, _, values in self.entries)


type _Scope = tuple[str, str, str]
type _Key = tuple[Metric, int]


class Buffer:
    """Values per (account, region, namespace) -> (metric, second) -> value -> count. Not thread-safe."""

    def __init__(self) -> None:
        self._data: dict[_Scope, dict[_Key, Counter[float]]] = {}

    def add(
        self, account_id: str, region: str, metric: Metric, value: float, *, at: float, count: int = 1
    ) -> None:
        scope = (account_id, region, metric.namespace)
        values = self._data.setdefault(scope, {}).setdefault((metric, int(at)), Counter())
        values[round(float(value), 3)] += count

    def __len__(self) -> int:
        """The number of distinct (metric, second, value) entries held."""
        return sum(len(values) for keys in self._data.values() for values in keys.values())

    def restore(self, batch: Batch) -> None:
        """Take back the entries of a batch that could not be sent."""
        keys = self._data.setdefault((batch.account_id, batch.region, batch.namespace), {})
        for metric, second, values in batch.entries:
            keys.setdefault((metric, second), Counter()).update(values)

    def batches(self) -> Iterator[Batch]:
        """PutMetricData calls for everything held (each within CloudWatch's per-call limits)."""
        for (account_id, region, namespace), keys in self._data.items():
            entries: list[Entry] = []
            datums = 0
            for metric, second in sorted(keys, key=_order):
                values = keys[(metric, second)]
                needed = -(-len(values) // MAX_VALUES_PER_DATUM)
                if entries and datums + needed > MAX_DATUMS_PER_CALL:
                    yield Batch(account_id, region, namespace, tuple(entries))
                    entries, datums = [], 0
                entries.append((metric, second, values))
                datums += needed
            if entries:
                yield Batch(account_id, region, namespace, tuple(entries))


def _order(key: _Key) -> tuple[str, Dimensions, int]:
    metric, second = key
    return metric.name, metric.dimensions, second


def _datums(entry: Entry) -> Iterator[dict[str, Any]]:
    metric, second, values = entry
    pairs = sorted(values.items())
    for start in range(0, len(pairs), MAX_VALUES_PER_DATUM):
        chunk = pairs[start : start + MAX_VALUES_PER_DATUM]
        datum: dict[str, Any] = {
            "MetricName": metric.name,
            "Timestamp": datetime.fromtimestamp(second, UTC),
            "Unit": metric.unit,
            "Values": [value for value, _ in chunk],
            "Counts": [float(count) for _, count in chunk],
        }
        if metric.dimensions:
            datum["Dimensions"] = [{"Name": name, "Value": value} for name, value in metric.dimensions]
        yield datum
