"""The state a metric alarm moves to, from the datapoints of its evaluation range (and what it reads).

CloudWatch's documented rules (User Guide, "Evaluating an alarm" and "Configuring how CloudWatch
alarms treat missing data"): of the last ``EvaluationPeriods`` (N) datapoints, ``DatapointsToAlarm``
(M, default N) breaching ones put the alarm in ALARM, fewer in OK. Missing periods count as breaching
or not (``breaching``/``notBreaching``), or are skipped (``missing``/``ignore``): then the N most recent
datapoints *present* in a longer evaluation range are used, and with none at all the alarm goes to
INSUFFICIENT_DATA (``missing``) or keeps its state (``ignore``). Not modelled: the "premature
transition" rule for M-of-N alarms whose newest datapoints are missing.

No LocalStack import here: unit-tested from the source tree.

>>> settings = AlarmSettings(threshold=0.072, comparison="GreaterThanThreshold", evaluation_periods=1)
>>> next_state([Datapoint(0.0, 0.2)], settings).state
'ALARM'
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
DEFAULT_PERIOD = 60
EXTRA_PERIODS = 2
"""How many periods before the last N the evaluation range reaches back (CloudWatch: "more than N")."""


class UnsupportedAlarmError(ValueError):
    """An alarm configuration this evaluator does not judge (anomaly-detection bands)."""


@dataclass(frozen=True)
class AlarmSettings:
    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"

    @classmethod
    def of(cls, alarm: Mapping[str, Any]) -> AlarmSettings:
        """The settings of a DescribeAlarms ``MetricAlarm``; raises :class:`UnsupportedAlarmError`."""
        comparison = alarm.get("ComparisonOperator", "")
        if comparison not in COMPARISONS or "Threshold" not in alarm:
            raise UnsupportedAlarmError(
                f"ComparisonOperator {comparison!r} with a ThresholdMetricId is not evaluated"
            )
        return cls(
            threshold=float(alarm["Threshold"]),
            comparison=comparison,
            evaluation_periods=int(alarm["EvaluationPeriods"]),
            datapoints_to_alarm=alarm.get("DatapointsToAlarm"),
            treat_missing_data=alarm.get("TreatMissingData") or "missing",
        )

    @property
    def required(self) -> int:
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def range_periods(self) -> int:
        """The periods of the evaluation range: N, and some before for ``missing``/``ignore``."""
        return self.evaluation_periods + EXTRA_PERIODS

    def breaches(self, value: float) -> bool:
        compare, _ = COMPARISONS[self.comparison]
        return compare(value, self.threshold)


@dataclass(frozen=True)
class Datapoint:
    """One period of the evaluation range: its start (epoch seconds) and value (None when missing)."""

    timestamp: float
    value: float | None


@dataclass(frozen=True)
class Transition:
    state: str
    reason: str
    recent: tuple[float, ...]
    """The datapoint values judged, oldest first (the ``recentDatapoints`` of StateReasonData)."""


def next_state(datapoints: Sequence[Datapoint], settings: AlarmSettings) -> Transition | None:
    """The state the alarm should be in (None: keep the current one); ``datapoints`` oldest first."""
    if settings.treat_missing_data in ("breaching", "notBreaching"):
        judged = list(datapoints[-settings.evaluation_periods :])
        missing_breaches = settings.treat_missing_data == "breaching"
        flags = [missing_breaches if d.value is None else settings.breaches(d.value) for d in judged]
    else:
        judged = [d for d in datapoints if d.value is not None][-settings.evaluation_periods :]
        if not judged:
            if settings.treat_missing_data == "ignore":
                return None
            return Transition("INSUFFICIENT_DATA", _no_data_reason(settings), ())
        flags = [settings.breaches(d.value) for d in judged if d.value is not None]
    breaching = sum(flags)
    state = "ALARM" if breaching >= settings.required else "OK"
    return Transition(state, _reason(state, judged, breaching, settings), _values(judged))


def _values(judged: Sequence[Datapoint]) -> tuple[float, ...]:
    return tuple(d.value for d in judged if d.value is not None)


def _reason(state: str, judged: Sequence[Datapoint], breaching: int, settings: AlarmSettings) -> str:
    _, words = COMPARISONS[settings.comparison]
    shown = ", ".join(_shown(d) for d in reversed(judged))
    count = breaching if state == "ALARM" else len(judged) - breaching
    verb = "was" if count == 1 else "were"
    relation = words if state == "ALARM" else f"not {words}"
    transition = "OK -> ALARM" if state == "ALARM" else "ALARM -> OK"
    return (
        f"Threshold Crossed: {count} out of the last {len(judged)} datapoints [{shown}] {verb} {relation} "
        f"the threshold ({settings.threshold:g}) (minimum {settings.required} datapoint"
        f"{'s' if settings.required > 1 else ''} for {transition} transition)."
    )


def _shown(datapoint: Datapoint) -> str:
    stamp = datetime.fromtimestamp(datapoint.timestamp, UTC).strftime("%d/%m/%y %H:%M:%S")
    value = "missing" if datapoint.value is None else f"{datapoint.value:g}"
    return f"{value} ({stamp})"


def _no_data_reason(settings: AlarmSettings) -> str:
    n = settings.evaluation_periods
    return (
        f"Insufficient Data: {n} datapoint{'s were' if n > 1 else ' was'} unknown "
        f"(no data in the last {settings.range_periods} periods)."
    )


@dataclass(frozen=True)
class EvaluationRange:
    """The periods an evaluation at ``now`` reads: ``periods`` of ``period`` seconds ending at ``end``.

    ``end`` is the end of the current minute (of the current period, for 10 s and 30 s periods), as
    GetMetricData's grid is laid from a StartTime rounded to the minute.

    >>> r = EvaluationRange.at(now=130.0, period=60, periods=3)
    >>> r.start, r.end
    (0, 180)
    """

    start: int
    end: int
    period: int

    @classmethod
    def at(cls, *, now: float, period: int, periods: int) -> EvaluationRange:
        unit = 60 if period >= 60 else period
        end = (int(now) // unit + 1) * unit
        return cls(start=end - period * periods, end=end, period=period)

    def datapoints(self, timestamps: Sequence[float], values: Sequence[float]) -> list[Datapoint]:
        """One datapoint per period, oldest first, from a GetMetricData result (any order)."""
        found = dict(zip((int(t) for t in timestamps), values, strict=True))
        return [Datapoint(float(t), found.get(t)) for t in range(self.start, self.end, self.period)]


def alarm_queries(alarm: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The GetMetricData queries of the alarm: its ``Metrics``, or its one metric as a MetricStat."""
    if alarm.get("Metrics"):
        return [{k: v for k, v in query.items() if k != "AccountId"} for query in alarm["Metrics"]]
    metric: dict[str, Any] = {"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"]}
    if alarm.get("Dimensions"):
        metric["Dimensions"] = alarm["Dimensions"]
    stat = {
        "Metric": metric,
        "Period": alarm["Period"],
        "Stat": alarm.get("Statistic") or alarm["ExtendedStatistic"],
    }
    if alarm.get("Unit"):
        stat["Unit"] = alarm["Unit"]
    return [{"Id": "m1", "MetricStat": stat, "ReturnData": True}]


def alarm_period(alarm: Mapping[str, Any]) -> int:
    """The alarm's period: its own, or the one its metric-math queries use."""
    if alarm.get("Period"):
        return int(alarm["Period"])
    periods = [q["MetricStat"]["Period"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
    periods += [q["Period"] for q in alarm.get("Metrics", []) if q.get("Period")]
    return int(max(periods, default=DEFAULT_PERIOD))
