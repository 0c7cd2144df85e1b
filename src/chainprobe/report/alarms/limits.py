"""Validate: what CloudWatch and CloudFormation would refuse, refused here first, in one line.

The limits are data (``Limits``, defaults from the CloudWatch API reference and the design):

- a metric-math alarm holds at most 20 queries, at most 10 of them ``MetricStat``, and returns ONE
  time series (exactly one query with ``ReturnData``, and that expression yields a series: neither a
  scalar nor an array) — checked by dry-running the alarm's own queries through chainprobe's metric-math
  evaluator on made-up data;
- ``Period x EvaluationPeriods`` is at most 1 day when the period is under 1 hour, 7 days otherwise;
  the period (= the window, see ``plan``) is a whole number of minutes (AWS metrics have 1-minute
  resolution; 10/20/30 s periods only suit high-resolution custom metrics);
- names at most 255 characters with the longest ``NamePrefix`` the template accepts, descriptions at
  most 1024, at most 500 resources in a template, 500 widgets on a dashboard, 500 metrics a graph;
- the template body: at most 51,200 bytes to ``create-stack --template-body`` (a note above that: deploy
  it from S3), 1 MB from S3 (refused above that).

Example::

    notes = check_limits(plan)       # raises LimitExceededError / InvalidSliError, else returns notes
    # ("sli (availability): NonStandardSyntax: MAX with 2 arguments is read as ...",)

Notes are what could not be checked or may matter (a function chainprobe's evaluator does not know, a
non-standard spelling the evaluator accepted); the CLI prints them, the template is still written.
Limitation: the dry run checks shape, not values; CloudWatch's own validation still has the last word.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chainprobe.measure.metricmath import (
    MetricMathError,
    ScalarResultError,
    Series,
    UnsupportedFunctionError,
    evaluate,
)
from chainprobe.report.alarms.exceptions import InvalidSliError, LimitExceededError
from chainprobe.report.alarms.model import AlarmPlan, WindowAlarm
from chainprobe.spec.duration import format_duration

__all__ = ["LIMITS", "Limits", "check_limits", "check_template_size"]


@dataclass(frozen=True, kw_only=True)
class Limits:
    """CloudWatch and CloudFormation limits the generated template must stay within."""

    max_queries: int = 20
    max_metric_stats: int = 10
    short_period_s: int = 3600  # periods under this ...
    short_range_s: int = 86_400  # ... evaluate at most 1 day
    long_range_s: int = 604_800  # others at most 7 days
    period_step_s: int = 60
    max_name: int = 255
    max_prefix: int = 64  # the NamePrefix parameter's MaxLength
    max_description: int = 1024
    max_resources: int = 500
    max_widgets: int = 500
    max_widget_metrics: int = 500
    max_template_body: int = 51_200
    max_template_s3: int = 1_000_000


LIMITS = Limits()
_DRY_RUN_START = datetime(2026, 1, 1, tzinfo=UTC)


def check_limits(plan: AlarmPlan, limits: Limits = LIMITS) -> tuple[str, ...]:
    """Raise on the first limit the plan breaks; else the notes on what was not checkable."""
    notes: list[str] = []
    for alarm in plan.window_alarms():
        _check_window(plan, alarm, limits)
        _check_queries(alarm, limits)
        for note in _dry_run(alarm):
            if note not in notes:
                notes.append(note)
    _check_names(plan, limits)
    _check_dashboard(plan, limits)
    return tuple(notes)


def check_template_size(text: str, limits: Limits = LIMITS) -> tuple[str, ...]:
    """Refuse a template CloudFormation cannot take at all; note one that must go through S3."""
    size = len(text.encode("utf-8"))
    if size > limits.max_template_s3:
        raise LimitExceededError(
            f"the template is {size} bytes, more than the {limits.max_template_s3} CloudFormation takes"
        )
    if size > limits.max_template_body:
        return (
            f"the template is {size} bytes, more than the {limits.max_template_body} create-stack takes "
            "as --template-body: upload it to S3 and pass --template-url",
        )
    return ()


def _where(alarm: WindowAlarm) -> str:
    return f"{alarm.source.key} alarm {alarm.tier.name} ({alarm.role} window {format_duration(alarm.window)})"


def _check_window(plan: AlarmPlan, alarm: WindowAlarm, limits: Limits) -> None:
    where = (
        f"{plan.windows_source}: tier {alarm.tier.name}: {alarm.role}_window {format_duration(alarm.window)}"
    )
    period = alarm.period_s
    if period < limits.period_step_s or period % limits.period_step_s:
        raise LimitExceededError(
            f"{where}: not a whole number of minutes; the alarm's period is the window, and AWS metrics "
            f"have 1-minute resolution (a period must be a multiple of {limits.period_step_s} s)"
        )
    allowed = limits.short_range_s if period < limits.short_period_s else limits.long_range_s
    if period * alarm.evaluation_periods > allowed:
        raise LimitExceededError(
            f"{where}: longer than a CloudWatch alarm can evaluate: Period x EvaluationPeriods may be at "
            f"most {_span(limits.long_range_s)} ({_span(limits.short_range_s)} for periods under "
            f"{_span(limits.short_period_s)}), and the period is the window"
        )
    if not 0 < alarm.threshold < 1:
        raise LimitExceededError(
            f"{where}: threshold {alarm.threshold:g} = {alarm.tier.burn_rate:g} x (1 - {plan.objective:g}) "
            "is not between 0 and 1: no error rate can cross it; lower the tier's factor or the objective"
        )


def _span(seconds: int) -> str:
    """``604800`` -> ``7 days``, ``3600`` -> ``1 hour``."""
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} s"


def _check_queries(alarm: WindowAlarm, limits: Limits) -> None:
    count, stats = len(alarm.metrics), alarm.metric_stat_count()
    if count > limits.max_queries:
        raise LimitExceededError(
            f"{_where(alarm)}: {count} metric queries (the SLI's {count - 1} and errorRate = 1 - "
            f"{alarm.source.availability_id}), more than the {limits.max_queries} a metric-math alarm takes"
        )
    if stats > limits.max_metric_stats:
        raise LimitExceededError(
            f"{_where(alarm)}: {stats} MetricStat queries, more than the {limits.max_metric_stats} a "
            "metric-math alarm takes"
        )
    returned = alarm.returned_ids()
    if len(returned) != 1:
        raise LimitExceededError(
            f"{_where(alarm)}: {len(returned)} queries return data ({', '.join(returned)}); "
            "an alarm returns one"
        )


def _dry_run(alarm: WindowAlarm) -> list[str]:
    """Evaluate the alarm's queries on one made-up datapoint per metric; the result must be one series."""
    (returned,) = alarm.returned_ids()
    period = alarm.period_s

    def fetch(metric_stat: Mapping[str, Any], start: datetime, end: datetime, period_s: int) -> Series:
        return Series(period_s, {start: 1.0})

    try:
        result = evaluate(
            list(alarm.metrics),
            start=_DRY_RUN_START,
            end=_DRY_RUN_START + timedelta(seconds=period),
            fetch=fetch,
        )
    except UnsupportedFunctionError as error:
        return [f"metric_math: {error}: chainprobe cannot check that the alarms return one series"]
    except ScalarResultError as error:
        raise InvalidSliError(
            f"metric_math: {alarm.source.availability_id} gives a single number, not a time series: "
            f"an alarm needs a series ({error})"
        ) from error
    except MetricMathError as error:
        raise InvalidSliError(f"metric_math: {error}") from error
    series = [entry for entry in result.results if entry.id == returned]
    if len(series) != 1:
        raise InvalidSliError(
            f"metric_math: {alarm.source.availability_id} gives {len(series)} time series (an array); "
            "a metric-math alarm returns exactly one: reduce it, e.g. with SUM(...)"
        )
    notes = []
    for entry in result.results:
        for message in entry.messages:
            notes.append(
                f"{alarm.source.key} ({alarm.source.availability_id}): {message.code}: {message.value}"
            )
    if any(math.isnan(value) for value in series[0].values):
        notes.append(f"{alarm.source.key}: {returned} has no value on made-up data; check the expression")
    return notes


def _check_names(plan: AlarmPlan, limits: Limits) -> None:
    ids: set[str] = set()
    named: list[tuple[str, str, str]] = []
    for burn in plan.burn_rate_alarms:
        named.append((burn.logical_id, burn.name_suffix, burn.description))
        named.extend(
            (alarm.logical_id, alarm.name_suffix, alarm.description) for alarm in (burn.long, burn.short)
        )
    if len(named) + 1 > limits.max_resources:
        raise LimitExceededError(
            f"{len(named) + 1} resources, more than the {limits.max_resources} a CloudFormation "
            "template takes"
        )
    for logical_id, suffix, description in named:
        if logical_id in ids or not logical_id.isalnum():
            raise LimitExceededError(
                f"{plan.windows_source}: tier names give the CloudFormation logical id {logical_id!r} "
                "twice or with other characters than letters and digits: rename the tiers"
            )
        ids.add(logical_id)
        if limits.max_prefix + 1 + len(suffix) > limits.max_name:
            raise LimitExceededError(
                f"alarm name <prefix>-{suffix} may exceed {limits.max_name} characters: shorten the tier name"
            )
        if len(description) > limits.max_description:
            raise LimitExceededError(
                f"alarm {suffix}: description of {len(description)} characters, more than "
                f"{limits.max_description}: shorten the spec name or the windows file name"
            )


def _check_dashboard(plan: AlarmPlan, limits: Limits) -> None:
    widgets = plan.dashboard.widgets
    if len(widgets) > limits.max_widgets:
        raise LimitExceededError(f"{len(widgets)} dashboard widgets, more than {limits.max_widgets}")
    for widget in widgets:
        if len(widget.metrics) > limits.max_widget_metrics:
            raise LimitExceededError(
                f"dashboard widget {widget.title!r}: {len(widget.metrics)} metrics, more than "
                f"{limits.max_widget_metrics}"
            )
