"""The canary end to end on the real local stack: verdicts, reports, a killed run, cleanup, bad input."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from chainprobe.ledger.model import Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import run_canary
from chainprobe.target import Target
from chainprobe.verify.capture import PREFIX
from tests.integration.conftest import RunningStack
from tests.integration.spec_variants import ROOT as ROOT
from tests.integration.spec_variants import SPEC as SPEC

CHAINPROBE = [str(Path(sys.executable).parent / "chainprobe")]


def chainprobe(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHAINPROBE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_with_no_fault_every_order_is_good_and_reported(
    target: Target, ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    outcome = run_canary(
        spec_path=quick_spec, count=8, rate=4.0, report_dir=tmp_path / "reports", say=print, target=target
    )

    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["orders"]["sent"] == 8
    assert report["orders"]["good"] == 8
    assert report["orders"]["bad"] == 0
    assert report["orders"]["by_class"] == {}
    assert report["sli"]["availability"] == 1.0
    # The latency objective is not asserted: a cold start is real and may breach it on 8 orders.
    availability = outcome.report.gate.objective("availability")
    assert availability is not None and availability.met
    assert (tmp_path / "reports" / "junit.xml").read_text().count("<testcase") >= 4
    assert "SLO met" in (tmp_path / "reports" / "summary.md").read_text()
    # No settle wait (quick_spec): the tests of settling are test_settle.py's.
    assert report["settle"] == {
        "windows_s": {"event": 0, "courier": 0},
        "waited": 0,
        "wait_s": {"median": None, "max": None},
    }
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(report["run_id"])
    assert all(o.chain_verdict is Verdict.GOOD and o.delivery_verdict is Verdict.GOOD for o in orders)
    assert all(o.api_at and o.dynamodb_at and o.event_at and o.courier_at for o in orders)


def test_two_harnesses_with_their_own_ledgers_each_get_all_their_events(
    cli_env: dict[str, str], tmp_path: Path, quick_spec: Path
) -> None:
    """A scheduled canary and a laptop's run against one chain at once share the capture queue: each
    releases the other's events instead of consuming them, so neither sees an event go missing."""
    canary = [
        *CHAINPROBE,
        "canary",
        "--spec",
        str(quick_spec),
        "--count",
        "12",
        "--rate",
        "3",
        "--no-metric-math",
    ]
    runs = {}
    for name in ("ci", "laptop"):
        env = cli_env | {"CHAINPROBE_LEDGER": str(tmp_path / f"{name}.sqlite")}
        runs[name] = subprocess.Popen(
            [*canary, "--report-dir", str(tmp_path / name)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    for process in runs.values():
        _, stderr = process.communicate(timeout=300)
        assert "Traceback" not in stderr, stderr

    for name in runs:
        report = json.loads((tmp_path / name / "report.json").read_text())
        assert (report["orders"]["sent"], report["orders"]["good"]) == (12, 12), (name, report["orders"])


def planned_orders(ledger_path: Path) -> tuple[str | None, int]:
    if not ledger_path.exists():
        return None, 0
    try:
        with sqlite3.connect(ledger_path) as db:
            row = db.execute("SELECT run_id, COUNT(*) FROM orders GROUP BY run_id").fetchone()
    except sqlite3.OperationalError:
        return None, 0  # the canary has created the file but not its tables yet
    return (row[0], row[1]) if row else (None, 0)


def test_a_killed_canary_is_finished_by_verify_with_nothing_lost(
    cli_env: dict[str, str], ledger_path: Path, quick_spec: Path
) -> None:
    process = subprocess.Popen(
        [*CHAINPROBE, "canary", "--spec", str(quick_spec), "--count", "40", "--rate", "4"],
        env=cli_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        run_id, planned = None, 0
        while time.monotonic() < deadline and planned < 12:
            time.sleep(0.2)
            run_id, planned = planned_orders(ledger_path)
    finally:
        # Never leave it running: its verifier would drain other tests' events from the capture queue.
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert run_id is not None and 12 <= planned < 40, "the canary was not killed mid-run"

    finished = chainprobe(cli_env, "verify", "--run", run_id)

    assert finished.returncode in (0, 1) and "Traceback" not in finished.stderr, finished.stderr
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(run_id)
    _, planned_after = planned_orders(ledger_path)
    assert len(orders) == planned_after >= planned
    assert [o for o in orders if o.pending] == []
    sent = [o for o in orders if o.sent_at is not None]
    assert all(o.chain_verdict is Verdict.GOOD or o.chain_failure is not None for o in sent)
    assert sum(o.chain_verdict is Verdict.GOOD for o in orders) >= planned - 2


def test_cleanup_removes_every_capture_rule_and_queue(
    cli_env: dict[str, str], local_stack: RunningStack, quick_spec: Path
) -> None:
    ran = chainprobe(
        cli_env, "canary", "--spec", str(quick_spec), "--count", "2", "--rate", "4", "--no-metric-math"
    )
    # 0 or 1: a cold start may breach the latency objective of two orders; cleanup is what is tested here.
    assert ran.returncode in (0, 1) and "Traceback" not in ran.stderr, ran.stderr
    events = local_stack.clients.client("events")
    sqs = local_stack.clients.client("sqs")
    bus = local_stack.endpoints.bus
    assert events.list_rules(EventBusName=bus, NamePrefix=PREFIX)["Rules"]

    cleaned = chainprobe(cli_env, "cleanup")

    assert cleaned.returncode == 0, cleaned.stderr
    assert events.list_rules(EventBusName=bus, NamePrefix=PREFIX)["Rules"] == []
    assert sqs.list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", []) == []


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_a_malformed_spec_is_one_line_and_exit_2(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsend: [unclosed\n")

    result = chainprobe(cli_env, "canary", "--spec", str(bad))

    assert result.returncode == 2
    assert "bad.yaml" in one_line_error(result)


def test_an_unknown_field_is_one_line_and_exit_2(cli_env: dict[str, str], tmp_path: Path) -> None:
    spec = tmp_path / "unknown.yaml"
    spec.write_text(SPEC.read_text().replace("deadlines:", "deadlinez: {}\ndeadlines:", 1))

    result = chainprobe(cli_env, "canary", "--spec", str(spec))

    assert result.returncode == 2
    assert "deadlinez" in one_line_error(result)


def test_an_unreachable_endpoint_is_one_line_and_exit_3(cli_env: dict[str, str]) -> None:
    env = cli_env | {
        "CHAINPROBE_API_URL": "http://127.0.0.1:9/prod",
        "CHAINPROBE_COURIER_URL": "http://127.0.0.1:9",
    }

    result = chainprobe(env, "canary", "--spec", str(SPEC), "--count", "1")

    assert result.returncode == 3
    assert "127.0.0.1:9" in one_line_error(result)


def test_missing_credentials_are_one_line_and_exit_2(
    cli_env: dict[str, str], local_stack: RunningStack, tmp_path: Path
) -> None:
    env = cli_env | {
        "CHAINPROBE_API_URL": local_stack.endpoints.api_url,
        "CHAINPROBE_COURIER_URL": local_stack.endpoints.courier_url,
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "HOME": str(tmp_path),
    }

    result = chainprobe(env, "canary", "--spec", str(SPEC), "--count", "1")

    assert result.returncode == 2
    assert "credentials" in one_line_error(result)


def test_a_missing_table_is_one_line_and_exit_2(cli_env: dict[str, str]) -> None:
    result = chainprobe(
        cli_env | {"CHAINPROBE_TABLE": "NoSuchTable"}, "canary", "--spec", str(SPEC), "--count", "1"
    )

    assert result.returncode == 2
    assert "NoSuchTable" in one_line_error(result)
