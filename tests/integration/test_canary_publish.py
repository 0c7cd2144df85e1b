"""``--publish-metrics`` on the real local stack: a canary's results read back with GetMetricData.

The canary marks every third order ``handler-500`` (the handler answers 500): exactly those orders are
bad, at the ``api`` stage, so the per-stage series show the API stage failing them and every later
stage judging only the others, all good. Settle windows are 0 (this test is not about settling).
A second run under the same dimensions, then ``chainprobe verify --run <it> --publish-metrics`` (one
line: already published, nothing sent), then the raw ``Latency`` read over one period holding both runs:
its SampleCount is the two runs' good orders (none twice) and its p50/p95/p99 the nearest-rank
percentiles of their ledger latencies.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import FailureClass, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.measure.sli import nearest_rank
from chainprobe.pipeline import run_canary
from chainprobe.target import Target
from tests.integration.spec_variants import Spec, publishing_spec, spec_variant
from tests.integration.test_canary import chainprobe, one_line_error

COUNT = 4
EVERY = 3
MARKED = {seq for seq in range(COUNT) if seq % EVERY == 0}  # orders 0 and 3: the handler answers 500
STAGES = ("api", "dynamodb", "event", "courier")
LAG_STATS = ("SampleCount", "p50", "p95", "p99", "Maximum")
SECOND_COUNT = 3  # a second run, no fault: every order good
LATENCY_STATS = ("SampleCount", "p50", "p95", "p99")


def read_back(
    on: Target,
    probe: str,
    metrics: dict[str, tuple[str, dict[str, str]]],
    around: datetime,
    stat: str | dict[str, str] = "Sum",
) -> dict[str, float]:
    """Each metric's value by query id, with MetricStat queries: the run's one datapoint (every datum of
    a run carries its end as timestamp; a query with no data is missing from the answer)."""
    stats = stat if isinstance(stat, dict) else dict.fromkeys(metrics, stat)
    queries = [
        {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": "Chainprobe",
                    "MetricName": name,
                    "Dimensions": [{"Name": "Probe", "Value": probe}]
                    + [{"Name": key, "Value": value} for key, value in extra.items()],
                },
                "Period": 60,
                "Stat": stats[query_id],
            },
            "ReturnData": True,
        }
        for query_id, (name, extra) in metrics.items()
    ]
    answer = on.clients.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries,
        StartTime=around - timedelta(minutes=10),
        EndTime=around + timedelta(minutes=10),
    )
    values = {result["Id"]: result["Values"] for result in answer["MetricDataResults"]}
    assert all(len(points) <= 1 for points in values.values()), values
    return {query_id: points[0] for query_id, points in values.items() if points}


def settled_publishing_spec(directory: Path, probe: str) -> Path:
    """The publishing spec (``Probe=<probe>``) with settle windows of 0: verdicts final as soon as their
    evidence is in."""
    publishing: Spec = yaml.safe_load(publishing_spec(directory, probe).read_text())

    def no_settle(data: Spec) -> None:
        data["cloudwatch_publish"] = publishing["cloudwatch_publish"]
        data["event"]["settle_seconds"] = 0
        data["courier"]["settle_seconds"] = 0

    return spec_variant(directory, "orders-publish-settled.yaml", no_settle)


def test_a_canary_publishes_its_results_each_stage_and_raw_latencies_once(
    target: Target, ledger_path: Path, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    probe = f"orders-{uuid.uuid4().hex[:8]}"

    outcome = run_canary(
        spec_path=settled_publishing_spec(tmp_path, probe),
        count=COUNT,
        rate=4.0,
        report_dir=tmp_path / "reports",
        say=print,
        target=target,
        publish_metrics=True,
        metric_math=False,  # what is published is read back here; the chain's own metrics are not
        fault_plan=FaultPlan(faults=("handler-500",), every=EVERY),
    )

    assert outcome.publish_error is None
    assert outcome.published is not None and outcome.published.dimensions == {"Probe": probe}
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    classes = {**report["orders"]["by_class"], **(report["delivery"] or {}).get("by_class", {})}
    metrics = {
        "sent": ("OrdersSent", {}),
        "good": ("OrdersGood", {}),
        "bad": ("OrdersBad", {}),
        "availability": ("Availability", {}),
        "p50": ("LatencyP50", {}),
        "p95": ("LatencyP95", {}),
        "p99": ("LatencyP99", {}),
        "delivery": ("DeliveryAvailability", {}),
    } | {f"class_{name}": ("OrdersBad", {"FailureClass": name}) for name in classes}

    values = read_back(target, probe, metrics, outcome.published.timestamp)

    assert values["sent"] == report["orders"]["sent"] == COUNT
    assert values["good"] == report["orders"]["good"]
    assert values["bad"] == report["orders"]["bad"]
    assert values["availability"] == report["sli"]["availability"]
    for name in ("p50", "p95", "p99"):
        assert abs(values[name] - report["sli"]["latency_ms"][name]) < 0.01
    raw = {f"raw_{q}": ("Latency", {}) for q in ("p50", "p95", "p99")}
    raw_stats = {f"raw_{q}": q for q in ("p50", "p95", "p99")}
    raw_values = read_back(target, probe, raw, outcome.published.timestamp, stat=raw_stats)
    for name in ("p50", "p95", "p99"):  # one run: the raw values' percentiles are the run's own
        assert abs(raw_values[f"raw_{name}"] - report["sli"]["latency_ms"][name]) < 0.01
    assert values["delivery"] == report["delivery"]["availability"]
    for name, count in classes.items():
        assert values[f"class_{name}"] == count
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(outcome.report.run.run_id)
    bad = {order.seq: order.chain_failure for order in orders if order.chain_verdict is Verdict.BAD}
    assert bad == dict.fromkeys(MARKED, FailureClass.HTTP_5XX), report["worst_orders"]

    # Per stage: the API failed exactly the marked orders; every later stage judged the others, all good.
    stage_metrics = {
        f"{name.lower()}_{stage}": (name, {"Stage": stage})
        for stage in STAGES
        for name in ("StageGood", "StageBad")
    }
    counts = read_back(target, probe, stage_metrics, outcome.published.timestamp)
    passed = COUNT - len(MARKED)
    expected = {"api": (passed, len(MARKED))} | {stage: (passed, 0) for stage in STAGES[1:]}
    assert {
        stage: (counts[f"stagegood_{stage}"], counts[f"stagebad_{stage}"]) for stage in STAGES
    } == expected
    # Lags: raw values, so CloudWatch's own statistics over the run are the report's (nearest rank both).
    for stage in STAGES:
        lag = report["sli"]["stage_lag_ms"][stage]
        queries = {f"lag_{stat.lower()}": ("StageLag", {"Stage": stage}) for stat in LAG_STATS}
        stats = {f"lag_{stat.lower()}": stat for stat in LAG_STATS}
        read = read_back(target, probe, queries, outcome.published.timestamp, stat=stats)
        assert read["lag_samplecount"] == lag["count"] > 0, stage
        for name in ("p50", "p95", "p99", "max"):
            key = "lag_maximum" if name == "max" else f"lag_{name}"
            assert abs(read[key] - lag[name]) < 0.001, (stage, name, read, lag)

    # A second run under the same Probe, then `verify --run` of it asking to publish again: skipped.
    second = run_canary(
        spec_path=settled_publishing_spec(tmp_path, probe),
        count=SECOND_COUNT,
        rate=4.0,
        report_dir=None,
        say=print,
        target=target,
        publish_metrics=True,
        metric_math=False,
    )
    assert second.published is not None and second.publish_error is None
    run_id = second.report.run.run_id
    again = chainprobe(cli_env, "verify", "--run", run_id, "--publish-metrics", "--no-metric-math")
    assert again.returncode == (ExitCode.OK if second.report.gate.met else ExitCode.SLO_BREACHED), (
        again.stderr
    )
    skipped = [line for line in again.stderr.splitlines() if "already published" in line]
    assert len(skipped) == 1 and run_id in skipped[0] and "not published again" in skipped[0], again.stderr

    # Latency over both runs, one period holding them: CloudWatch's percentiles of the raw values are the
    # nearest-rank percentiles of the two runs' good orders' latencies in the ledger (none counted twice).
    with Ledger(ledger_path) as ledger:
        latencies = [
            round(order.api_latency_ms, 3)
            for run in (outcome.report.run.run_id, run_id)
            for order in ledger.orders(run)
            if order.chain_verdict is Verdict.GOOD and order.api_latency_ms is not None
        ]
    assert second.report.sli.chain.good > 0
    assert len(latencies) == COUNT - len(MARKED) + second.report.sli.chain.good
    start = outcome.published.timestamp.replace(second=0, microsecond=0) - timedelta(minutes=10)
    answer = target.clients.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": stat.lower(),
                "MetricStat": {
                    "Metric": {
                        "Namespace": "Chainprobe",
                        "MetricName": "Latency",
                        "Dimensions": [{"Name": "Probe", "Value": probe}],
                    },
                    "Period": 3600,
                    "Stat": stat,
                },
            }
            for stat in LATENCY_STATS
        ],
        StartTime=start,
        EndTime=start + timedelta(hours=1),
    )
    both = {result["Id"]: result["Values"] for result in answer["MetricDataResults"]}
    assert both["samplecount"] == [len(latencies)], both
    for q in (50, 95, 99):
        assert abs(both[f"p{q}"][0] - nearest_rank(latencies, q)) < 0.001, (q, both, sorted(latencies))


def test_publishing_without_a_cloudwatch_publish_section_is_one_line_and_exit_2(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    spec = spec_variant(tmp_path, "no-publish.yaml", lambda data: data.pop("cloudwatch_publish"))

    result = chainprobe(cli_env, "canary", "--spec", str(spec), "--count", "1", "--publish-metrics")

    assert result.returncode == 2
    assert "cloudwatch_publish" in one_line_error(result)
