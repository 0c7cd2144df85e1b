"""The ``cloudwatch:chainprobe`` provider (``PROVIDER_OVERRIDE_CLOUDWATCH=chainprobe``).

LocalStack's v2 CloudWatch provider (alarms, dashboards, PutMetricData, ListMetrics, ...), with its
storage read through :class:`~.store.MetricStore` (exact dimensions, percentiles), GetMetricData
answered by the metric-math evaluator (``metric_data.py``), so ``Expression`` queries work, metric
alarms (metric math included) evaluated each minute (``alarms.py``) and composite alarms judged by
their whole rule (``alarm_rule.py``: AND, OR, NOT, ALARM/OK/INSUFFICIENT_DATA, TRUE/FALSE).
"""

from datetime import UTC, datetime
from typing import Any

from localstack.aws.api import RequestContext, handler
from localstack.aws.api.cloudwatch import PutCompositeAlarmInput, StateValue
from localstack.services.cloudwatch.models import LocalStackCompositeAlarm
from localstack.services.cloudwatch.provider_v2 import _STORE_LOCK, CloudwatchProvider, ValidationException
from localstack.services.plugins import Service, aws_provider
from localstack.utils.aws import arns
from localstack.utils.time import timestamp_millis

from chainprobe_localstack.cloudwatch import metric_data
from chainprobe_localstack.cloudwatch.alarm_rule import AlarmRuleError, parse_alarm_rule
from chainprobe_localstack.cloudwatch.alarms import MetricMathAlarmScheduler, evaluation_seconds
from chainprobe_localstack.cloudwatch.store import MetricStore

MAX_COMPOSITE_DEPTH = 10
"""Composite alarms may watch composite alarms; a change travels up at most this many levels."""


class MetricMathCloudwatchProvider(CloudwatchProvider):
    """CloudWatch whose GetMetricData evaluates metric math and whose alarms are all evaluated."""

    def __init__(self) -> None:
        super().__init__()
        self.cloudwatch_database = MetricStore()
        self.alarm_scheduler = MetricMathAlarmScheduler(evaluation_seconds())

    def on_after_state_reset(self) -> None:
        super().on_after_state_reset()
        self.cloudwatch_database = MetricStore()

    def get_metric_data(
        self,
        context: Any,
        metric_data_queries: Any,
        start_time: Any,
        end_time: Any,
        next_token: Any = None,
        scan_by: Any = None,
        max_datapoints: Any = None,
        label_options: Any = None,
        **kwargs: Any,
    ) -> Any:
        return metric_data.get_metric_data(
            self.cloudwatch_database,
            account_id=context.account_id,
            region=context.region,
            queries=metric_data_queries,
            start_time=start_time,
            end_time=end_time,
            scan_by=scan_by,
            max_datapoints=max_datapoints,
            next_token=next_token,
        )

    @handler("PutCompositeAlarm", expand=False)
    def put_composite_alarm(self, context: RequestContext, request: PutCompositeAlarmInput) -> None:
        """Refuses a rule CloudWatch would refuse; judges the new alarm at once, as CloudWatch does."""
        try:
            parse_alarm_rule(request["AlarmRule"])
        except AlarmRuleError as error:
            raise ValidationException(str(error)) from None
        super().put_composite_alarm(context, request)
        arn = arns.cloudwatch_alarm_arn(
            request["AlarmName"], account_id=context.account_id, region_name=context.region
        )
        with _STORE_LOCK:
            composite = self.get_store(context.account_id, context.region).alarms[arn]
            self._evaluate_composite_alarm(context, composite, None)

    def _validate_alarm_rule_expression(self, alarm_rule: str) -> list[str]:
        try:
            parse_alarm_rule(alarm_rule)
        except AlarmRuleError as error:
            return [str(error)]
        return []

    def _evaluate_composite_alarm(
        self, context: RequestContext, composite_alarm: Any, triggering_alarm: Any, depth: int = 0
    ) -> None:
        store = self.get_store(context.account_id, context.region)
        by_name = {a.alarm["AlarmName"]: a for a in store.alarms.values()}

        def child(reference: str) -> Any:
            return store.alarms.get(reference) or by_name.get(reference)

        def state_of(reference: str) -> str:
            found = child(reference)
            return found.alarm["StateValue"] if found else StateValue.INSUFFICIENT_DATA

        rule = parse_alarm_rule(composite_alarm.alarm["AlarmRule"])
        new_state = StateValue.ALARM if rule.evaluate(state_of) else StateValue.OK
        old_state = composite_alarm.alarm["StateValue"]
        if new_state == old_state:
            return
        trigger = triggering_alarm or next((child(r) for r in rule.alarms() if child(r)), composite_alarm)
        reason, reason_data = _triggered_by(trigger)
        composite_alarm.alarm["StateTransitionedTimestamp"] = datetime.now(UTC)
        self._update_state(context, composite_alarm, new_state, reason, reason_data)
        if composite_alarm.alarm["ActionsEnabled"]:
            self._run_composite_alarm_actions(context, composite_alarm, old_state, trigger)
        if depth < MAX_COMPOSITE_DEPTH:
            names = {composite_alarm.alarm["AlarmName"], composite_alarm.alarm["AlarmArn"]}
            for parent in [a for a in store.alarms.values() if isinstance(a, LocalStackCompositeAlarm)]:
                if names & set(parse_alarm_rule(parent.alarm["AlarmRule"]).alarms()):
                    self._evaluate_composite_alarm(context, parent, composite_alarm, depth + 1)


def _triggered_by(trigger: Any) -> tuple[str, dict[str, Any]]:
    """A composite's StateReason and StateReasonData, naming the alarm whose change moved it."""
    changed_at = trigger.alarm.get("StateTransitionedTimestamp") or trigger.alarm["StateUpdatedTimestamp"]
    reason = (
        f"{trigger.alarm['AlarmArn']} transitioned to {trigger.alarm['StateValue']} "
        f"at {changed_at.strftime('%A %d %B, %Y %H:%M:%S %Z')}"
    )
    state = {"value": trigger.alarm["StateValue"], "timestamp": timestamp_millis(changed_at)}
    return reason, {"triggeringAlarms": [{"arn": trigger.alarm["AlarmArn"], "state": state}]}


@aws_provider(api="cloudwatch", name="chainprobe")
def cloudwatch_chainprobe() -> Service:
    return Service.for_provider(MetricMathCloudwatchProvider())
