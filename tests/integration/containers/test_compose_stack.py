"""docker-compose.yml's containers for real: the compose stack as a laptop with Docker runs it.

One test runs the whole path on one pair of containers (the first start costs a minute on two cores):
``chainprobe up --stack compose`` proves the chain with a real order; a 20-order canary is all good and
its metric-math SLI is read; a fault marked on known orders is found on exactly them; a team's pytest
suite with ``--chainprobe-stack=containers`` finds those containers (a passing probe, a failing probe
naming its stage); ``chainprobe down --stack compose`` leaves no container or network. Two more check
that a daemon that does not answer and an image that cannot be pulled are one line and exit 3.

Needs a Docker daemon and the images (scripts/test: installs, starts and builds them when it can). Without a
daemon the module is skipped with the reason, unless ``CHAINPROBE_CONTAINER_TESTS=required`` (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from chainprobe.ledger.model import FailureClass, Verdict
from chainprobe.ledger.store import Ledger
from tests.integration.conftest import free_port
from tests.integration.spec_variants import spec_variant
from tests.integration.test_canary import ROOT, chainprobe

pytestmark = pytest.mark.containers

COMPOSE_TIMEOUT_S = 1200  # the first `up` of a machine builds the LocalStack image
RUN_TIMEOUT_S = 300


@pytest.fixture
def compose_env(tmp_path: Path) -> dict[str, str]:
    """A compose project of the test's own (name, free ports, state dir, ledger): never a user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAINPROBE_", "AWS_", "COMPOSE_"))}
    return env | {
        "COMPOSE_PROJECT_NAME": f"chainprobe-itest-{uuid.uuid4().hex[:8]}",
        "CHAINPROBE_LOCALSTACK_PORT": str(free_port()),
        "CHAINPROBE_COURIER_PORT": str(free_port()),
        "CHAINPROBE_STATE_DIR": str(tmp_path / "state"),
        "CHAINPROBE_LEDGER": str(tmp_path / "ledger.sqlite"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def project_leftovers(project: str) -> list[str]:
    """The project's containers and networks that still exist."""
    label = f"label=com.docker.compose.project={project}"
    containers = subprocess.run(
        ["docker", "ps", "-a", "-q", "--filter", label], capture_output=True, text=True, check=True
    ).stdout.split()
    networks = subprocess.run(
        ["docker", "network", "ls", "-q", "--filter", label], capture_output=True, text=True, check=True
    ).stdout.split()
    return containers + networks


@pytest.fixture
def compose_project(compose_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``compose_env``; whatever the test leaves of its project is removed after it (and it fails)."""
    yield compose_env
    project = compose_env["COMPOSE_PROJECT_NAME"]
    if leftovers := project_leftovers(project):
        command = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
        subprocess.run(
            [*command, "down", "--remove-orphans", "-v", "-t", "1"], env=compose_env, cwd=ROOT, check=False
        )
        pytest.fail(f"compose project {project} left {len(leftovers)} containers or networks behind")


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_a_daemon_that_does_not_answer_is_one_line(compose_project: dict[str, str], tmp_path: Path) -> None:
    env = compose_project | {"DOCKER_HOST": f"unix://{tmp_path / 'no-daemon.sock'}"}

    result = chainprobe(env, "up", "--stack", "compose", timeout=120)

    assert result.returncode == 3, result.stderr
    [line] = error_lines(result)
    assert line.startswith(
        "chainprobe: the Docker daemon does not answer: Cannot connect to the Docker daemon"
    )


def test_an_image_that_cannot_be_pulled_is_one_line_and_leaves_nothing(
    compose_project: dict[str, str], tmp_path: Path
) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    wiremock = compose["services"]["wiremock"] | {"image": "wiremock/wiremock:0.0.0-no-such-tag"}
    wiremock.pop("volumes")
    (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump({"services": {"wiremock": wiremock}}))
    env = compose_project | {"COMPOSE_FILE": str(tmp_path / "docker-compose.yml")}

    result = chainprobe(env, "up", "--stack", "compose", timeout=300)

    assert result.returncode == 3, result.stderr
    *_, line = error_lines(result)
    assert line.startswith(
        "chainprobe: docker compose up failed: pulling wiremock/wiremock:0.0.0-no-such-tag: "
    )
    assert "Traceback" not in result.stderr
    assert project_leftovers(compose_project["COMPOSE_PROJECT_NAME"]) == []


TEAM_SUITE = """
import pytest

def test_an_order_reaches_the_courier(probe, chainprobe_stack):
    assert (chainprobe_stack.kind, chainprobe_stack.started) == ("containers", False)
    trace = probe.order()
    trace.assert_good()
    assert list(trace.timeline) == ["sent", "api", "dynamodb", "event", "courier"]

@pytest.mark.chainprobe_fault("handler-500")
def test_a_failing_order(probe):
    probe.order().assert_good()
"""


def run_team_suite(
    pytester: pytest.Pytester, env: dict[str, str], spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in os.environ:
        if name.startswith(("CHAINPROBE_", "AWS_", "COMPOSE_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(test_team=TEAM_SUITE)
    result = pytester.runpytest_subprocess(
        f"--chainprobe-spec={spec}", "--chainprobe-stack=containers", timeout=RUN_TIMEOUT_S
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.re_match_lines(
        [
            r"E\s+AssertionError: order o-\S+ failed at stage api: http_5xx: API answered 500.*"
            r"\(fault markers: handler-500\)"
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_compose_stack_runs_the_chain_end_to_end(
    compose_project: dict[str, str],
    tmp_path: Path,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = compose_project
    up = chainprobe(env, "up", "--stack", "compose", "--env", timeout=COMPOSE_TIMEOUT_S)
    try:
        assert up.returncode == 0, up.stderr
        # The README's path: the printed variables name the containers as the canary's target.
        printed = dict(line.split("=", 1) for line in up.stdout.splitlines())
        assert (
            printed["CHAINPROBE_AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{env['CHAINPROBE_LOCALSTACK_PORT']}"
        )
        assert printed["CHAINPROBE_COURIER_URL"] == f"http://127.0.0.1:{env['CHAINPROBE_COURIER_PORT']}"
        canary_env = env | printed
        no_settle = spec_variant(tmp_path, "orders-no-settle.yaml", no_settling)
        reports = tmp_path / "canary"
        canary = chainprobe(
            canary_env,
            "canary",
            "--spec",
            str(no_settle),
            "--count",
            "20",
            "--rate",
            "2",
            "--metric-math-wait",
            "90",
            "--report-dir",
            str(reports),
            timeout=RUN_TIMEOUT_S,
        )
        # The latency objective is not asserted (exit 1 when it alone is breached): a cold start is real.
        assert canary.returncode in (0, 1), canary.stdout + canary.stderr
        report = json.loads((reports / "report.json").read_text())
        assert (report["orders"]["sent"], report["orders"]["good"]) == (20, 20), canary.stdout
        assert report["delivery"]["availability"] == 1.0
        assert report["metric_math"]["availability"] == 1.0
        assert report["metric_math"]["complete"] is True

        faulted = chainprobe(
            canary_env,
            "canary",
            "--spec",
            str(no_settle),
            "--count",
            "6",
            "--rate",
            "3",
            "--fault",
            "handler-500",
            "--fault-every",
            "3",
            "--no-metric-math",
            "--report-dir",
            str(tmp_path / "fault"),
            timeout=RUN_TIMEOUT_S,
        )
        assert faulted.returncode == 1, faulted.stderr
        fault_report = json.loads((tmp_path / "fault" / "report.json").read_text())
        [check] = fault_report["faults"]["faults"]
        assert (check["marked"], check["logged_orders"], check["unmarked_hits"]) == (2, 2, 0)
        with Ledger(Path(env["CHAINPROBE_LEDGER"])) as ledger:
            orders = ledger.orders(fault_report["run_id"])
        bad = {o.seq: o.chain_failure for o in orders if o.chain_verdict is Verdict.BAD}
        assert bad == {0: FailureClass.HTTP_5XX, 3: FailureClass.HTTP_5XX}

        # After the metric-math read: the team's failing probe is a 5xx of the API's metrics too.
        run_team_suite(pytester, env, no_settle, monkeypatch)
    finally:
        down = chainprobe(env, "down", "--stack", "compose", timeout=300)
    assert down.returncode == 0, down.stderr
    assert "stopped: localstack, wiremock" in down.stderr or "stopped: wiremock, localstack" in down.stderr
    assert project_leftovers(env["COMPOSE_PROJECT_NAME"]) == []


def no_settling(data: dict[str, object]) -> None:
    for stage in ("event", "courier"):
        section = data[stage]
        assert isinstance(section, dict)
        section["settle_seconds"] = 0
