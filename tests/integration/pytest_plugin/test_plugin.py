"""The pytest plugin as a team uses it: a test file of theirs run by a pytest of its own (pytester, in a
subprocess, the plugin loaded by its ``pytest11`` entry point) against the session's real local stack,
named to it by ``CHAINPROBE_*`` variables. Verdicts are waited for by the verifier's own deadlines."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chainprobe.ledger.model import FailureClass, RunState, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.stacks.local.faults import FaultRegistryClient
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig
from tests.integration.conftest import RunningStack, free_port
from tests.integration.test_canary import ROOT, SPEC

TIMEOUT_S = 300


@pytest.fixture
def team_env(local_stack: RunningStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of the team's pytest: the session's local stack found from its state (as
    ``chainprobe status`` finds it) and a ledger of its own; returns the ledger's path."""
    for name in os.environ:
        if name.startswith(("CHAINPROBE_", "AWS_")):
            monkeypatch.delenv(name)
    ledger = tmp_path / "team-ledger.sqlite"
    monkeypatch.setenv("CHAINPROBE_STATE_DIR", str(local_stack.config.state_dir))
    monkeypatch.setenv("CHAINPROBE_LOCALSTACK_PORT", str(local_stack.config.localstack_port))
    monkeypatch.setenv("CHAINPROBE_COURIER_PORT", str(local_stack.config.courier_port))
    monkeypatch.setenv("CHAINPROBE_LEDGER", str(ledger))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return ledger


def run_team_suite(pytester: pytest.Pytester, source: str, *args: str, spec: Path = SPEC) -> pytest.RunResult:
    """The team's pytest on ``source``; ``spec``: the reference spec, or ``quick_spec`` for a suite that
    waits for verdicts (no settle window holds them)."""
    pytester.makepyfile(test_team=source)
    return pytester.runpytest_subprocess(f"--chainprobe-spec={spec}", *args, timeout=TIMEOUT_S)


def test_a_good_order_passes_with_every_stage_on_its_timeline_and_its_reports_attached(
    pytester: pytest.Pytester, team_env: Path, local_stack: RunningStack, tmp_path: Path, quick_spec: Path
) -> None:
    reports = tmp_path / "probe-reports"
    result = run_team_suite(
        pytester,
        """
        def test_an_order_reaches_the_courier(probe, chainprobe_stack):
            trace = probe.order(amount=25.0)
            trace.assert_good()
            trace.assert_delivered()
            assert (trace.verdict, trace.failure_class, trace.delivery_verdict) == ("good", None, "good")
            assert list(trace.timeline) == ["sent", "api", "dynamodb", "event", "courier"]
            assert (chainprobe_stack.kind, chainprobe_stack.started) == ("local", False)
            print("TRACE", trace.order_id, trace.run_id)
        """,
        "--chainprobe-stack=local",
        f"--chainprobe-report-dir={reports}",
        f"--junitxml={tmp_path / 'junit.xml'}",
        "-s",
        spec=quick_spec,
    )

    result.assert_outcomes(passed=1)
    [(order_id, run_id)] = re.findall(r"TRACE (\S+) (\S+)", result.stdout.str())
    [report_json] = (reports / "test_team.py__test_an_order_reaches_the_courier" / "01-order").glob(
        "report.json"
    )
    report = json.loads(report_json.read_text())
    assert (report["run_id"], report["orders"]["sent"], report["orders"]["good"]) == (run_id, 1, 1)
    assert order_id.startswith(f"o-{run_id}-0-")
    assert f'name="chainprobe_report" value="{report_json}"' in (tmp_path / "junit.xml").read_text()
    assert team_env.exists()  # the order was written to the team's ledger
    assert local_stack.stack.status()["running"]  # found running, so left running


def test_a_marked_fault_fails_the_test_with_the_stage_class_and_details(
    pytester: pytest.Pytester, team_env: Path, quick_spec: Path
) -> None:
    result = run_team_suite(
        pytester,
        """
        import pytest

        @pytest.mark.chainprobe_fault("handler-500")
        def test_an_order_is_good(probe):
            probe.order().assert_good()
        """,
        spec=quick_spec,
    )

    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines(
        [
            r"E\s+AssertionError: order o-\S+ failed at stage api: http_5xx: API answered 500.*"
            r"\(fault markers: handler-500\)",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_fault_set_by_a_test_is_cleared_after_it(
    pytester: pytest.Pytester, team_env: Path, local_stack: RunningStack, quick_spec: Path
) -> None:
    result = run_team_suite(
        pytester,
        """
        def test_with_the_fault(probe, chainprobe_faults):
            assert chainprobe_faults.set("handler-500", rate=1.0) == {"handler-500": 1.0}
            trace = probe.order()
            assert (trace.verdict, trace.failure_class, trace.failing_stage) == ("bad", "http_5xx", "api")

        def test_after_it(probe, chainprobe_faults):
            assert chainprobe_faults.active() == {}
            probe.order().assert_good()
        """,
        spec=quick_spec,
    )

    result.assert_outcomes(passed=2)
    assert FaultRegistryClient.for_endpoint(local_stack.config.aws_endpoint_url).active() == {}


def test_a_target_named_by_the_environment_runs_a_canary(
    pytester: pytest.Pytester,
    team_env: Path,
    local_stack: RunningStack,
    monkeypatch: pytest.MonkeyPatch,
    quick_spec: Path,
) -> None:
    endpoints = local_stack.endpoints
    monkeypatch.setenv("CHAINPROBE_API_URL", endpoints.api_url)
    monkeypatch.setenv("CHAINPROBE_COURIER_URL", endpoints.courier_url)
    monkeypatch.setenv("CHAINPROBE_TABLE", endpoints.table)
    monkeypatch.setenv("CHAINPROBE_BUS", endpoints.bus)
    monkeypatch.setenv("CHAINPROBE_AWS_ENDPOINT_URL", local_stack.config.aws_endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", local_stack.clients.region)
    result = run_team_suite(
        pytester,
        """
        def test_a_small_canary(probe, chainprobe_stack):
            assert (chainprobe_stack.kind, chainprobe_stack.started) == ("env", False)
            report = probe.canary(count=3, rate=3)
            assert [order.chain_verdict.value for order in report.orders] == ["good"] * 3
            assert report.complete
        """,
        spec=quick_spec,
    )

    result.assert_outcomes(passed=1)


def test_a_local_stack_that_is_not_running_is_started_and_stopped_with_the_session(
    pytester: pytest.Pytester,
    team_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    quick_spec: Path,
) -> None:
    config = LocalStackConfig(
        localstack_port=free_port(), courier_port=free_port(), state_dir=tmp_path / "team-stack"
    )
    monkeypatch.setenv("CHAINPROBE_STATE_DIR", str(config.state_dir))
    monkeypatch.setenv("CHAINPROBE_LOCALSTACK_PORT", str(config.localstack_port))
    monkeypatch.setenv("CHAINPROBE_COURIER_PORT", str(config.courier_port))
    stack = LocalStack(config, say=print)
    try:
        result = run_team_suite(
            pytester,
            """
            def test_on_a_stack_of_its_own(probe, chainprobe_stack):
                assert (chainprobe_stack.kind, chainprobe_stack.started) == ("local", True)
                probe.order().assert_good()
            """,
            spec=quick_spec,
        )

        result.assert_outcomes(passed=1)
        assert not stack.status()["servers"]["localstack"]
        assert not stack.status()["servers"]["wiremock"]
    finally:
        stack.down()  # whatever the session left behind


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- pytest-plugin-example -->\n", 1)[1].split(
        "<!-- /pytest-plugin-example -->", 1
    )[0]
    return block.removeprefix("```python\n").rstrip().removesuffix("```")


def test_the_readme_example_passes(pytester: pytest.Pytester, team_env: Path, quick_spec: Path) -> None:
    result = run_team_suite(pytester, readme_example(), spec=quick_spec)

    result.assert_outcomes(passed=5)


def test_what_stops_a_probe_before_a_verdict_is_one_line_not_a_traceback(
    pytester: pytest.Pytester, team_env: Path, tmp_path: Path
) -> None:
    pytester.makepyfile(
        test_team="""
        import pytest

        def test_with_a_missing_spec(probe):
            pass

        @pytest.mark.chainprobe_fault("handler-5000")
        def test_with_an_unknown_fault(chainprobe_faults):
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        f"--chainprobe-spec={tmp_path / 'missing.yaml'}", timeout=TIMEOUT_S
    )

    result.assert_outcomes(errors=2)
    output = result.stdout.str()
    assert re.search(rf"^chainprobe: .*{re.escape(str(tmp_path / 'missing.yaml'))}", output, re.M), output
    assert re.search(r"^chainprobe: unknown fault 'handler-5000'; known faults: ", output, re.M), output
    assert "Traceback" not in output and "def test_with" not in output, output
    assert "During handling" not in output, output


def test_an_unreachable_target_fails_the_probe_in_one_line(
    pytester: pytest.Pytester, team_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINPROBE_API_URL", "http://127.0.0.1:9/prod")
    monkeypatch.setenv("CHAINPROBE_COURIER_URL", "http://127.0.0.1:9")
    result = run_team_suite(pytester, "def test_an_order(probe):\n    probe.order().assert_good()\n")

    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines(
        [r"^chainprobe: cannot reach the API at 127\.0\.0\.1:9 \(http://127\.0\.0\.1:9/prod/orders\)$"]
    )
    assert "Traceback" not in result.stdout.str() and "During handling" not in result.stdout.str()


def test_ctrl_c_concludes_the_run_then_stops_the_session(
    pytester: pytest.Pytester, team_env: Path, quick_spec: Path
) -> None:
    """Its order is marked ``courier-5xx``, so its verification waits for the courier's deadline: Ctrl-C
    comes while it does. The run ends as the run lifecycle ends a stopped run (the order that left is
    judged within its deadlines, the run recorded as ended), then pytest stops as on any Ctrl-C."""
    pytester.makepyfile(
        test_team="""
        import pytest

        @pytest.mark.chainprobe_fault("courier-5xx")
        def test_a_slow_delivery(probe):
            probe.order()

        def test_never_reached():
            pass
        """
    )
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-s",
        "-p",
        "no:cacheprovider",
        f"--chainprobe-spec={quick_spec}",
    ]
    with subprocess.Popen(
        command,
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal, whatever ran us
    ) as session:
        assert session.stdout is not None
        lines = []
        for line in session.stdout:
            lines.append(line)
            if line.startswith("sent 1/1"):  # the order is out: the run's signal handlers are in place
                session.send_signal(signal.SIGINT)
                break
        output = "".join(lines) + session.stdout.read()
        code = session.wait(timeout=TIMEOUT_S)

    assert code == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output and "test_never_reached" not in output, output
    with Ledger(team_env) as ledger:
        [run] = ledger.runs()
        [order] = ledger.orders(run.run_id)
    assert run.ended_at is not None and run.state is RunState.VERIFIED, run
    assert (order.chain_verdict, order.delivery_failure) == (Verdict.GOOD, FailureClass.COURIER_FAILED)
