"""Metric alarm state from an evaluation range (``cloudwatch/alarm_state.py``), by CloudWatch's rules."""

from __future__ import annotations

import pytest
from chainprobe_localstack.cloudwatch.alarm_state import (
    AlarmSettings,
    Datapoint,
    EvaluationRange,
    UnsupportedAlarmError,
    alarm_period,
    alarm_queries,
    next_state,
)

T0 = 1_795_000_000.0  # 2026-11-18T11:06:40Z


def points(*values: float | None) -> list[Datapoint]:
    return [Datapoint(T0 + 60 * i, value) for i, value in enumerate(values)]


def settings(
    n: int = 1, m: int | None = None, missing: str = "missing", op: str = "GreaterThanThreshold"
) -> AlarmSettings:
    return AlarmSettings(
        threshold=0.5, comparison=op, evaluation_periods=n, datapoints_to_alarm=m, treat_missing_data=missing
    )


@pytest.mark.parametrize(
    ("values", "n", "m", "missing", "expected"),
    [
        ((0.1, 0.2, 0.9), 1, None, "missing", "ALARM"),  # the newest datapoint only
        ((0.9, 0.9, 0.1), 1, None, "missing", "OK"),
        ((0.9, 0.9, 0.5), 1, None, "missing", "OK"),  # GreaterThan: equal is not breaching
        ((0.9, 0.1, 0.9), 3, 2, "missing", "ALARM"),  # 2 of 3
        ((0.1, 0.1, 0.9), 3, 2, "missing", "OK"),
        ((0.9, 0.9, None, None), 2, None, "missing", "ALARM"),  # missing: the newest N present, further back
        ((0.9, 0.9, None, None), 2, None, "breaching", "ALARM"),
        ((0.1, 0.1, None, None), 2, None, "breaching", "ALARM"),  # the last two periods are missing
        ((0.9, 0.9, None, None), 2, None, "notBreaching", "OK"),
        ((0.9, 0.9, None, 0.9), 2, 2, "notBreaching", "OK"),
        ((None, None, None), 1, None, "missing", "INSUFFICIENT_DATA"),
        ((None, None, None), 1, None, "notBreaching", "OK"),
        ((None, None, None), 1, None, "breaching", "ALARM"),
        ((None, None, None), 1, None, "ignore", None),  # keeps its state
        ((0.9, None, None), 1, None, "ignore", "ALARM"),
    ],
)
def test_next_state(
    values: tuple[float | None, ...], n: int, m: int | None, missing: str, expected: str | None
) -> None:
    transition = next_state(points(*values), settings(n, m, missing))
    assert (transition.state if transition else None) == expected


@pytest.mark.parametrize(
    ("op", "value", "breaches"),
    [
        ("GreaterThanOrEqualToThreshold", 0.5, True),
        ("GreaterThanThreshold", 0.5, False),
        ("LessThanThreshold", 0.4, True),
        ("LessThanOrEqualToThreshold", 0.5, True),
        ("LessThanThreshold", 0.5, False),
    ],
)
def test_comparison_operators(op: str, value: float, breaches: bool) -> None:
    assert settings(op=op).breaches(value) is breaches


def test_the_reason_names_the_datapoints_and_the_threshold() -> None:
    transition = next_state(points(0.1, 0.8), settings())
    assert transition is not None
    assert transition.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [0.8 (18/11/26 11:07:40)] was greater than the "
        "threshold (0.5) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    assert transition.recent == (0.8,)
    ok = next_state(points(0.1, 0.2), settings(n=2))
    assert ok is not None and ok.state == "OK"
    assert (
        "2 out of the last 2 datapoints [0.2 (18/11/26 11:07:40), 0.1 (18/11/26 11:06:40)] were not greater"
        in ok.reason
    )


def test_settings_of_a_described_alarm() -> None:
    alarm = {
        "Threshold": 0.072,
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "TreatMissingData": "notBreaching",
    }
    assert AlarmSettings.of(alarm) == AlarmSettings(0.072, "GreaterThanThreshold", 1, 1, "notBreaching")
    assert AlarmSettings.of({**alarm, "TreatMissingData": None}).treat_missing_data == "missing"
    with pytest.raises(UnsupportedAlarmError, match="LessThanLowerOrGreaterThanUpperThreshold"):
        AlarmSettings.of({**alarm, "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"})


def test_the_evaluation_range_ends_with_the_current_minute_and_places_datapoints_by_period() -> None:
    window = EvaluationRange.at(now=T0 + 130, period=3600, periods=3)
    assert window.end == T0 - T0 % 60 + 180 and window.end - window.start == 3 * 3600
    newest = window.end - 3600
    placed = window.datapoints([float(newest), float(window.start)], [0.3, 0.1])
    assert placed == [
        Datapoint(window.start, 0.1),
        Datapoint(window.start + 3600, None),
        Datapoint(newest, 0.3),
    ]


def test_sub_minute_periods_end_with_the_current_period() -> None:
    window = EvaluationRange.at(now=125.0, period=10, periods=3)
    assert (window.start, window.end) == (100, 130)


def test_a_metric_math_alarm_reads_its_own_queries_at_their_period() -> None:
    requests = {
        "Namespace": "AWS/ApiGateway",
        "MetricName": "Count",
        "Dimensions": [{"Name": "ApiName", "Value": "A"}],
    }
    metrics = [
        {
            "Id": "total",
            "MetricStat": {"Metric": requests, "Period": 3600, "Stat": "Sum"},
            "ReturnData": False,
        },
        {"Id": "errors", "Expression": "1 - total / total", "ReturnData": True, "AccountId": "000000000000"},
    ]
    alarm = {"Metrics": metrics, "EvaluationPeriods": 1}
    assert alarm_queries(alarm) == [
        metrics[0],
        {"Id": "errors", "Expression": "1 - total / total", "ReturnData": True},
    ]
    assert alarm_period(alarm) == 3600
    assert alarm_period({"Metrics": [{"Id": "e", "Expression": "TIME_SERIES(1)", "Period": 300}]}) == 300


def test_a_single_metric_alarm_reads_its_metric_as_one_query() -> None:
    alarm = {
        "Namespace": "AWS/Lambda",
        "MetricName": "Duration",
        "Dimensions": [{"Name": "FunctionName", "Value": "OrdersHandler"}],
        "Period": 60,
        "ExtendedStatistic": "p95",
        "Unit": "Milliseconds",
    }
    [query] = alarm_queries(alarm)
    assert query["MetricStat"] == {
        "Metric": {k: alarm[k] for k in ("Namespace", "MetricName", "Dimensions")},
        "Period": 60,
        "Stat": "p95",
        "Unit": "Milliseconds",
    }
    assert query["ReturnData"] is True and alarm_period(alarm) == 60
