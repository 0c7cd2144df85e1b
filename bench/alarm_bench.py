"""Benchmarks the local CloudWatch's alarms: what evaluating them costs, and how soon a burst pages.

Runs its own stack on free loopback ports in a temporary state directory, and stops it at the end.
Deploys the burn-rate alarms ``chainprobe alarms`` generates for ``probes/orders.yaml`` (metric-math
window alarms and ANDed composites; the page topic subscribed by an SQS queue), then measures:

- LocalStack's idle CPU (cores) over ``--idle-seconds`` without alarms and with them, evaluated every
  ``CHAINPROBE_ALARM_EVALUATION_SECONDS`` (10 s on the local stack);
- one evaluation's read: GetMetricData with a window alarm's own queries over its evaluation range
  (3 periods), the median over every window alarm and ``--reads`` reads each;
- time to page: a canary of ``--burst`` ``handler-500`` orders at 10/s; seconds from its first order
  to the metric-math SLI's page-fast composite's ALARM, and to the page topic's message in the queue.

    .venv/bin/python bench/alarm_bench.py [--burst 40] [--idle-seconds 20] [--reads 3]

Prints its figures; it asserts nothing (speed is measured here, not in tests).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from own_stack import own_stack
from stack_bench import cpu_seconds

from chainprobe.drive.canary import FaultPlan
from chainprobe.pipeline import run_canary
from chainprobe.report.alarms import generate_alarms
from chainprobe.target import Target

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "probes" / "orders.yaml"
RANGE_PERIODS = 3  # what the plugin reads per evaluation: EvaluationPeriods (1) + 2 before


def idle_cores(pid: int, seconds: float) -> float:
    before, started = cpu_seconds([pid]), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds([pid]) - before) / (time.monotonic() - started)


def deploy_alarms(target: Target, prefix: str) -> tuple[Any, str]:
    """The generated template as its own stack; returns the plan and the page inbox's queue URL."""
    generated = generate_alarms(SPEC, variables=target.endpoints)
    sns, sqs = target.clients.client("sns"), target.clients.client("sqs")
    topics = {name: sns.create_topic(Name=f"{prefix}-{name}")["TopicArn"] for name in ("page", "ticket")}
    inbox = sqs.create_queue(QueueName=f"{prefix}-page")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topics["page"], Protocol="sqs", Endpoint=inbox_arn)
    cloudformation = target.clients.client("cloudformation")
    cloudformation.create_stack(
        StackName=prefix,
        TemplateBody=generated.template,
        Parameters=[
            {"ParameterKey": "NamePrefix", "ParameterValue": prefix},
            {"ParameterKey": "PageTopicArn", "ParameterValue": topics["page"]},
            {"ParameterKey": "TicketTopicArn", "ParameterValue": topics["ticket"]},
        ],
    )
    while cloudformation.describe_stacks(StackName=prefix)["Stacks"][0]["StackStatus"].endswith(
        "IN_PROGRESS"
    ):
        time.sleep(0.5)
    return generated.plan, inbox


def read_seconds(target: Target, alarm: dict[str, Any]) -> float:
    queries = [{k: v for k, v in q.items() if k != "AccountId"} for q in alarm["Metrics"]]
    period = max(q["MetricStat"]["Period"] for q in queries if "MetricStat" in q)
    end = (int(time.time()) // 60 + 1) * 60
    started = time.perf_counter()
    target.clients.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries,
        StartTime=datetime.fromtimestamp(end - RANGE_PERIODS * period, UTC),
        EndTime=datetime.fromtimestamp(end, UTC),
    )
    return time.perf_counter() - started


def watch_page(
    target: Target, composite: str, inbox: str, marks: dict[str, float], stop: threading.Event
) -> None:
    """Records when the composite is first seen in ALARM and when the first page message arrives."""
    cloudwatch, sqs = target.clients.client("cloudwatch"), target.clients.client("sqs")
    while not stop.is_set() and len(marks) < 2:
        if "alarm" not in marks:
            [state] = cloudwatch.describe_alarms(AlarmNames=[composite], AlarmTypes=["CompositeAlarm"])[
                "CompositeAlarms"
            ]
            if state["StateValue"] == "ALARM":
                marks["alarm"] = time.monotonic()
        if "page" not in marks and sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=0).get("Messages"):
            marks["page"] = time.monotonic()
        time.sleep(0.25)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=int, default=40)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--reads", type=int, default=3)
    args = parser.parse_args()

    with own_stack("alarm-bench") as own:
        stack, target = own.stack, own.target()
        localstack_pid = stack.servers()[0].pid()
        assert localstack_pid is not None
        without = idle_cores(localstack_pid, args.idle_seconds)

        prefix = f"cp-bench-{uuid.uuid4().hex[:6]}"
        plan, inbox = deploy_alarms(target, prefix)
        names = [f"{prefix}-{w.name_suffix}" for w in plan.window_alarms()]
        alarms = target.clients.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
        time.sleep(stack.config.alarm_evaluation_seconds)  # every alarm evaluated once
        with_alarms = idle_cores(localstack_pid, args.idle_seconds)
        print(
            f"LocalStack idle CPU: {without:.3f} cores without alarms, {with_alarms:.3f} with "
            f"{len(alarms)} metric-math alarms + {len(plan.burn_rate_alarms)} composites "
            f"(evaluated every {stack.config.alarm_evaluation_seconds} s)"
        )
        reads = [read_seconds(target, alarm) * 1000 for alarm in alarms for _ in range(args.reads)]
        print(
            f"one evaluation's GetMetricData: median {statistics.median(reads):.1f} ms, "
            f"max {max(reads):.1f} ms ({len(reads)} reads)"
        )

        [page_fast] = [
            b for b in plan.burn_rate_alarms if (b.source.key, b.tier.name) == ("sli", "page-fast")
        ]
        marks: dict[str, float] = {}
        stop = threading.Event()
        composite = f"{prefix}-{page_fast.name_suffix}"
        watcher = threading.Thread(target=watch_page, args=(target, composite, inbox, marks, stop))
        started = time.monotonic()
        watcher.start()
        outcome = run_canary(
            spec_path=SPEC,
            count=args.burst,
            rate=10.0,
            report_dir=None,
            say=lambda _m: None,
            target=target,
            fault_plan=FaultPlan(faults=("handler-500",), every=1),
            publish_metrics=False,
            metric_math=False,
        )
        watcher.join(timeout=120)
        stop.set()
        sent = args.burst / 10.0
        print(
            f"burst: {outcome.report.sli.chain.bad}/{args.burst} orders bad (handler-500), sent over "
            f"{sent:.1f} s; page-fast composite ALARM after "
            + (f"{marks['alarm'] - started:.1f} s" if "alarm" in marks else "never (120 s)")
            + ", page message after "
            + (f"{marks['page'] - started:.1f} s" if "page" in marks else "never (120 s)")
            + " (from the first order)"
        )


if __name__ == "__main__":
    main()
