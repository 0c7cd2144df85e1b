"""The budget replay and the generated alarms agree by construction: at every minute of a history with a
low-traffic failure and a burst, each generated window alarm's own ``Metrics`` (read as CloudWatch reads
them: GetMetricData over its period, here with the project's metric-math evaluator, as the local stack
answers) breach exactly when ``chainprobe budget``'s replay says that window breaches.

No stack: the history is fake CloudWatch data; the alarms are ``plan_alarms`` for probes/orders.yaml and
the SLIs ``run_budget.sli_definitions`` of the same inputs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from chainprobe.measure.budget_replay import replay
from chainprobe.report.alarms import load_inputs, plan_alarms
from chainprobe.run_budget import sli_definitions
from tests.unit.measure.cloudwatch_fake import FakeCloudWatch

ORDERS = Path(__file__).parents[2] / "probes" / "orders.yaml"
M = 60
E = 1_796_000_000 // 3600 * 3600

# (minute, good, bad, 5XX, Lambda errors): a run of 3 with one 500, a burst of 10, a good run of 20.
RUNS = [(E - 50 * M, 2, 1), (E - 20 * M, 0, 10), (E - 10 * M, 20, 0)]


def fake_cloudwatch() -> FakeCloudWatch:
    points: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for minute, good, bad in RUNS:
        for key, value in (
            (("Chainprobe", "OrdersGood"), good),
            (("Chainprobe", "OrdersBad"), bad),
            (("AWS/ApiGateway", "Count"), good + bad),
            (("AWS/ApiGateway", "5XXError"), bad),
            (("AWS/Lambda", "Errors"), bad),
        ):
            points.setdefault(key, []).append((minute + 1.0, float(value)))
    return FakeCloudWatch(points)


def test_every_window_alarm_breaches_exactly_when_the_replay_says_its_window_breaches() -> None:
    inputs = load_inputs(ORDERS, variables={})
    plan = plan_alarms(inputs)
    cloudwatch = fake_cloudwatch()
    history: dict[int, dict[str, float]] = {}
    slis = {sli.key: sli for sli in sli_definitions(inputs)}
    for sli in slis.values():  # the per-minute sums the budget command reads, by query id
        for query in sli.queries:
            if "MetricStat" not in query:
                continue
            metric = query["MetricStat"]["Metric"]
            for at, value in cloudwatch.points.get((metric["Namespace"], metric["MetricName"]), []):
                history.setdefault(int(at) // M * M, {})[str(query["Id"])] = value

    settings = {"objective": inputs.objective, "windows": inputs.windows, "window": timedelta(hours=1)}
    compared = breaching = 0
    for end in range(E - 55 * M, E + M, M):
        now = {
            sli.key: {t.tier.name: t for t in replay(sli, history, **settings, end=end).tiers_now}
            for sli in slis.values()
        }
        for burn in plan.burn_rate_alarms:
            tier = now[burn.source.key][burn.tier.name]
            for alarm, replayed in ((burn.long, tier.long), (burn.short, tier.short)):
                start = end - alarm.period_s
                answer = cloudwatch.get_metric_data(
                    MetricDataQueries=list(alarm.metrics),
                    StartTime=datetime.fromtimestamp(start, UTC),
                    EndTime=datetime.fromtimestamp(end, UTC),
                )
                [result] = answer["MetricDataResults"]
                value = dict(
                    zip((t.timestamp() for t in result["Timestamps"]), result["Values"], strict=True)
                )
                datapoint = value.get(float(start))
                alarmed = datapoint is not None and datapoint > alarm.threshold  # notBreaching when missing
                assert alarmed == replayed.breaching, (alarm.name_suffix, end - E, datapoint, replayed)
                compared += 1
                breaching += alarmed
    assert compared == 56 * 12 and 0 < breaching < compared  # both verdicts occur
