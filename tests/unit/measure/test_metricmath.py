"""The metric-math evaluator against a table of expressions and hand-computed series.

Every metric lives on a five-period grid (60 s periods from 12:00 UTC); a series is written as a
list of five values where None means "no datapoint at that period".
"""

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chainprobe.measure.metricmath import (
    ArgumentError,
    CircularReferenceError,
    InvalidQueryError,
    MetricMathError,
    ScalarResultError,
    Series,
    UnknownQueryIdError,
    UnsupportedFunctionError,
    evaluate,
    validate,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
PERIOD = 60
N = 5
START, END = T0, T0 + timedelta(seconds=PERIOD * N)

type Points = Sequence[float | None]


def at(i: int) -> datetime:
    return T0 + timedelta(seconds=PERIOD * i)


DATA: dict[str, Points] = {
    "m1": [1, 2, None, 4, 5],
    "m2": [10, None, 30, 0, 50],
    "empty": [None] * N,
    "lead": [None, 3, None, None, 9],
    "tail": [2, None, 6, None, None],
    # the User Guide's IF example
    "c1": [1, 1, 0, 0, None],
    "c2": [30, None, 0, 0, 30],
    "c3": [0, 0, 20, None, 20],
    # the User Guide's comparison example
    "k1": [30, 20, 0, 0, None],
    "k2": [20, None, 20, None, None],
}

# The design's availability SLI; the metrics as AWS publishes them (FailedInvocations only when non-zero).
AVAILABILITY = (
    "1 - ((FILL(apiFailures,0) + FILL(lambdaFailures,0) + FILL(eventFailures,0)) / MAX([totalRequests], 1))"
)
TRAFFIC: dict[str, Points] = {
    "totalRequests": [100, 200, None, 50, 0],
    "apiFailures": [2, 0, None, 1, 0],
    "lambdaFailures": [1, 0, 0, 0, 0],
    "eventFailures": [None, 4, None, None, None],
}
NO_TRAFFIC: dict[str, Points] = dict.fromkeys(TRAFFIC, [None] * N)


def stat(name: str, period: int = PERIOD) -> dict[str, Any]:
    return {"Metric": {"Namespace": "Test", "MetricName": name}, "Period": period, "Stat": "Sum"}


def series_of(points: Points, period: int = PERIOD) -> Series:
    return Series(period, {at(i): value for i, value in enumerate(points) if value is not None})


class FakeCloudWatch:
    """A fetch callback serving DATA by metric name and recording every call."""

    def __init__(
        self, data: Mapping[str, Points], period_overrides: Mapping[str, Series] | None = None
    ) -> None:
        self.data = data
        self.overrides = period_overrides or {}
        self.calls: list[tuple[str, datetime, datetime, int]] = []

    def __call__(self, metric_stat: Mapping[str, Any], start: datetime, end: datetime, period: int) -> Series:
        name = metric_stat["Metric"]["MetricName"]
        self.calls.append((name, start, end, period))
        if name in self.overrides:
            return self.overrides[name]
        return series_of(self.data[name], period)


def metric_queries(data: Mapping[str, Points]) -> list[dict[str, Any]]:
    return [{"Id": name, "MetricStat": stat(name), "ReturnData": False} for name in data]


def run(expression: str, data: Mapping[str, Points] = DATA, **query: Any) -> list[float | None]:
    queries = [*metric_queries(data), {"Id": "e1", "Expression": expression, **query}]
    result = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(data)).series("e1")
    assert all(ts in {at(i) for i in range(N)} for ts in result.timestamps)
    return [result.get(at(i)) for i in range(N)]


def approx(expected: Points) -> list[Any]:
    return [None if value is None else pytest.approx(value) for value in expected]


CASES: list[tuple[str, Points]] = [
    # arithmetic: series with series on shared timestamps, scalars broadcast
    ("m1 + m2", [11, None, None, 4, 55]),
    ("m1 * 2", [2, 4, None, 8, 10]),
    ("2 * m1 - 1", [1, 3, None, 7, 9]),
    ("-m1", [-1, -2, None, -4, -5]),
    ("-(m1 + 1) * 2", [-4, -6, None, -10, -12]),
    ("m1 ^ 2", [1, 4, None, 16, 25]),
    ("-2 ^ 2 + m1 * 0", [-4, -4, None, -4, -4]),
    ("2 ^ 3 ^ 2 + m1 * 0", [512, 512, None, 512, 512]),
    # division by zero drops the datapoint
    ("m2 / m1", [10, None, None, 0, 10]),
    ("m1 / m2", [0.1, None, None, None, 0.1]),
    ("m1 / 0", [None] * N),
    ("m1 / (m1 - m1)", [None] * N),
    # reductions of one series are scalars
    ("m1 - AVG(m1)", [-2, -1, None, 1, 2]),
    ("m1 / MAX(m1)", [0.2, 0.4, None, 0.8, 1.0]),
    ("m1 + SUM(m1) - MIN(m1)", [12, 13, None, 15, 16]),
    ("m1 * 0 + STDDEV(m1)", [math.sqrt(2.5), math.sqrt(2.5), None, math.sqrt(2.5), math.sqrt(2.5)]),
    ("m1 + AVG(empty)", [None] * N),
    # reductions of arrays work per timestamp; scalars in arrays cover the whole grid
    ("MAX([m1, m2])", [10, 2, 30, 4, 50]),
    ("MIN([m1, m2])", [1, 2, 30, 0, 5]),
    ("SUM([m1, m2])", [11, 2, 30, 4, 55]),
    ("AVG([m1, m2])", [5.5, 1, 15, 2, 27.5]),
    ("SUM([m1])", [1, 2, None, 4, 5]),
    ("MAX([m1, 3])", [3, 3, 3, 4, 5]),
    ("MAX([empty, 1])", [1] * N),
    ("MAX([empty], 1)", [1] * N),
    ("MAX([m1], 1)", [1, 2, 1, 4, 5]),
    ("DATAPOINT_COUNT([m1, m2])", [2, 1, 1, 2, 2]),
    # FILL fills every period of the query range
    ("FILL(m1, 0)", [1, 2, 0, 4, 5]),
    ("FILL(empty, 0)", [0] * N),
    ("FILL(empty, 7) + 1", [8] * N),
    ("FILL(m2, m1)", [10, 2, 30, 0, 50]),
    ("FILL(m1, MIN(m1))", [1, 2, 1, 4, 5]),
    ("FILL(m1, REPEAT)", [1, 2, 2, 4, 5]),
    ("FILL(lead, REPEAT)", [None, 3, 3, 3, 9]),
    ("FILL(lead, LINEAR)", [None, 3, 5, 7, 9]),
    ("FILL(tail, LINEAR)", [2, 4, 6, None, None]),
    ("FILL(empty, REPEAT)", [None] * N),
    ("SUM(FILL([m1, m2], 0))", [11, 2, 30, 4, 55]),
    # IF, with the User Guide's example tables
    ("IF(c1, c2, c3)", [30, 0, 20, None, None]),
    ("IF(c1, 5, c3)", [5, 5, 20, None, None]),
    ("IF(c1, c2, 5)", [30, 0, 5, 5, None]),
    ("IF(m1 > 2, m1, 0)", [0, 0, None, 4, 5]),
    ("IF(m1 > 2, m1)", [None, None, None, 4, 5]),
    ("IF(1, m1, m2)", [1, 2, None, 4, 5]),
    ("IF(0, m1, m2)", [10, None, 30, 0, 50]),
    ("IF(0, m1)", [None] * N),
    # comparison and logical operators, with the User Guide's example
    ("k1 < k2", [0, 0, 1, 0, None]),
    ("k1 >= 30", [1, 0, 0, 0, None]),
    ("k1 > 15 AND k2 > 15", [1, 0, 0, 0, None]),
    ("k1 > 15 && k2 > 15", [1, 0, 0, 0, None]),
    ("k1 > 25 OR k2 > 25", [1, 0, 0, 0, None]),
    ("k1 > 25 || k2 > 15", [1, 0, 1, 0, None]),
    ("NOT (m1 > 2)", [1, 1, None, 0, 0]),
    ("m1 == 2", [0, 1, None, 0, 0]),
    ("m1 != 2", [1, 0, None, 1, 1]),
    ("m1 <= 2", [1, 1, None, 0, 0]),
    # elementwise and per-series functions
    ("ABS(-m1)", [1, 2, None, 4, 5]),
    ("CEIL(m1 / 2)", [1, 1, None, 2, 3]),
    ("FLOOR(m1 / 2)", [0, 1, None, 2, 2]),
    ("LOG10(m2)", [1, None, math.log10(30), None, math.log10(50)]),
    ("DIFF(m1)", [None, 1, None, 2, 1]),
    ("DIFF_TIME(m1)", [None, 60, None, 120, 60]),
    ("RATE(m1)", [None, 1 / 60, None, 1 / 60, 1 / 60]),
    ("RUNNING_SUM(m1)", [1, 3, None, 7, 12]),
    ("m1 / PERIOD(m1)", [1 / 60, 2 / 60, None, 4 / 60, 5 / 60]),
    ("m1 * 0 + DATAPOINT_COUNT(m1)", [4, 4, None, 4, 4]),
    ("TIME_SERIES(7)", [7] * N),
    ("FIRST([m2, m1])", [10, None, 30, 0, 50]),
    ("LAST([m2, m1])", [1, 2, None, 4, 5]),
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[case[0] for case in CASES])
def test_expression_table(expression: str, expected: Points) -> None:
    assert run(expression) == approx(expected)


def test_availability_sli_hand_computed() -> None:
    # t0: (2+1+0)/100 -> .97; t1: (0+0+4)/200 -> .98; t2: nothing but FILL zeros over MAX(.., 1) -> 1;
    # t3: (1+0+0)/50 -> .98; t4: 0 failures over 0 requests -> MAX gives 1 -> 1.
    assert run(AVAILABILITY, TRAFFIC) == approx([0.97, 0.98, 1.0, 0.98, 1.0])


def test_availability_without_fill_loses_every_period_where_a_metric_is_missing() -> None:
    unfilled = "1 - ((apiFailures + lambdaFailures + eventFailures) / MAX([totalRequests], 1))"
    assert run(unfilled, TRAFFIC) == approx([None, 0.98, None, None, None])


@pytest.mark.parametrize(
    "expression",
    [
        AVAILABILITY,
        AVAILABILITY.replace("MAX([totalRequests], 1)", "MAX([totalRequests, 1])"),
    ],
)
def test_zero_traffic_gives_one_at_every_period_of_the_range(expression: str) -> None:
    queries = [*metric_queries(NO_TRAFFIC), {"Id": "availability", "Expression": expression}]
    result = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(NO_TRAFFIC))
    series = result.series("availability")
    assert series.timestamps == tuple(at(i) for i in range(N))
    assert series.values == (1.0,) * N


def test_max_with_extra_argument_is_flagged_as_non_standard() -> None:
    queries = [
        *metric_queries(TRAFFIC),
        {"Id": "loose", "Expression": "MAX([totalRequests], 1)"},
        {"Id": "strict", "Expression": "MAX([totalRequests, 1])"},
        {"Id": "uses", "Expression": "loose * 1"},
    ]
    result = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(TRAFFIC))
    (loose,), (strict,), (uses,) = result.for_id("loose"), result.for_id("strict"), result.for_id("uses")
    assert loose.series.values == strict.series.values
    assert [m.code for m in loose.messages] == ["NonStandardSyntax"]
    assert uses.messages == loose.messages
    assert strict.messages == ()


def test_expression_references_another_expression() -> None:
    queries = [
        *metric_queries(DATA),
        {"Id": "tenfold", "Expression": "m1 * 10", "ReturnData": False},
        {"Id": "e1", "Expression": "tenfold + 1"},
    ]
    result = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(DATA))
    assert [r.id for r in result.results] == ["e1"]
    assert result.series("e1").values == (11, 21, 41, 51)


def test_metricstat_with_return_data_is_returned_with_its_label() -> None:
    queries = [
        {"Id": "m1", "MetricStat": stat("m1")},
        {"Id": "m2", "MetricStat": stat("m2"), "Label": "second"},
    ]
    result = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(DATA))
    assert [(r.id, r.label, r.status_code) for r in result.results] == [
        ("m1", "m1", "Complete"),
        ("m2", "second", "Complete"),
    ]
    assert result.series("m1").values == (1, 2, 4, 5)


ERRORS: dict[str, Points] = {
    "errors4xx": [1, 0, 2, None, 0],
    "errors5xx": [0, 3, None, None, 1],
    "count": [9] * N,
}


def test_metrics_returns_every_metricstat_as_an_array() -> None:
    queries = [
        *metric_queries(ERRORS),
        {"Id": "doubled", "Expression": "METRICS() * 2", "Label": "x2"},
        {"Id": "bare", "Expression": "METRICS()"},
    ]
    result = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(ERRORS))
    assert [r.label for r in result.for_id("doubled")] == ["x2 errors4xx", "x2 errors5xx", "x2 count"]
    assert [r.label for r in result.for_id("bare")] == ["errors4xx", "errors5xx", "count"]
    assert result.for_id("doubled")[0].values == (2, 0, 4, 0)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("SUM(METRICS('errors'))", [1, 3, 2, None, 1]),
        ('SUM(METRICS("5xx"))', [0, 3, None, None, 1]),
        ("SUM([METRICS('4xx'), METRICS('5xx')])", [1, 3, 2, None, 1]),
        ("SUM(METRICS('Requests'))", [9] * N),  # matches the Label, not only the Id
        ("METRIC_COUNT(METRICS('errors')) + count * 0", [2] * N),
        ("SUM(FILL(METRICS('errors'), 0))", [1, 3, 2, 0, 1]),
        ("SUM(METRICS('nothing'))", [None] * N),
    ],
)
def test_metrics_filter(expression: str, expected: Points) -> None:
    queries = [*metric_queries(ERRORS), {"Id": "e1", "Expression": expression}]
    queries[2]["Label"] = "Requests"
    result = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(ERRORS)).series("e1")
    assert [result.get(at(i)) for i in range(N)] == approx(expected)


def test_expression_period_sets_the_grid_of_series_made_from_scalars() -> None:
    assert run("TIME_SERIES(1)", Period=120) == [1, None, 1, None, 1]


def test_series_of_different_periods_meet_on_shared_timestamps() -> None:
    coarse = Series(120, {at(0): 10.0, at(2): 20.0, at(4): 30.0})
    data: dict[str, Points] = {"m1": DATA["m1"], "coarse": [None] * N}
    queries: list[dict[str, Any]] = [
        {"Id": "m1", "MetricStat": stat("m1"), "ReturnData": False},
        {"Id": "coarse", "MetricStat": stat("coarse", 120), "ReturnData": False},
        {"Id": "e1", "Expression": "m1 + coarse"},
    ]
    result = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(data, {"coarse": coarse}))
    assert result.series("e1") == Series(120, {at(0): 11.0, at(4): 35.0}, "e1")


def test_each_metric_is_fetched_once_on_the_rounded_grid() -> None:
    fake = FakeCloudWatch(DATA)
    queries = [*metric_queries({"m1": DATA["m1"]}), {"Id": "e1", "Expression": "m1 + m1 * FILL(m1, 0)"}]
    evaluate(queries, start=START + timedelta(seconds=34), end=END, fetch=fake)
    assert fake.calls == [("m1", T0, END, PERIOD)]


def test_to_dict_is_the_get_metric_data_shape_newest_first() -> None:
    queries = [{"Id": "m1", "MetricStat": stat("m1"), "Label": "one"}]
    (result,) = evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(DATA)).results
    assert result.to_dict() == {
        "Id": "m1",
        "Label": "one",
        "Timestamps": [at(4), at(3), at(1), at(0)],
        "Values": [5.0, 4.0, 2.0, 1.0],
        "StatusCode": "Complete",
        "Messages": [],
    }
    assert result.to_dict(descending=False)["Values"] == [1.0, 2.0, 4.0, 5.0]


# --- errors -------------------------------------------------------------------------------------------


def test_unsupported_function_names_it_and_fetches_nothing() -> None:
    fake = FakeCloudWatch(DATA)
    queries = [*metric_queries(DATA), {"Id": "band", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]
    with pytest.raises(UnsupportedFunctionError) as caught:
        evaluate(queries, start=START, end=END, fetch=fake)
    assert caught.value.function == "ANOMALY_DETECTION_BAND"
    assert caught.value.code == "ValidationError"
    assert str(caught.value) == (
        "Error in expression band: Unsupported function ANOMALY_DETECTION_BAND "
        "in expression ANOMALY_DETECTION_BAND(m1, 2)"
    )
    assert fake.calls == []


@pytest.mark.parametrize(
    "expression", ["SEARCH('{AWS/Lambda} Errors', 'Sum')", "fill(m1, 0)", "m1 + SORT(m2)"]
)
def test_any_function_outside_the_table_is_unsupported(expression: str) -> None:
    with pytest.raises(UnsupportedFunctionError, match="Unsupported function"):
        run(expression)


@pytest.mark.parametrize(
    ("expression", "position"),
    [
        ("m1 +", 4),
        ("(m1 + 1", 7),
        ("m1 $ 2", 3),
        ("FILL(m1, 0", 10),
        ("METRICS('abc)", 8),
        ("", 0),
        ("m1 m2", 3),
        ("1 +* 2", 3),
        ("[m1, m2", 7),
        ("MAX(m1,)", 7),
    ],
)
def test_syntax_error_reports_the_position(expression: str, position: int) -> None:
    with pytest.raises(MetricMathError) as caught:
        run(expression)
    error = caught.value
    assert type(error).__name__ == "ExpressionSyntaxError"
    assert getattr(error, "position", None) == position
    assert f"offset {position}" in str(error)
    assert error.query_id == "e1"


def test_circular_references_are_detected() -> None:
    queries = [
        *metric_queries(DATA),
        {"Id": "e1", "Expression": "e2 + 1"},
        {"Id": "e2", "Expression": "m1 * e3"},
        {"Id": "e3", "Expression": "e1 / 2", "ReturnData": False},
    ]
    with pytest.raises(CircularReferenceError) as caught:
        evaluate(queries, start=START, end=END, fetch=FakeCloudWatch(DATA))
    assert caught.value.cycle == ("e1", "e2", "e3", "e1")
    assert "e1 -> e2 -> e3 -> e1" in str(caught.value)


def test_self_reference_is_circular() -> None:
    with pytest.raises(CircularReferenceError):
        validate([{"Id": "e1", "Expression": "FILL(e1, 0)"}])


def test_unknown_id_is_rejected() -> None:
    with pytest.raises(
        UnknownQueryIdError, match="Unknown metric or expression id nope in expression m1 \\+ nope"
    ):
        run("m1 + nope")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("FILL(m1)", "Function FILL expects 2 argument\\(s\\), got 1"),
        ("IF(m1)", "Function IF expects 2 to 3 argument\\(s\\), got 1"),
        ("MAX()", "Function MAX expects at least 1 argument\\(s\\), got 0"),
        ("METRICS('a', 'b')", "Function METRICS expects 0 to 1"),
        ("m1 + REPEAT", "Unexpected keyword REPEAT outside a function call"),
        ("'abc' + 1", "Unexpected string 'abc' outside a function call"),
        ("FILL(m1, ZERO)", "FILL does not accept ZERO"),
        ("METRICS() + METRICS()", "cannot combine two arrays"),
        ("IF(METRICS(), 1, 0)", "IF does not accept arrays"),
        ("PERIOD(METRICS())", "PERIOD expects a single time series"),
        ("FIRST(m1)", "FIRST expects an array of time series"),
        ("ABS('x')", "ABS does not accept the string 'x'"),
        ("METRICS(m1)", "METRICS takes no argument or a string"),
    ],
)
def test_wrong_arguments_are_rejected(expression: str, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        run(expression)


@pytest.mark.parametrize("expression", ["AVG(m1)", "1 + 2", "PERIOD(m1)"])
def test_a_scalar_cannot_be_the_final_result(expression: str) -> None:
    with pytest.raises(ScalarResultError, match="Error in expression e1: The final result"):
        run(expression)


@pytest.mark.parametrize(
    ("queries", "message"),
    [
        ([{"Id": "m1", "MetricStat": stat("m1")}, {"Id": "m1", "Expression": "1"}], "more than one query"),
        ([{"Id": "M1", "MetricStat": stat("m1")}], "Invalid Id 'M1'"),
        ([{"Id": "1m", "Expression": "1"}], "Invalid Id '1m'"),
        ([{"Expression": "1"}], "Invalid Id None"),
        ([{"Id": "e1", "Expression": "1", "MetricStat": stat("m1")}], "exactly one of"),
        ([{"Id": "e1"}], "exactly one of"),
        ([{"Id": "m1", "MetricStat": {"Metric": {"MetricName": "x"}, "Stat": "Sum"}}], "needs a Period"),
        ([{"Id": "m1", "MetricStat": {"Period": 60}}], "without Metric.MetricName"),
        ([{"Id": "e1", "Expression": "1", "Period": 0}], "needs a Period"),
        ([{"Id": "e1", "Expression": 5}], "not a string"),
        ([{"Id": "e1", "Expression": "1", "ReturnData": "no"}], "boolean ReturnData"),
        ([{"Id": "e1", "Expression": "1", "Label": 7}], "string Label"),
    ],
)
def test_malformed_queries_are_rejected(queries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        validate(queries)


def test_start_must_precede_end() -> None:
    with pytest.raises(InvalidQueryError, match="StartTime must be less than"):
        evaluate([], start=END, end=START, fetch=FakeCloudWatch(DATA))


# --- fetch failures -------------------------------------------------------------------------------------


def test_a_failing_fetch_is_an_internal_error_for_its_dependents_only() -> None:
    def fetch(metric_stat: Mapping[str, Any], start: datetime, end: datetime, period: int) -> Series:
        if metric_stat["Metric"]["MetricName"] == "m2":
            raise TimeoutError("store unavailable")
        return series_of(DATA[metric_stat["Metric"]["MetricName"]], period)

    queries = [
        *metric_queries({"m1": DATA["m1"], "m2": DATA["m2"]}),
        {"Id": "healthy", "Expression": "m1 * 2"},
        {"Id": "broken", "Expression": "m1 + FILL(m2, 0)"},
        {"Id": "everything", "Expression": "SUM(METRICS())"},
    ]
    result = evaluate(queries, start=START, end=END, fetch=fetch)
    statuses = {r.id: r.status_code for r in result.results}
    assert statuses == {"healthy": "Complete", "broken": "InternalError", "everything": "InternalError"}
    (broken,) = result.for_id("broken")
    assert broken.values == ()
    assert broken.messages[0].code == "InternalError"
    assert "Fetching m2 failed: TimeoutError: store unavailable" in broken.messages[0].value


def test_a_fetch_off_the_period_grid_is_an_internal_error() -> None:
    misaligned = Series(PERIOD, {T0 + timedelta(seconds=30): 1.0})
    queries = [{"Id": "m1", "MetricStat": stat("m1")}]
    (result,) = evaluate(
        queries, start=START, end=END, fetch=FakeCloudWatch(DATA, {"m1": misaligned})
    ).results
    assert result.status_code == "InternalError"
    assert "off its 60s period grid" in result.messages[0].value
