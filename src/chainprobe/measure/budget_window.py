"""An SLI's error rate over any window of a per-minute history, read the way its burn-rate alarm reads it.

A generated window alarm (``chainprobe alarms``) sets every ``MetricStat`` period to its window W and
reads ONE datapoint: each query's ``Sum`` over the last W, the spec's availability expression over
those sums, ``1 - availability`` against the threshold. :class:`WindowReader` does the same from a
history of per-minute sums (``History``: minute start, epoch seconds -> query id -> that minute's Sum):
it sums each ``MetricStat`` query over ``[start, end)`` and evaluates the SLI's own expression with
chainprobe's metric-math evaluator (the one the local stack's CloudWatch plugin answers alarms with).
A query with no datapoint in the window is *missing*, not 0, exactly as GetMetricData returns it; an
expression that yields no datapoint (``good / (good + bad)`` with no run in the window) is missing
data, which the alarm treats by its ``TreatMissingData``.

Pure: no AWS, no LocalStack. Example::

    >>> sli = SliDefinition(
    ...     key="blackbox", title="black box", availability_id="a", requests_ids=("g", "b"),
    ...     missing_breaches=False,
    ...     queries=({"Id": "g", "MetricStat": STAT}, {"Id": "b", "MetricStat": STAT},
    ...              {"Id": "a", "Expression": "g / (g + b)"}))
    >>> reader = WindowReader(sli, {0: {"g": 9.0, "b": 1.0}, 60: {"g": 10.0, "b": 0.0}})
    >>> round(reader.error_rate(0, 120), 9), reader.requests(0, 120), reader.error_rate(120, 180)
    (0.05, 20.0, None)

Raises ``MetricMathError`` (from the evaluator) for an expression that does not evaluate.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from chainprobe.measure.metricmath import Series, evaluate

__all__ = ["MINUTE", "STAT", "History", "SliDefinition", "WindowReader", "merge_histories"]

MINUTE = 60
STAT: Mapping[str, Any] = {"Metric": {"Namespace": "N", "MetricName": "M"}, "Period": 60, "Stat": "Sum"}
"""A placeholder ``MetricStat`` (for examples and tests: the reader never fetches, it sums the history)."""

type History = Mapping[int, Mapping[str, float]]
"""Minute start (epoch seconds, a multiple of 60) -> MetricStat query id -> that minute's Sum."""


@dataclass(frozen=True, kw_only=True)
class SliDefinition:
    """One SLI as its alarms read it: the metric-math queries, the availability id, how gaps count.

    ``requests_ids``: the ``MetricStat`` queries whose sum is the SLI's request count (the minimum-
    traffic guard and the budget's weights); empty when the expression has no requests to name.
    ``missing_breaches``: the alarms' ``TreatMissingData`` is ``breaching`` (True) or
    ``notBreaching`` (False).
    """

    key: str
    title: str
    queries: tuple[Mapping[str, Any], ...]
    availability_id: str
    requests_ids: tuple[str, ...]
    missing_breaches: bool

    def metric_ids(self) -> tuple[str, ...]:
        return tuple(str(q["Id"]) for q in self.queries if "MetricStat" in q)


def merge_histories(*histories: History) -> dict[int, dict[str, float]]:
    """One history from several sources of the SAME evidence: per minute and query, the largest Sum.

    A canary run published to CloudWatch and the same run in the local ledger are one run, not two:
    taking the maximum counts it once. The price: two different runs ending in the same minute, one
    seen only in CloudWatch and one only in the ledger, count as the larger of the two.
    """
    merged: dict[int, dict[str, float]] = {}
    for history in histories:
        for minute, sums in history.items():
            row = merged.setdefault(minute, {})
            for query_id, value in sums.items():
                row[query_id] = max(row.get(query_id, value), value)
    return merged


class WindowReader:
    """Sums, request counts and error rates of one SLI over windows of a history (prefix sums)."""

    def __init__(self, sli: SliDefinition, history: History) -> None:
        self.sli = sli
        self.minutes = sorted(history)
        self._ids = sli.metric_ids()
        self._sums = {
            qid: [0.0, *accumulate(float(history[m].get(qid, 0.0)) for m in self.minutes)]
            for qid in self._ids
        }
        self._present = {
            qid: [0, *accumulate(1 if qid in history[m] else 0 for m in self.minutes)] for qid in self._ids
        }
        self._memo: dict[tuple[tuple[str, float], ...], float | None] = {}

    def sums(self, start: int, end: int) -> dict[str, float]:
        """Each query's Sum over ``[start, end)``; a query with no datapoint there is absent."""
        low, high = bisect.bisect_left(self.minutes, start), bisect.bisect_left(self.minutes, end)
        return {
            qid: self._sums[qid][high] - self._sums[qid][low]
            for qid in self._ids
            if self._present[qid][high] > self._present[qid][low]
        }

    def requests(self, start: int, end: int) -> float:
        """The SLI's requests over ``[start, end)`` (0 without ``requests_ids``)."""
        sums = self.sums(start, end)
        return sum(sums.get(qid, 0.0) for qid in self.sli.requests_ids)

    def error_rate(self, start: int, end: int) -> float | None:
        """``1 - availability`` over ``[start, end)``, or None when the expression has no datapoint."""
        return self.error_rate_of(self.sums(start, end))

    def error_rate_of(self, sums: Mapping[str, float]) -> float | None:
        key = tuple(sorted(sums.items()))
        if key not in self._memo:
            self._memo[key] = _evaluate(self.sli, sums)
        return self._memo[key]

    def data_minutes(self, start: int, end: int) -> list[int]:
        """The minutes in ``[start, end)`` holding any datapoint."""
        low, high = bisect.bisect_left(self.minutes, start), bisect.bisect_left(self.minutes, end)
        return self.minutes[low:high]


def _evaluate(sli: SliDefinition, sums: Mapping[str, float]) -> float | None:
    """The expression over one period holding ``sums`` (every period set to one minute; the values are
    the window's sums, so the period's length does not matter to a ratio of sums)."""
    start = datetime.fromtimestamp(0, UTC)
    end = datetime.fromtimestamp(MINUTE, UTC)
    queries = []
    for original in sli.queries:
        query = copy.deepcopy(dict(original))
        query["ReturnData"] = query["Id"] == sli.availability_id
        if "MetricStat" in query:  # named by its id, so the fetch below knows which sum it asks for
            query["MetricStat"] = {
                **query["MetricStat"],
                "Metric": {"Namespace": "budget", "MetricName": query["Id"]},
            }
            query["MetricStat"]["Period"] = MINUTE
        elif "Period" in query:
            query["Period"] = MINUTE
        queries.append(query)

    def fetch(metric_stat: Mapping[str, Any], first: datetime, last: datetime, period: int) -> Series:
        value = sums.get(str(metric_stat["Metric"]["MetricName"]))
        return Series(period, {} if value is None else {first: value})

    values = evaluate(queries, start=start, end=end, fetch=fetch).series(sli.availability_id).values
    return None if not values else 1.0 - values[0]
