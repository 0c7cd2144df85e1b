"""Runs that end honestly, on the real local stack: whatever stops a run in flight (the user, the ledger
locked by another process, the courier journal or LocalStack going down), no more orders leave, what
was sent is judged as far as the evidence allows, the reports are written with the reason, the exit
code says why, and ``verify --run`` finishes the run once the cause is gone.

Every wait here is for a condition (orders sent in the ledger, a line on stderr, the process's end),
never for a length of time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from chainprobe.drive.load.shapes import load_shapes
from chainprobe.ledger.store import Ledger
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig
from tests.integration.conftest import RunningStack, free_port
from tests.integration.spec_variants import Spec, spec_variant
from tests.integration.test_canary import CHAINPROBE, ROOT, chainprobe

WAIT_S = 240.0  # the longest any condition may take on a loaded machine before the test fails


def sent_orders(ledger_path: Path) -> tuple[str | None, int]:
    """The run id and how many of its orders have left (``sent_at`` recorded), read as another process."""
    if not ledger_path.exists():
        return None, 0
    try:
        with sqlite3.connect(f"file:{ledger_path}?mode=ro", uri=True, timeout=1) as db:
            row = db.execute("SELECT run_id, COUNT(sent_at) FROM orders GROUP BY run_id").fetchone()
    except sqlite3.OperationalError:
        return None, 0  # the canary has created the file but not its tables yet
    return (row[0], row[1]) if row else (None, 0)


def wait_for(what: str, condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the canary ended (exit {process.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {WAIT_S} s")
        time.sleep(0.1)


def wait_for_sent(ledger_path: Path, process: subprocess.Popen[str], count: int) -> str:
    wait_for(f"{count} orders sent", lambda: sent_orders(ledger_path)[1] >= count, process)
    run_id, _ = sent_orders(ledger_path)
    assert run_id is not None
    return run_id


def canary(env: dict[str, str], spec: Path, count: int, rate: float, reports: Path) -> subprocess.Popen[str]:
    args = f"canary --spec {spec} --count {count} --rate {rate} --no-metric-math --report-dir {reports}"
    return subprocess.Popen(
        [*CHAINPROBE, *args.split()],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class StderrLines:
    """Reads a process's stderr as it comes, so a test can wait for a line while the process runs."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        self.stream = process.stderr
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.stream:
            self.lines.append(line.rstrip("\n"))

    def has(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def text(self) -> str:
        self.thread.join(timeout=WAIT_S)
        return "\n".join(self.lines)


def report_of(reports: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((reports / "report.json").read_text())
    orders = report["orders"]
    assert orders["sent"] == orders["good"] + orders["bad"] + orders["pending"], orders
    return report


def one_line_saying(stderr: str, text: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if text in line]
    assert len(lines) == 1, stderr
    return lines[0]


def assert_finished_by_verify(env: dict[str, str], run_id: str, ledger_path: Path, reports: Path) -> None:
    """``verify --run`` judges what was left pending; the run stays incomplete (it sent too few)."""
    finished = chainprobe(env, "verify", "--run", run_id, "--no-metric-math", "--report-dir", str(reports))
    assert finished.returncode == 1 and "Traceback" not in finished.stderr, finished.stderr
    with Ledger(ledger_path) as ledger:
        assert ledger.pending_orders(run_id) == []
    report = report_of(reports)
    assert (report["complete"], report["orders"]["pending"], report["slo"]["met"]) == (False, 0, False)


# -- the user ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_the_sending_writes_a_partial_report_and_exits_130(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, quick_spec: Path, stop_signal: signal.Signals
) -> None:
    reason = f"interrupted ({stop_signal.name})"
    reports = tmp_path / "reports"
    process = canary(cli_env, quick_spec, count=40, rate=2, reports=reports)
    lines = StderrLines(process)
    run_id = wait_for_sent(ledger_path, process, 4)
    sent_at_signal = sent_orders(ledger_path)[1]

    process.send_signal(stop_signal)
    # The canary says so when the stop takes effect: from then on no order may leave.
    wait_for("the stop's notice", lambda: lines.has(f"{stop_signal.name}: no more orders leave"), process)
    sent_when_stopped = sent_orders(ledger_path)[1]
    process.wait(timeout=WAIT_S)
    stderr = lines.text()

    assert process.returncode == 130, stderr
    line = one_line_saying(stderr, "incomplete")
    assert f"run {run_id} incomplete: {reason}" in line
    assert f"verify --run {run_id}" in line
    report = report_of(reports)
    assert report["complete"] is False and report["end_reason"] == reason
    assert report["slo"]["met"] is False
    assert f"incomplete: {reason}" in report["slo"]["reasons"]
    # No new order left after the stop (one may have been on its way as it came).
    assert sent_at_signal <= report["orders"]["sent"] <= sent_when_stopped + 1 < 40
    assert "incomplete" in (reports / "summary.md").read_text()
    assert f'name="end_reason" value="{reason}"' in (reports / "junit.xml").read_text()
    with Ledger(ledger_path) as ledger:
        run = ledger.get_run(run_id)
    assert run.end_reason == reason

    assert_finished_by_verify(cli_env, run_id, ledger_path, reports)


def test_a_second_ctrl_c_ends_the_process_at_once_and_verify_finishes_the_run(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    process = canary(cli_env, quick_spec, count=40, rate=2, reports=tmp_path / "reports")
    stderr = StderrLines(process)
    run_id = wait_for_sent(ledger_path, process, 4)

    process.send_signal(signal.SIGINT)
    wait_for("the first SIGINT's notice", lambda: stderr.has("SIGINT: no more orders leave"), process)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)

    text = stderr.text()
    assert process.returncode == 130, text
    assert f"SIGINT again: stopped at once; finish the run with 'chainprobe verify --run {run_id}'" in text
    assert "Traceback" not in text and "closed database" not in text, text
    with sqlite3.connect(ledger_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert_finished_by_verify(cli_env, run_id, ledger_path, tmp_path / "verified")


# -- the sender -------------------------------------------------------------------------------------


def test_a_ledger_locked_mid_run_stops_the_sender_and_the_run_ends_incomplete_with_exit_2(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    reports = tmp_path / "reports"
    process = canary(cli_env, quick_spec, count=30, rate=2, reports=reports)
    run_id = wait_for_sent(ledger_path, process, 5)

    lock = sqlite3.connect(ledger_path, isolation_level=None, timeout=30)
    try:
        lock.execute("BEGIN EXCLUSIVE")  # another process holds the ledger until the canary has ended
        _, stderr = process.communicate(timeout=WAIT_S * 2)
    finally:
        lock.execute("ROLLBACK")
        lock.close()

    assert process.returncode == 2, stderr
    line = one_line_saying(stderr, "incomplete")
    assert f"run {run_id} incomplete: ledger: " in line and "locked" in line
    report = report_of(reports)
    assert report["complete"] is False and report["end_reason"].startswith("ledger: ")
    assert report["slo"]["met"] is False and "SLO met" not in (reports / "summary.md").read_text()
    assert 5 <= report["orders"]["sent"] < 30
    assert_finished_by_verify(cli_env, run_id, ledger_path, tmp_path / "verified")


# -- the courier journal ----------------------------------------------------------------------------


class JournalProxy:
    """The courier stub's admin API behind a port of the test's own, which the test can close."""

    def __init__(self, upstream: str) -> None:
        upstream = upstream.rstrip("/")

        class Forward(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = httpx.get(upstream + self.path, timeout=30)
                self.send_response(answer.status_code)
                self.send_header("content-type", answer.headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()  # the port refuses connections from now on


@pytest.fixture
def journal_proxy(local_stack: RunningStack) -> Iterator[JournalProxy]:
    proxy = JournalProxy(local_stack.endpoints.courier_url)
    yield proxy
    proxy.close()


def courier_spec(directory: Path, admin_url: str) -> Path:
    def journal_at(data: Spec) -> None:
        data["courier"]["admin_url"] = admin_url

    return spec_variant(directory, "orders-journal.yaml", journal_at)


def test_the_courier_journal_going_down_mid_run_is_an_infrastructure_stop_not_a_bug(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, journal_proxy: JournalProxy
) -> None:
    spec, reports = courier_spec(tmp_path, journal_proxy.url), tmp_path / "reports"
    process = canary(cli_env, spec, count=30, rate=2, reports=reports)
    run_id = wait_for_sent(ledger_path, process, 4)

    journal_proxy.close()
    _, stderr = process.communicate(timeout=WAIT_S)

    assert process.returncode == 3, stderr
    line = one_line_saying(stderr, "incomplete")
    assert f"incomplete: infrastructure: courier journal at {journal_proxy.url}" in line
    assert "internal error" not in stderr
    report = report_of(reports)
    assert report["complete"] is False and report["end_reason"].startswith("infrastructure: courier journal")
    assert report["orders"]["sent"] < 30
    # The chain was judged; the deliveries were not judged missing for want of a journal.
    assert report["orders"]["pending"] == 0 and report["delivery"]["pending"] > 0
    assert "courier_missing" not in report["delivery"]["by_class"]

    # Every verify of it is the same infrastructure condition while the journal is down ...
    again = chainprobe(cli_env, "verify", "--run", run_id, "--no-metric-math")
    assert again.returncode == 3, again.stderr
    one_line_saying(again.stderr, "incomplete")
    # ... and finishes the run once it is back.
    courier_spec(tmp_path, "${courier_url}")
    assert_finished_by_verify(cli_env, run_id, ledger_path, tmp_path / "verified")


# -- LocalStack -------------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """The pids of a process's descendants (from /proc; none where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.fixture
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of this test's own (free ports, temporary state), since the test stops its LocalStack."""
    config = LocalStackConfig(
        localstack_port=free_port(),
        courier_port=free_port(),
        state_dir=tmp_path_factory.mktemp("own-stack-state"),
    )
    stack = LocalStack(config, say=print)
    try:
        stack.up()
        yield stack
    finally:
        stack.down()


def own_stack_env(stack: LocalStack, ledger_path: Path) -> dict[str, str]:
    """The environment of a CLI run against ``stack`` alone (no other CHAINPROBE_/AWS_ settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAINPROBE_", "AWS_", "LOCUST_"))}
    return env | {
        "CHAINPROBE_STATE_DIR": str(stack.config.state_dir),
        "CHAINPROBE_LOCALSTACK_PORT": str(stack.config.localstack_port),
        "CHAINPROBE_COURIER_PORT": str(stack.config.courier_port),
        "CHAINPROBE_LEDGER": str(ledger_path),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_localstack_stopped_mid_run_ends_it_with_exit_3_and_a_report(
    own_stack: LocalStack, tmp_path: Path, quick_spec: Path
) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    env = own_stack_env(own_stack, ledger_path)
    reports = tmp_path / "reports"
    process = canary(env, quick_spec, count=40, rate=2, reports=reports)
    wait_for_sent(ledger_path, process, 6)
    localstack, _ = own_stack.servers()
    pid = localstack.pid()
    assert pid is not None
    functions = descendants(pid)  # its Lambda function processes, orphaned by the SIGKILL
    os.kill(pid, signal.SIGKILL)
    try:
        _, stderr = process.communicate(timeout=WAIT_S)
    finally:
        for child in functions:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)

    assert process.returncode == 3, stderr
    one_line_saying(stderr, "incomplete: infrastructure: ")
    report = report_of(reports)
    assert report["complete"] is False and report["end_reason"].startswith("infrastructure: ")
    assert report["orders"]["sent"] < 40
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(report["run_id"])
    # An order whose API call already failed for good is judged bad with its class, never left pending.
    for order in orders:
        if order.api_failure is not None or (order.api_status or 0) >= 500:
            assert order.chain_verdict.value == "bad" and order.chain_failure is not None, order


def test_localstack_frozen_mid_run_ends_it_with_exit_3_within_a_bound(
    own_stack: LocalStack, tmp_path: Path, quick_spec: Path
) -> None:
    """A LocalStack that accepts connections but never answers (SIGSTOP): the verifier's calls give up
    in seconds, so the run ends, judged and reported, well within WAIT_S (boto's own bounds, 30 s x 6
    attempts per call, held it for about six minutes)."""
    ledger_path = tmp_path / "ledger.sqlite"
    env = own_stack_env(own_stack, ledger_path)
    reports = tmp_path / "reports"
    process = canary(env, quick_spec, count=40, rate=2, reports=reports)
    wait_for_sent(ledger_path, process, 6)
    localstack, _ = own_stack.servers()
    pid = localstack.pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        _, stderr = process.communicate(timeout=WAIT_S)
    finally:
        os.kill(pid, signal.SIGCONT)  # so that the fixture's down stops it as usual
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 3, stderr
    one_line_saying(stderr, "incomplete: infrastructure: ")
    report = report_of(reports)
    assert report["complete"] is False and report["end_reason"].startswith("infrastructure: ")
    counts = report["orders"]
    assert counts["sent"] == counts["good"] + counts["bad"] + counts["pending"]


def test_ctrl_c_stops_a_load_run_too(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    reports = tmp_path / "reports"
    args = f"load --spec {quick_spec} --shape arrival-ramp --time-scale 0.5 --no-metric-math"
    args += f" --report-dir {reports}"
    process = subprocess.Popen(
        [*CHAINPROBE, *args.split()],
        env=cli_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_id = wait_for_sent(ledger_path, process, 10)

    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=WAIT_S)

    assert process.returncode == 130, stderr
    assert f"run {run_id} incomplete: interrupted (SIGINT)" in one_line_saying(stderr, "incomplete")
    report = report_of(reports)
    assert report["complete"] is False and report["end_reason"] == "interrupted (SIGINT)"
    planned = load_shapes(None).get("arrival-ramp").scaled(0.5).planned_orders
    assert report["orders"]["sent"] < planned / 2  # stopped long before the shape's end
