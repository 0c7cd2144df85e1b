"""An SLI's per-minute history read from CloudWatch: each ``MetricStat`` query's Sum per minute.

The thin I/O half of ``chainprobe budget`` (the replay is ``budget_replay``, pure): every ``MetricStat``
query of the SLI, as the spec or the published-metrics source wrote it, is asked for with
``ReturnData: true`` at a period CloudWatch still keeps for that age (its retention: 1-minute data for
15 days, 5-minute data for 63 days, 1-hour data beyond), in chunks of at most ``MAX_DATAPOINTS`` per
call, following ``NextToken``. A coarser period's value lands on the minute its period starts (a 5 m
sum read 20 days back counts in that 5 m's first minute: windows shorter than the period see it
whole or not at all). Example::

    history = read_history(sli, start=t0, end=t1, get_metric_data=cloudwatch.get_metric_data, now=time.time())
    history[1764921600]     # {"blackboxGood": 20.0, "blackboxBad": 0.0}

The replay adds the per-minute values, so the queries' ``Stat`` should be ``Sum`` (or ``SampleCount``),
as every count in an availability ratio is. Lets botocore's errors through (the CLI's exit 3).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from chainprobe.measure.budget_window import MINUTE, SliDefinition
from chainprobe.measure.window_sli import GetMetricData

__all__ = ["MAX_DATAPOINTS", "RETENTION", "read_history"]

MAX_DATAPOINTS = 100_800
"""Datapoints GetMetricData returns per call at most."""
RETENTION = ((15 * 86_400, 60), (63 * 86_400, 300))
"""(age in seconds, the finest period CloudWatch keeps up to that age); older: 3600."""


def read_history(
    sli: SliDefinition, *, start: int, end: int, get_metric_data: GetMetricData, now: float
) -> dict[int, dict[str, float]]:
    """Each ``MetricStat`` query's values over ``[start, end)``, by minute (``budget_window.History``)."""
    history: dict[int, dict[str, float]] = {}
    stats = [q for q in sli.queries if "MetricStat" in q]
    if not stats:
        return history
    for first, last, period in _chunks(start, end, now, len(stats)):
        queries = [_query(q, period) for q in stats]
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries,
                "StartTime": datetime.fromtimestamp(first, UTC),
                "EndTime": datetime.fromtimestamp(last, UTC),
            }
            if token:
                kwargs["NextToken"] = token
            answer = get_metric_data(**kwargs)
            for result in answer.get("MetricDataResults", []):
                for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                    minute = int(stamp.timestamp()) // MINUTE * MINUTE
                    if first <= minute < last:
                        row = history.setdefault(minute, {})
                        row[result["Id"]] = row.get(result["Id"], 0.0) + float(value)
            token = answer.get("NextToken")
            if not token:
                break
    return history


def _query(original: Mapping[str, Any], period: int) -> dict[str, Any]:
    query = copy.deepcopy(dict(original))
    query["ReturnData"] = True
    query["MetricStat"]["Period"] = period
    query.pop("Label", None)
    return query


def _period_for(age: float) -> int:
    return next((period for limit, period in RETENTION if age <= limit), 3600)


def _chunks(start: int, end: int, now: float, queries: int) -> Iterator[tuple[int, int, int]]:
    """``(first, last, period)`` spans covering ``[start, end)``, each small enough for one call and
    each at one period (a span stops where data becomes young enough for a finer period)."""
    boundaries = sorted(int(now - limit) for limit, _ in RETENTION)
    cursor = start
    while cursor < end:
        period = _period_for(now - cursor)
        # n periods can touch n + 1 period starts: the bound a request is refused by counts both ends
        last = min(end, cursor + max(period, (MAX_DATAPOINTS // queries - 1) * period))
        later = [b for b in boundaries if b > cursor]
        if later:
            last = min(last, -(-later[0] // period) * period)  # the boundary, rounded up to the period
        yield cursor, last, period
        cursor = last
