"""Metric alarms evaluated the way CloudWatch evaluates them: each minute, metric math included.

LocalStack's scheduler judges only single-metric alarms (a metric-math alarm stays INSUFFICIENT_DATA
forever) and runs each one every ``Period * EvaluationPeriods`` (an alarm on a 1-hour window would
notice a burst up to an hour late). :class:`MetricMathAlarmScheduler` keeps LocalStack's scheduler
thread and bookkeeping and replaces what it runs: every alarm — its ``Metrics`` list, or its one
metric turned into a MetricStat query — is read with GetMetricData over its evaluation range (so the
metric-math evaluator serves both) and judged by :mod:`.alarm_state`. The state changes through
SetAlarmState, so history, actions and composite alarms follow as for any change.

``CHAINPROBE_ALARM_EVALUATION_SECONDS`` sets the interval (default 60, as CloudWatch; alarms with a
10 or 30 s period are evaluated every period).
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime

from localstack.services.cloudwatch.alarm_scheduler import (
    AlarmScheduler,
    get_cloudwatch_client_for_region_of_alarm,
    get_metric_alarm_details_for_alarm_arn,
)

from chainprobe_localstack.cloudwatch.alarm_state import (
    AlarmSettings,
    EvaluationRange,
    UnsupportedAlarmError,
    alarm_period,
    alarm_queries,
    next_state,
)

LOG = logging.getLogger(__name__)
DEFAULT_EVALUATION_SECONDS = 60
EVALUATION_SECONDS_VARIABLE = "CHAINPROBE_ALARM_EVALUATION_SECONDS"


def evaluation_seconds() -> int:
    """The evaluation interval from the environment (a positive integer), or CloudWatch's minute."""
    raw = os.environ.get(EVALUATION_SECONDS_VARIABLE, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_EVALUATION_SECONDS


class MetricMathAlarmScheduler(AlarmScheduler):
    """LocalStack's alarm scheduler, running :func:`evaluate_alarm` for every metric alarm."""

    def __init__(self, interval_seconds: int) -> None:
        super().__init__()
        self.interval_seconds = interval_seconds

    def schedule_metric_alarm(self, alarm_arn: str) -> None:
        self.delete_scheduler_for_alarm(alarm_arn)
        alarm = get_metric_alarm_details_for_alarm_arn(alarm_arn)
        if not alarm:
            LOG.warning("Scheduling alarm failed: could not find alarm %s", alarm_arn)
            return
        try:
            AlarmSettings.of(alarm)
        except UnsupportedAlarmError as error:
            LOG.warning("Alarm %s will not be evaluated: %s", alarm["AlarmName"], error)
            return
        self.scheduled_alarms[alarm_arn] = self.scheduler.schedule(
            func=evaluate_alarm,
            period=min(self.interval_seconds, alarm_period(alarm)),
            fixed_rate=True,
            args=[alarm_arn],
            on_error=lambda error: LOG.warning("Evaluating alarm %s failed: %s", alarm_arn, error),
        )


def evaluate_alarm(alarm_arn: str) -> None:
    """Reads the alarm's evaluation range and sets the state it should be in, if it changed."""
    alarm = get_metric_alarm_details_for_alarm_arn(alarm_arn)
    if not alarm:
        return
    settings = AlarmSettings.of(alarm)
    period = alarm_period(alarm)
    window = EvaluationRange.at(now=time.time(), period=period, periods=settings.range_periods)
    client = get_cloudwatch_client_for_region_of_alarm(alarm_arn)
    answer = client.get_metric_data(
        MetricDataQueries=alarm_queries(alarm),
        StartTime=datetime.fromtimestamp(window.start, UTC),
        EndTime=datetime.fromtimestamp(window.end, UTC),
    )
    [result] = answer["MetricDataResults"]  # an alarm returns exactly one series
    stamps = [t.timestamp() for t in result["Timestamps"]]
    transition = next_state(window.datapoints(stamps, result["Values"]), settings)
    if transition is None or transition.state == alarm["StateValue"]:
        return
    query_date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    reason_data = {
        "version": "1.0",
        "queryDate": query_date,
        "startDate": query_date,
        "period": period,
        "recentDatapoints": list(transition.recent),
        "threshold": settings.threshold,
        "evaluatedDatapoints": [{"value": v} for v in transition.recent],
    }
    client.set_alarm_state(
        AlarmName=alarm["AlarmName"],
        StateValue=transition.state,
        StateReason=transition.reason,
        StateReasonData=json.dumps(reason_data),
    )
