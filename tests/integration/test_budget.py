"""``chainprobe budget`` on the real local stack, held against the generated alarms (which really evaluate
there: chainprobe's CloudWatch plugin judges metric-math alarms and composite rules, see test_alarms.py).

A few good orders, then a ``handler-500`` burst, each run publishing its black-box results under a
``Probe`` dimension of its own; the runs are also in the test's ledger, and must count once. Then
``chainprobe budget`` (the command, as a user runs it) must give the budget hand arithmetic gives, say
that the tiers which fire now are exactly the composites in ALARM, and that the first page came one
minute (one evaluation) after the burst's minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chainprobe.target import Target
from tests.integration.test_alarms import canary, deployed, wait_for_states

__all__ = ["deployed"]  # the fixture: the generated alarms deployed with their own prefix and topics

CHAINPROBE = Path(sys.executable).with_name("chainprobe")
BURST = 10


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
    prefix, spec, plan = deployed["prefix"], deployed["spec"], deployed["generated"].plan
    blackbox = {f"{b.name_suffix}": b.tier.name for b in plan.burn_rate_alarms if b.source.key == "blackbox"}

    good = canary(target, spec, count=3)
    assert good.report.sli.chain.good == 3
    code, quiet, _ = budget_when(cli_env, spec, tmp_path / "quiet", 3)
    assert code == 0 and quiet["slis"]["blackbox"]["alerts"] == [] and quiet["ledger_runs"] == 1
    assert quiet["slis"]["blackbox"]["requests"] == 3  # published AND in the ledger: once
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
    error_rate = BURST / (3 + BURST)
    assert abs(box["error_rate"] - error_rate) < 1e-9
    assert abs(box["budget"]["consumed"]["minutes"] - error_rate / 0.005 * 216) < 1e-6
    # The tiers the replay says fire now are the composites CloudWatch put in ALARM.
    firing = {name for name, tier in blackbox.items() if box["burn_rate_now"][tier]["firing"]}
    in_alarm = {name.removeprefix(f"{prefix}-") for name, state in states.items() if state == "ALARM"}
    assert firing == in_alarm == set(blackbox)
    # The first bad minute is the burst's (each run publishes at its end); the page fired at its end.
    burst_minute = int(bad.report.run.ended_at) // 60 * 60
    assert box["first_page"]["tier"] == "page-fast"
    assert box["time_to_first_page_s"] == 60
    assert box["first_page"]["first_bad_minute"].startswith(
        time.strftime("%Y-%m-%dT%H:%M:00", time.gmtime(burst_minute))
    )
    # The metric-math SLI, read from the same CloudWatch: its firing tiers match its composites too.
    sli = {f"{b.name_suffix}": b.tier.name for b in plan.burn_rate_alarms if b.source.key == "sli"}
    replayed = {name for name, tier in sli.items() if report["slis"]["sli"]["burn_rate_now"][tier]["firing"]}
    if replayed:
        wait_for_states(target, {f"{prefix}-{name}": "ALARM" for name in replayed})
    assert {n for n, s in composite_states(target, prefix, list(sli)).items() if s == "ALARM"} == replayed
    html = (tmp_path / "burst" / "budget.html").read_text()
    assert html.count("<svg") >= 7 and "page-fast (page) fired" in html
