"""``chainprobe alarms`` on the real local stack: the template deploys with CloudFormation, and a burst of
``handler-500`` orders pushes the error rate the deployed page-fast alarms compute above their threshold.

What the local stack can and cannot show (LocalStack 2026.3.0, read in its sources):

- CloudFormation creates every alarm and composite as written; ``AWS::CloudWatch::Dashboard`` has no
  resource provider there and is skipped as an unsupported type (``CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES``
  defaults to true: the stack lists it, nothing is created). The dashboard body is therefore put with
  CloudWatch's own PutDashboard, after resolving its ``Fn::Sub`` the way CloudFormation would.
- LocalStack's own alarm scheduler evaluates only single-metric alarms (a metric-math alarm stays
  ``INSUFFICIENT_DATA`` forever) and judges composite rules as an OR of ``ALARM(arn)`` terms.
  chainprobe's CloudWatch plugin evaluates every metric alarm (metric math included) each
  ``CHAINPROBE_ALARM_EVALUATION_SECONDS`` and composite rules by their whole grammar, so here the
  alarms really move: the black-box page-fast composite is OK after good orders, and a ``handler-500``
  burst puts every composite in ALARM and pages through its SNS topic (read from an SQS subscription).
- What CloudWatch reads for such an alarm is also checked directly: GetMetricData with the alarm's
  own ``Metrics`` (read back from DescribeAlarms, i.e. what CloudFormation deployed) over its period.

The session's stack is shared: the black-box alarms are scoped to this test by a ``Probe`` dimension of
its own; the metric-math SLI counts every request OrdersAPI served, so the burst is sized from what the
windows already hold.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from chainprobe.drive.canary import FaultPlan
from chainprobe.pipeline import RunOutcome, run_canary
from chainprobe.report.alarms import generate_alarms
from chainprobe.target import Target
from tests.integration.cloudwatch_window import wait_for_value
from tests.integration.spec_variants import publishing_spec

MAX_BURST = 200


@pytest.fixture
def deployed(target: Target, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The generated template deployed as its own stack, with its own topics and name prefix."""
    suffix = uuid.uuid4().hex[:8]
    probe, prefix, stack = f"alarms-{suffix}", f"cp-alarms-{suffix}", f"chainprobe-alarms-{suffix}"
    spec = publishing_spec(tmp_path, probe)
    generated = generate_alarms(spec, variables=target.endpoints)
    sns, sqs = target.clients.client("sns"), target.clients.client("sqs")
    topics = {name: sns.create_topic(Name=f"{prefix}-{name}")["TopicArn"] for name in ("page", "ticket")}
    inboxes = {name: sqs.create_queue(QueueName=f"{prefix}-{name}")["QueueUrl"] for name in topics}
    for name, arn in topics.items():
        queue_arn = sqs.get_queue_attributes(QueueUrl=inboxes[name], AttributeNames=["QueueArn"])[
            "Attributes"
        ]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn["QueueArn"])
    cloudformation = target.clients.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack,
        TemplateBody=generated.template,
        Parameters=[
            {"ParameterKey": "NamePrefix", "ParameterValue": prefix},
            {"ParameterKey": "PageTopicArn", "ParameterValue": topics["page"]},
            {"ParameterKey": "TicketTopicArn", "ParameterValue": topics["ticket"]},
        ],
    )
    try:
        status = wait_for_stack(cloudformation, stack)
        assert status["StackStatus"] == "CREATE_COMPLETE", status.get("StackStatusReason")
        yield {
            "spec": spec,
            "probe": probe,
            "prefix": prefix,
            "stack": stack,
            "topics": topics,
            "inboxes": inboxes,
            "generated": generated,
            "template": yaml.safe_load(generated.template),
            "outputs": {o["OutputKey"]: o["OutputValue"] for o in status.get("Outputs", [])},
        }
    finally:
        cloudformation.delete_stack(StackName=stack)
        wait_for_stack(cloudformation, stack)
        for arn in topics.values():
            sns.delete_topic(TopicArn=arn)
        for url in inboxes.values():
            sqs.delete_queue(QueueUrl=url)


def wait_for_stack(cloudformation: Any, stack: str, timeout: float = 120) -> Mapping[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            status: Mapping[str, Any] = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        except ClientError:
            return {"StackStatus": "DELETE_COMPLETE"}
        if not status["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def alarms_by_name(target: Target, prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    answer = target.clients.client("cloudwatch").describe_alarms(
        AlarmNamePrefix=f"{prefix}-", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    metric = {a["AlarmName"]: a for a in answer["MetricAlarms"]}
    composite = {a["AlarmName"]: a for a in answer["CompositeAlarms"]}
    return metric, composite


def evaluate(target: Target, alarm: Mapping[str, Any], *, only_stats: bool = False) -> dict[str, float]:
    """What CloudWatch evaluates for a metric-math alarm at this minute: its queries over the last period.

    Returns each returned query's single value (by id); ``only_stats`` returns every ``MetricStat``
    query's value instead (the counts under the expression).
    """
    queries = [dict(q) for q in alarm["Metrics"]]
    period = max(q["MetricStat"]["Period"] for q in queries if "MetricStat" in q)
    if only_stats:
        queries = [dict(q, ReturnData=True) for q in queries if "MetricStat" in q]
    end = datetime.fromtimestamp(math.floor(time.time() / 60) * 60 + 60, UTC)
    answer = target.clients.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=end - timedelta(seconds=period), EndTime=end
    )
    return {r["Id"]: (r["Values"][0] if r["Values"] else 0.0) for r in answer["MetricDataResults"]}


def canary(target: Target, spec: Path, *, count: int, fault: str | None = None) -> RunOutcome:
    """A canary run publishing its black-box results; with ``fault``, every order fires it."""
    return run_canary(
        spec_path=spec,
        count=count,
        rate=20.0,
        report_dir=None,
        say=print,
        target=target,
        fault_plan=FaultPlan(faults=(fault,) if fault else (), every=1),
        publish_metrics=True,
        metric_math=False,
    )


def wait_for_notifications(target: Target, inbox: str, expected: set[Any], timeout: float = 30) -> set[Any]:
    """Every distinct notification the inbox received, once ``expected`` all came (or the timeout).

    Distinct: a composite of the shared stack's SLI may have paged before the burst already (earlier
    tests' faults), and again after it.
    """
    deadline = time.monotonic() + timeout
    received = set(notifications(target, inbox))
    while not expected <= received and time.monotonic() < deadline:
        time.sleep(0.5)
        received |= set(notifications(target, inbox))
    return received


def wait_for_states(target: Target, wanted: Mapping[str, str], timeout: float = 60) -> dict[str, str]:
    """Polls DescribeAlarms until every named alarm is in its wanted state; returns the last states."""
    cloudwatch = target.clients.client("cloudwatch")
    deadline = time.monotonic() + timeout
    while True:
        answer = cloudwatch.describe_alarms(
            AlarmNames=list(wanted), AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        states = {a["AlarmName"]: a["StateValue"] for a in answer["MetricAlarms"] + answer["CompositeAlarms"]}
        if states == dict(wanted) or time.monotonic() > deadline:
            return states
        time.sleep(1)


def notifications(target: Target, inbox: str) -> list[tuple[str, str]]:
    """(alarm name, new state) of every alarm notification an SNS-subscribed queue holds."""
    sqs = target.clients.client("sqs")
    found = []
    while messages := sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            alarm = json.loads(json.loads(message["Body"])["Message"])
            found.append((alarm["AlarmName"], alarm["NewStateValue"]))
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
    return sorted(found)


def error_rate(target: Target, alarm: Mapping[str, Any]) -> float:
    (value,) = evaluate(target, alarm).values()
    return value


def test_the_template_deploys_as_generated(deployed: dict[str, Any], target: Target) -> None:
    prefix, plan = deployed["prefix"], deployed["generated"].plan
    metric, composite = alarms_by_name(target, prefix)

    assert len(metric) == 12 and len(composite) == 6
    for window in plan.window_alarms():
        alarm = metric[f"{prefix}-{window.name_suffix}"]
        assert alarm["Threshold"] == window.threshold
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)
        assert alarm["TreatMissingData"] == "notBreaching"
        stats = [q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q]
        assert {s["Period"] for s in stats} == {int(window.window.total_seconds())}
        returned = [q for q in alarm["Metrics"] if q.get("ReturnData", True)]
        assert [q["Expression"] for q in returned] == [window.source.error_rate_expression(10)]
        assert alarm["AlarmActions"] == []
    thresholds = {
        name.split(f"{prefix}-sli-")[1]: a["Threshold"] for name, a in metric.items() if "-sli-" in name
    }
    assert thresholds == {
        "page-fast-long-1h": 0.072,
        "page-fast-short-5m": 0.072,
        "page-slow-long-6h": 0.03,
        "page-slow-short-30m": 0.03,
        "ticket-long-3d": 0.005,
        "ticket-short-6h": 0.005,
    }
    blackbox = metric[f"{prefix}-blackbox-page-fast-long-1h"]["Metrics"]
    dimensions = {d["Name"]: d["Value"] for d in blackbox[0]["MetricStat"]["Metric"]["Dimensions"]}
    assert dimensions == {"Probe": deployed["probe"]}

    for burn in plan.burn_rate_alarms:
        alarm = composite[f"{prefix}-{burn.name_suffix}"]
        long, short = (metric[f"{prefix}-{w.name_suffix}"]["AlarmArn"] for w in (burn.long, burn.short))
        assert alarm["AlarmRule"] == f'ALARM("{long}") AND ALARM("{short}")'
        assert alarm["AlarmActions"] == [deployed["topics"][burn.severity.value]]
        assert alarm["AlarmDescription"].startswith(burn.severity.value.upper())
        assert deployed["outputs"][f"{burn.logical_id}AlarmArn"] == alarm["AlarmArn"]

    resources = target.clients.client("cloudformation").describe_stack_resources(StackName=deployed["stack"])
    types = {r["LogicalResourceId"]: r["ResourceType"] for r in resources["StackResources"]}
    assert types["Dashboard"] == "AWS::CloudWatch::Dashboard"


def dashboard_body(deployed: dict[str, Any], target: Target) -> str:
    """The DashboardBody as CloudFormation would resolve its ``Fn::Sub`` in this stack."""
    body: str = deployed["template"]["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    body = body.replace("${AWS::Region}", target.clients.region)
    for key, arn in deployed["outputs"].items():
        if key.endswith("AlarmArn"):
            body = body.replace(f"${{{key.removesuffix('AlarmArn')}.Arn}}", arn)
    return body.replace("${!", "${")


def widget_queries(widget: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A dashboard widget's metric rows as GetMetricData queries (1-minute periods)."""
    queries = []
    for row in widget["properties"]["metrics"]:
        options = row[-1]
        visible = options.get("visible", True)
        if "expression" in options:
            queries.append({"Id": options["id"], "Expression": options["expression"], "ReturnData": visible})
            continue
        dimensions = [{"Name": n, "Value": v} for n, v in zip(row[2:-1:2], row[3:-1:2], strict=True)]
        metric = {"Namespace": row[0], "MetricName": row[1], "Dimensions": dimensions}
        stat = {"Metric": metric, "Period": 60, "Stat": options["stat"]}
        queries.append({"Id": options["id"], "MetricStat": stat, "ReturnData": True})
    return queries


def test_a_handler_500_burst_crosses_the_page_fast_threshold_on_both_windows(
    deployed: dict[str, Any], target: Target, ledger_path: Path, tmp_path: Path
) -> None:
    prefix, spec = deployed["prefix"], deployed["spec"]
    metric, _ = alarms_by_name(target, prefix)
    fast = {role: metric[f"{prefix}-sli-page-fast-{role}"] for role in ("long-1h", "short-5m")}
    blackbox = {role: metric[f"{prefix}-blackbox-page-fast-{role}"] for role in ("long-1h", "short-5m")}
    threshold = fast["long-1h"]["Threshold"]

    # A few good orders first (the dashboard's latency and black-box widgets need some), then the burst,
    # sized so that even the busiest window of the shared stack ends up well above the threshold.
    good = canary(target, spec, count=3)
    assert good.report.sli.chain.good == 3 and good.published is not None
    # Evaluated (not left INSUFFICIENT_DATA), and no page for good orders.
    [page_fast] = [
        b
        for b in deployed["generated"].plan.burn_rate_alarms
        if (b.source.key, b.tier.name) == ("blackbox", "page-fast")
    ]
    quiet = [f"{prefix}-{alarm.name_suffix}" for alarm in (page_fast, page_fast.long, page_fast.short)]
    assert wait_for_states(target, dict.fromkeys(quiet, "OK")) == dict.fromkeys(quiet, "OK")
    before = [evaluate(target, alarm, only_stats=True) for alarm in fast.values()]
    needed = max(
        math.ceil((2 * threshold * (c["totalRequests"] + 3) - c["apiFailures"]) / (1 - 2 * threshold))
        for c in before
    )
    burst = max(10, needed)
    if burst > MAX_BURST:
        pytest.skip(f"the shared stack served too much in the last hour: {burst} bad orders needed")
    bad = canary(target, spec, count=burst, fault="handler-500")
    assert bad.report.sli.chain.bad == burst and bad.published is not None

    watched = {
        **{f"sli {k}": a for k, a in fast.items()},
        **{f"blackbox {k}": a for k, a in blackbox.items()},
    }
    rates = {
        name: wait_for_value(lambda alarm=alarm: error_rate(target, alarm), lambda v: v > threshold)
        for name, alarm in watched.items()
    }
    print("page-fast error rates:", rates, "threshold:", threshold)
    assert all(rate > threshold for rate in rates.values()), rates
    assert rates["blackbox long-1h"] == pytest.approx(burst / (burst + 3))
    # Every tier's two windows hold the burst: every composite goes to ALARM and notifies its topic.
    plan = deployed["generated"].plan
    for window in plan.window_alarms():
        alarm = metric[f"{prefix}-{window.name_suffix}"]
        assert error_rate(target, alarm) > alarm["Threshold"], window.name_suffix
    composites = {f"{prefix}-{burn.name_suffix}": burn.severity.value for burn in plan.burn_rate_alarms}
    assert wait_for_states(target, dict.fromkeys(composites, "ALARM")) == dict.fromkeys(composites, "ALARM")
    for severity, inbox in deployed["inboxes"].items():
        expected = {(name, "ALARM") for name, level in composites.items() if level == severity}
        assert wait_for_notifications(target, inbox, expected) == expected, severity

    # The dashboard: what CloudFormation would have put (LocalStack skips the resource), and every
    # metric it draws exists with these dimensions (but FailedInvocations, published only when non-zero).
    cloudwatch = target.clients.client("cloudwatch")
    cloudwatch.put_dashboard(DashboardName=prefix, DashboardBody=dashboard_body(deployed, target))
    widgets = json.loads(cloudwatch.get_dashboard(DashboardName=prefix)["DashboardBody"])["widgets"]
    try:
        assert [w["properties"]["title"] for w in widgets] == [
            "Availability, rolling 30d",
            "Error budget remaining, rolling 30d",
            "Burn-rate alerts",
            "End-to-end latency p95 (ms)",
            "API 5xx",
            "Lambda errors",
            "EventBridge failed entries",
            "Success per stage (%)",
            "Lag per stage p95 (ms)",
        ]
        assert set(widgets[2]["properties"]["alarms"]) == {
            v for k, v in deployed["outputs"].items() if k.endswith("AlarmArn")
        }
        end = datetime.now(UTC) + timedelta(minutes=1)
        for widget in (w for w in widgets if w["type"] == "metric"):
            answer = cloudwatch.get_metric_data(
                MetricDataQueries=widget_queries(widget), StartTime=end - timedelta(minutes=15), EndTime=end
            )
            empty = {
                r["Id"]
                for r in answer["MetricDataResults"]
                if not r["Values"] and r["Id"] not in {"eventFailures"}
            }
            assert not empty, f"{widget['properties']['title']}: no data for {sorted(empty)}"
        latency = next(w for w in widgets if w["properties"]["title"].startswith("End-to-end"))
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=widget_queries(latency), StartTime=end - timedelta(minutes=15), EndTime=end
        )
        values = {r["Id"]: max(r["Values"]) for r in answer["MetricDataResults"]}
        # The estimate adds nested times: at least the API's own p95.
        assert values["latencyEstimate"] >= values["apiLatency"] > 0
    finally:
        cloudwatch.delete_dashboards(DashboardNames=[prefix])


def test_a_composite_alarm_is_in_alarm_only_while_its_whole_rule_holds(target: Target) -> None:
    cloudwatch = target.clients.client("cloudwatch")
    prefix = f"cp-rule-{uuid.uuid4().hex[:8]}"
    a, b, both, either, top = (f"{prefix}-{name}" for name in ("a", "b", "both", "either", "top"))
    for name in (a, b):  # no data, and missing data ignored: only SetAlarmState moves them
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="chainprobe/tests",
            MetricName=f"{prefix}-nothing",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="ignore",
        )
    cloudwatch.put_composite_alarm(AlarmName=both, AlarmRule=f'ALARM("{a}") AND ALARM({b})')
    arn_of_a = cloudwatch.describe_alarms(AlarmNames=[a])["MetricAlarms"][0]["AlarmArn"]
    cloudwatch.put_composite_alarm(AlarmName=either, AlarmRule=f'ALARM("{arn_of_a}") OR ALARM({b})')
    cloudwatch.put_composite_alarm(AlarmName=top, AlarmRule=f"ALARM({both}) AND NOT OK({either})")
    try:
        composites = (both, either, top)
        assert wait_for_states(target, dict.fromkeys(composites, "OK"), timeout=0) == dict.fromkeys(
            composites, "OK"
        )

        steps = [
            ((a, "ALARM"), ("OK", "ALARM", "OK")),
            ((b, "ALARM"), ("ALARM", "ALARM", "ALARM")),  # top follows its child composite
            ((a, "OK"), ("OK", "ALARM", "OK")),
        ]
        for (name, state), wanted in steps:
            cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")
            seen = wait_for_states(target, dict(zip(composites, wanted, strict=True)), timeout=0)
            assert seen == dict(zip(composites, wanted, strict=True)), (name, state)

        with pytest.raises(ClientError, match="unsupported function or keyword 'AT_LEAST'"):
            cloudwatch.put_composite_alarm(AlarmName=f"{prefix}-bad", AlarmRule=f"AT_LEAST(1, ALARM, ({a}))")
    finally:
        cloudwatch.delete_alarms(AlarmNames=[top])
        cloudwatch.delete_alarms(AlarmNames=[both, either])
        cloudwatch.delete_alarms(AlarmNames=[a, b])
