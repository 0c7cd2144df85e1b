"""``chainprobe budget`` on the real local stack, held against the generated alarms (which really evaluate
there: chainprobe's CloudWatch plugin judges metric-math alarms and composite rules, see test_alarms.py).

Three orders, one of them failing (``handler-500``), then a burst of ten failing ones, each run publishing
its black-box results under a ``Probe`` dimension of its own; the runs are also in the test's ledger, and
must count once. After the first run, one error among three requests: the command pages nobody and the
deployed alarm's own expression reads 0 (the minimum-traffic guard, one rule in both). After the burst,
``chainprobe budget`` (the command, as a user runs it) must give the budget hand arithmetic gives, say
that the tiers which fire now are exactly the composites in ALARM, and time the first page from the
first bad minute (the first run's) to the minute after the burst's, when page-fast fired, and say which
stage spent the budget from the runs' per-stage results (every bad order at ``api``); the constructed
history, published without per-stage results, has "no per-stage history".
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chainprobe.drive.canary import FaultPlan
from chainprobe.pipeline import run_canary
from chainprobe.target import Target
from tests.integration.cloudwatch_window import wait_for_value
from tests.integration.spec_variants import spec_variant
from tests.integration.test_alarms import alarms_by_name, canary, deployed, evaluate, wait_for_states

__all__ = ["deployed"]  # the fixture: the generated alarms deployed with their own prefix and topics

CHAINPROBE = Path(sys.executable).with_name("chainprobe")
BURST = 10


def quick(data: dict[str, Any], probe: str) -> None:
    """The deployed alarms' spec (publishing under ``Probe=<probe>``), without settle windows."""
    data["cloudwatch_publish"] = {"namespace": "Chainprobe", "dimensions": {"Probe": probe}}
    data["event"]["settle_seconds"] = 0
    data["courier"]["settle_seconds"] = 0


def put_history(target: Target, probe: str, runs: list[tuple[int, int, int]]) -> None:
    """Black-box results as the canary publishes them, at past times: (minute, good, bad) per run."""
    dimensions = [{"Name": "Probe", "Value": probe}]
    target.clients.client("cloudwatch").put_metric_data(
        Namespace="Chainprobe",
        MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Timestamp": datetime.fromtimestamp(at + 1, UTC),
             "Value": float(value), "Unit": "Count"}
            for at, good, bad in runs
            for name, value in (("OrdersGood", good), ("OrdersBad", bad))
        ],
    )  # fmt: skip


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def budget(cli_env: dict[str, str], spec: Path, out: Path) -> tuple[int, dict[str, Any], str]:
    command = [str(CHAINPROBE), "budget", "--spec", str(spec), "--report-dir", str(out), "--html"]
    done = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads((out / "budget.json").read_text()), done.stdout


def budget_when(cli_env: dict[str, str], spec: Path, out: Path, requests: float, timeout: float = 60) -> Any:
    """The command's answer once the black-box history holds ``requests`` (the runs' data are in)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = budget(cli_env, spec, out)
        if answer[1]["slis"]["blackbox"]["requests"] >= requests or time.monotonic() > deadline:
            return answer
        time.sleep(1)


def composite_states(target: Target, prefix: str, names: list[str]) -> dict[str, str]:
    answer = target.clients.client("cloudwatch").describe_alarms(
        AlarmNames=[f"{prefix}-{n}" for n in names], AlarmTypes=["CompositeAlarm"]
    )
    return {a["AlarmName"].removeprefix(f"{prefix}-"): a["StateValue"] for a in answer["CompositeAlarms"]}


def test_the_budget_replay_agrees_with_the_generated_alarms(
    deployed: dict[str, Any], target: Target, ledger_path: Path, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    prefix, plan = deployed["prefix"], deployed["generated"].plan
    spec = spec_variant(tmp_path, "budget.yaml", lambda data: quick(data, deployed["probe"]))

    # A constructed history, published with past timestamps: 20 good 3 h ago, a burst of 20 bad 2 h ago,
    # 20 good 15 minutes later. The replay's fire and clear times are hand arithmetic (as in the unit table).
    past = spec_variant(tmp_path, "past.yaml", lambda data: quick(data, f"{deployed['probe']}-past"))
    burst = int(time.time()) // 60 * 60 - 2 * 3600
    put_history(
        target, f"{deployed['probe']}-past", [(burst - 3600, 20, 0), (burst, 0, 20), (burst + 900, 20, 0)]
    )
    _, replayed, said = budget_when(cli_env, past, tmp_path / "past", 60)
    assert replayed["stages"] == [] and "spent by stage: no per-stage history" in said
    box = replayed["slis"]["blackbox"]
    assert [(a["tier"], a["fired_at"], a["cleared_at"]) for a in box["alerts"]] == [
        ("page-fast", iso(burst + 60), iso(burst + 360)),  # the burst leaves the 5 m window
        ("page-slow", iso(burst + 60), iso(burst + 1860)),  # ... and the 30 m window
        ("ticket", iso(burst + 60), None),  # its 6 h window still holds it
    ]
    assert box["time_to_first_page_s"] == 60 and box["first_bad_minute"] == iso(burst)
    assert abs(box["budget"]["consumed"]["minutes"] - (20 / 60) / 0.005 * 216) < 1e-6
    blackbox = {f"{b.name_suffix}": b.tier.name for b in plan.burn_rate_alarms if b.source.key == "blackbox"}

    low = run_canary(
        spec_path=spec,
        count=3,
        rate=20.0,
        report_dir=None,
        say=print,
        target=target,
        fault_plan=FaultPlan(faults=("handler-500",), every=3),  # the first of the three
        publish_metrics=True,
        metric_math=False,
    )
    assert (low.report.sli.chain.good, low.report.sli.chain.bad) == (2, 1) and low.report.run.ended_at
    code, quiet, _ = budget_when(cli_env, spec, tmp_path / "quiet", 3)
    box = quiet["slis"]["blackbox"]
    # One error in three spends the window's budget 66 times over (exit 1), but pages nobody. (Only the
    # black box is the probe's own: the metric-math SLI reads the whole API, whose last hour holds the
    # earlier tests' faults on this shared stack, so whether it pages depends on the order tests run in.)
    assert code == 1 and "blackbox" in quiet["exhausted"]
    assert [alert for alert in quiet["paging"] if alert.startswith("blackbox ")] == []
    assert box["alerts"] == [] and quiet["ledger_runs"] == 1
    assert box["requests"] == 3  # published AND in the ledger: once
    assert abs(box["error_rate"] - 1 / 3) < 1e-9 and box["burn_rate_now"]["page-fast"]["short"]["low_traffic"]
    # The deployed alarm applies the same guard: its stats hold the bad order, its error rate reads 0.
    short = alarms_by_name(target, prefix)[0][f"{prefix}-blackbox-page-fast-short-5m"]
    stats = wait_for_value(lambda: evaluate(target, short, only_stats=True)["blackboxBad"], lambda v: v >= 1)
    assert stats == 1 and evaluate(target, short) == {"errorRate": 0.0}
    states = wait_for_states(target, {f"{prefix}-{name}": "OK" for name in blackbox})
    assert set(states.values()) == {"OK"}, states

    bad = canary(target, spec, count=BURST, fault="handler-500")
    assert bad.report.sli.chain.bad == BURST and bad.report.run.ended_at is not None
    states = wait_for_states(target, {f"{prefix}-{name}": "ALARM" for name in blackbox})
    code, report, out = budget_when(cli_env, spec, tmp_path / "burst", 3 + BURST)
    print(out)

    box = report["slis"]["blackbox"]
    assert code == 1 and report["ledger_runs"] == 2
    assert box["requests"] == 3 + BURST
    error_rate = (1 + BURST) / (3 + BURST)
    assert abs(box["error_rate"] - error_rate) < 1e-9
    assert abs(box["budget"]["consumed"]["minutes"] - error_rate / 0.005 * 216) < 1e-6
    # Which stage spent it: every bad order (1 + BURST handler-500s) at api, none at the later stages
    # (judged only for the 2 good orders); courier is the delivery SLI, apart, with no share.
    stages = {s["stage"]: (s["good"], s["bad"], s["share"]) for s in report["stages"]}
    assert stages == {
        "api": (2, 1 + BURST, 1.0),
        "dynamodb": (2, 0, 0.0),
        "event": (2, 0, 0.0),
        "courier": (2, 0, None),
    }
    api = report["stages"][0]
    assert abs(api["minutes"] - box["budget"]["consumed"]["minutes"]) < 1e-6
    assert f"spent by stage: api {1 + BURST} bad: 100.0%" in out
    # The tiers the replay says fire now are the composites CloudWatch put in ALARM.
    firing = {name for name, tier in blackbox.items() if box["burn_rate_now"][tier]["firing"]}
    in_alarm = {name.removeprefix(f"{prefix}-") for name, state in states.items() if state == "ALARM"}
    assert firing == in_alarm == set(blackbox)
    # Each run publishes at its end: the first bad minute is the first run's; page-fast fired at the end
    # of the burst's minute (its 5 m window then holds 10 of 10 bad, or of 13 when both runs are in it).
    low_minute, burst_minute = (int(r.report.run.ended_at or 0) // 60 * 60 for r in (low, bad))
    assert box["first_page"]["tier"] == "page-fast"
    assert box["time_to_first_page_s"] == burst_minute + 60 - low_minute
    assert box["first_bad_minute"] == time.strftime("%Y-%m-%dT%H:%M:00.000Z", time.gmtime(low_minute))
    # The metric-math SLI, read from the same CloudWatch: its firing tiers match its composites too.
    sli = {f"{b.name_suffix}": b.tier.name for b in plan.burn_rate_alarms if b.source.key == "sli"}
    replayed = {name for name, tier in sli.items() if report["slis"]["sli"]["burn_rate_now"][tier]["firing"]}
    if replayed:
        wait_for_states(target, {f"{prefix}-{name}": "ALARM" for name in replayed})
    assert {n for n, s in composite_states(target, prefix, list(sli)).items() if s == "ALARM"} == replayed
    html = (tmp_path / "burst" / "budget.html").read_text()
    assert html.count("<svg") >= 7 and "page-fast (page) fired" in html
