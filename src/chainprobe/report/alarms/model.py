"""The one internal model the template is rendered from: alarms per window, burn-rate composites, a dashboard.

Built by ``plan.plan_alarms`` (spec + windows -> model), checked by ``limits.check_limits``, written
by ``template.render_template``; nothing here knows YAML or CloudFormation syntax.

- ``WindowAlarm``: one metric-math alarm, a source's error rate over ONE window against the tier's
  threshold (``period_s`` is the window, one evaluation period, one datapoint to alarm).
- ``BurnRateAlarm``: one tier on one source, the composite alarm ``ALARM(long) AND ALARM(short)``; the
  only alarm with actions (the SNS topic parameter of its severity).
- ``Dashboard``: widgets in order, each a list of dashboard metric rows; ``alarms`` widgets name the
  composites by logical id.
- ``AlarmPlan``: all of it, plus what the template's metadata and the command's notes say.

Names: every ``name_suffix`` is appended to the template's ``NamePrefix`` parameter
(``<prefix>-sli-page-fast-long-1h``), so one template deploys side by side under several prefixes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from chainprobe.measure.budget import BurnRateTier, Severity
from chainprobe.report.alarms.sources import SliSource, TreatMissingData

__all__ = [
    "COMPARISON",
    "AlarmPlan",
    "BurnRateAlarm",
    "Dashboard",
    "Widget",
    "WindowAlarm",
    "WindowRole",
    "topic_parameter",
]

COMPARISON = "GreaterThanThreshold"  # strictly above, as measure.budget's tiers compare
type WindowRole = Literal["long", "short"]


def topic_parameter(severity: Severity) -> str:
    """The parameter holding the SNS topic a severity notifies: ``PageTopicArn``, ``TicketTopicArn``."""
    return f"{severity.value.capitalize()}TopicArn"


@dataclass(frozen=True, kw_only=True)
class WindowAlarm:
    """A metric-math alarm: ``source``'s error rate over ``window`` compared with ``threshold``."""

    logical_id: str
    name_suffix: str
    source: SliSource
    tier: BurnRateTier
    role: WindowRole
    window: timedelta
    period_s: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    metrics: tuple[Mapping[str, Any], ...]
    treat_missing_data: TreatMissingData
    description: str

    def metric_stat_count(self) -> int:
        return sum(1 for query in self.metrics if "MetricStat" in query)

    def returned_ids(self) -> list[str]:
        return [str(query["Id"]) for query in self.metrics if query.get("ReturnData", True)]


@dataclass(frozen=True, kw_only=True)
class BurnRateAlarm:
    """A tier on a source: the composite of its long- and short-window alarms, with the tier's actions."""

    logical_id: str
    name_suffix: str
    source: SliSource
    tier: BurnRateTier
    long: WindowAlarm
    short: WindowAlarm
    description: str

    @property
    def severity(self) -> Severity:
        return self.tier.severity

    @property
    def action_parameter(self) -> str:
        return topic_parameter(self.tier.severity)


@dataclass(frozen=True, kw_only=True)
class Widget:
    """A dashboard widget: ``kind`` ``metric`` (``metrics`` rows) or ``alarm`` (``alarms``: logical ids).

    ``properties`` holds the rest of CloudWatch's widget properties (view, period, time range,
    annotations...); ``width`` is in the dashboard's 24-column grid.
    """

    title: str
    kind: Literal["metric", "alarm"]
    width: int
    height: int = 6
    metrics: tuple[Sequence[Any], ...] = ()
    alarms: tuple[str, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Dashboard:
    """The widgets, in reading order (laid out left to right, wrapping at 24 columns)."""

    widgets: tuple[Widget, ...]


@dataclass(frozen=True, kw_only=True)
class AlarmPlan:
    """Everything the template holds, and where it came from."""

    probe: str
    spec_source: str
    objective: float
    slo_period: timedelta
    windows_source: str
    default_prefix: str
    burn_rate_alarms: tuple[BurnRateAlarm, ...]
    dashboard: Dashboard
    notes: tuple[str, ...] = ()

    def window_alarms(self) -> tuple[WindowAlarm, ...]:
        return tuple(alarm for burn in self.burn_rate_alarms for alarm in (burn.long, burn.short))

    def severities(self) -> tuple[Severity, ...]:
        """The severities the composites notify, in tier order."""
        return tuple(dict.fromkeys(burn.severity for burn in self.burn_rate_alarms))

    def sources(self) -> tuple[SliSource, ...]:
        return tuple({burn.source.key: burn.source for burn in self.burn_rate_alarms}.values())
