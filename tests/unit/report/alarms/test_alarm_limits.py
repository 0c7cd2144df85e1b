"""The validate stage: what CloudWatch or CloudFormation would refuse is refused first, in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alarm_specs import ORDERS, metric_stat, windows_file, write_spec

from chainprobe.measure.budget import BudgetError
from chainprobe.report.alarms import (
    AlarmsError,
    InvalidSliError,
    LimitExceededError,
    NothingToAlarmError,
    WindowsMismatchError,
    check_template_size,
    generate_alarms,
)
from chainprobe.spec import SpecError


def refusal(error: type[Exception], spec: Path, windows: Path | None = None) -> str:
    with pytest.raises(error) as raised:
        generate_alarms(spec, windows_path=windows, variables={})
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_a_window_longer_than_seven_days_cannot_be_one_alarm_period(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lambda d: d["slo"].update(window="90d"))
    windows = windows_file(
        tmp_path,
        "90d",
        "{name: ticket, severity: ticket, budget_percent: 10, long_window: 9d, short_window: 18h}",
    )

    message = refusal(LimitExceededError, spec, windows)

    assert message == (
        f"{windows}: tier ticket: long_window 9d: longer than a CloudWatch alarm can evaluate: "
        "Period x EvaluationPeriods may be at most 7 days (1 day for periods under 1 hour), "
        "and the period is the window"
    )


def test_seven_days_is_still_one_alarm_period(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lambda d: d["slo"].update(window="90d"))
    windows = windows_file(
        tmp_path,
        "90d",
        "{name: ticket, severity: ticket, budget_percent: 10, long_window: 7d, short_window: 18h}",
    )

    generated = generate_alarms(spec, windows_path=windows, variables={})

    assert generated.plan.window_alarms()[0].period_s == 604_800


def test_a_window_of_seconds_is_not_a_whole_number_of_minutes(tmp_path: Path) -> None:
    windows = windows_file(
        tmp_path, "30d", "{name: fast, severity: page, budget_percent: 2, long_window: 1h, short_window: 90s}"
    )

    message = refusal(LimitExceededError, ORDERS, windows)

    assert "tier fast: short_window 90s: not a whole number of minutes" in message


def test_more_than_twenty_queries_is_refused(tmp_path: Path) -> None:
    def twenty(data: dict[str, Any]) -> None:
        stats = [metric_stat(f"m{i}", "AWS/ApiGateway", "Count", ApiName=f"api{i}") for i in range(10)]
        sums = [{"Id": f"e{i}", "Expression": f"FILL(m{i}, 0)", "ReturnData": False} for i in range(9)]
        total = " + ".join(f"e{i}" for i in range(9))
        availability = {"Id": "availability", "Expression": f"1 - ({total}) / MAX([m9, 1])"}
        data["metric_math"]["Metrics"] = [*stats, *sums, availability]

    message = refusal(LimitExceededError, write_spec(tmp_path, twenty))

    assert message == (
        "sli alarm page-fast (long window 1h): 21 metric queries (the SLI's 20 and errorRate = 1 - "
        "availability), more than the 20 a metric-math alarm takes"
    )


def test_more_than_ten_metric_stats_is_refused(tmp_path: Path) -> None:
    def eleven(data: dict[str, Any]) -> None:
        stats = [metric_stat(f"m{i}", "AWS/ApiGateway", "Count", ApiName=f"api{i}") for i in range(11)]
        total = " + ".join(f"FILL(m{i}, 0)" for i in range(10))
        data["metric_math"]["Metrics"] = [
            *stats,
            {"Id": "availability", "Expression": f"1 - ({total}) / MAX([m10, 1])"},
        ]

    message = refusal(LimitExceededError, write_spec(tmp_path, eleven))

    assert "11 MetricStat queries, more than the 10 a metric-math alarm takes" in message


def test_an_availability_that_is_an_array_is_refused(tmp_path: Path) -> None:
    def array(data: dict[str, Any]) -> None:
        data["metric_math"]["Metrics"] = [
            metric_stat("requests", "AWS/ApiGateway", "Count", ApiName="OrdersAPI"),
            metric_stat("failures", "AWS/ApiGateway", "5XXError", ApiName="OrdersAPI"),
            {"Id": "availability", "Expression": "1 - METRICS()"},
        ]

    message = refusal(InvalidSliError, write_spec(tmp_path, array))

    assert message == (
        "metric_math: availability gives 2 time series (an array); a metric-math alarm returns exactly "
        "one: reduce it, e.g. with SUM(...)"
    )


def test_an_availability_that_is_a_number_is_refused(tmp_path: Path) -> None:
    def scalar(data: dict[str, Any]) -> None:
        data["metric_math"]["Metrics"] = [
            metric_stat("requests", "AWS/ApiGateway", "Count", ApiName="OrdersAPI"),
            {"Id": "availability", "Expression": "1 - SUM(requests) / SUM(requests)"},
        ]

    message = refusal(InvalidSliError, write_spec(tmp_path, scalar))

    assert message.startswith("metric_math: availability gives a single number, not a time series")


def test_an_expression_that_does_not_parse_is_refused(tmp_path: Path) -> None:
    def broken(data: dict[str, Any]) -> None:
        data["metric_math"]["Metrics"][-1]["Expression"] = "1 - (apiFailures / totalRequests"

    message = refusal(InvalidSliError, write_spec(tmp_path, broken))

    assert message.startswith("metric_math: Error in expression availability: Syntax error")


def test_a_threshold_no_error_rate_can_cross_is_refused(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lambda d: d["slo"]["availability"].update(objective=0.9))

    message = refusal(LimitExceededError, spec)

    assert message == (
        "windows/30d.yaml: tier page-fast: long_window 1h: threshold 1.44 = 14.4 x (1 - 0.9) is not "
        "between 0 and 1: no error rate can cross it; lower the tier's factor or the objective"
    )


def test_windows_for_another_slo_period_are_refused(tmp_path: Path) -> None:
    windows = windows_file(
        tmp_path, "28d", "{name: fast, severity: page, budget_percent: 2, long_window: 1h, short_window: 5m}"
    )

    message = refusal(WindowsMismatchError, ORDERS, windows)

    assert message == (
        f"{windows}: slo_period is 28d but the spec's slo.window is 30d: burn-rate factors are relative "
        "to the SLO period"
    )


def test_an_slo_period_without_shipped_windows_asks_for_a_file(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lambda d: d["slo"].update(window="28d"))

    message = refusal(BudgetError, spec)

    assert message == "no burn-rate windows ship for a 28d SLO period (have: 30d); pass a file"


def test_a_spec_without_an_slo_has_nothing_to_alarm_on(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lambda d: d.pop("slo"))

    message = refusal(NothingToAlarmError, spec)

    assert message == (
        f"{spec}: slo: burn-rate alarms need the SLO (slo.availability.objective and slo.window)"
    )


def test_a_spec_without_any_sli_has_nothing_to_alarm_on(tmp_path: Path) -> None:
    def neither(data: dict[str, Any]) -> None:
        data.pop("metric_math")
        data.pop("cloudwatch_publish")

    spec = write_spec(tmp_path, neither)

    message = refusal(NothingToAlarmError, spec)

    assert message == (
        f"{spec}: nothing to alarm on: the spec has neither metric_math (the metric-math SLI) nor "
        "cloudwatch_publish (the black-box SLI the canary publishes)"
    )


def test_an_unrendered_dimension_is_a_spec_error(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lambda d: d["cloudwatch_publish"]["dimensions"].update(Env="${stage}"))

    message = refusal(SpecError, spec)

    assert message.startswith(f"{spec}: cloudwatch_publish.dimensions.Env: unknown variable ${{stage}}")


def test_a_function_chainprobe_does_not_know_is_a_note_not_a_refusal(tmp_path: Path) -> None:
    def anomaly(data: dict[str, Any]) -> None:
        data["metric_math"]["Metrics"][-1]["Expression"] = "1 - FIRST(SORT(totalRequests, SUM, DESC))"

    generated = generate_alarms(write_spec(tmp_path, anomaly), variables={})

    assert any("chainprobe cannot check that the alarms return one series" in n for n in generated.notes)


def test_the_designs_max_spelling_is_noted() -> None:
    generated = generate_alarms(ORDERS, variables={})

    assert generated.notes == (
        "sli (availability): NonStandardSyntax: MAX with 2 arguments is read as MAX([...]) over all of "
        "them; CloudWatch documents MAX with a single series or array",
    )


def test_template_size_limits() -> None:
    assert check_template_size("x" * 51_200) == ()
    (note,) = check_template_size("x" * 51_201)
    assert note.startswith("the template is 51201 bytes, more than the 51200 create-stack takes")
    with pytest.raises(LimitExceededError, match="more than the 1000000 CloudFormation takes"):
        check_template_size("x" * 1_000_001)


def test_every_refusal_is_an_alarms_error_or_a_spec_or_budget_error() -> None:
    assert issubclass(LimitExceededError, AlarmsError)
    assert issubclass(InvalidSliError, AlarmsError)
    assert AlarmsError("two\n  lines").args == ("two lines",)
