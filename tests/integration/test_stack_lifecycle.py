"""The local stack's own lifecycle through the command line, on the real LocalStack and WireMock.

One stack of this module's own (``up --port P --courier-port Q`` on free ports, in a temporary state
dir, with no ``CHAINPROBE_*`` port variable anywhere): every command finds it from its state, a port that
disagrees is refused without touching it, ``cleanup`` is scoped, and ``down`` / ``up`` stop what a
stubborn or killed LocalStack leaves. The last two tests stop the stack themselves; each test brings it up
first (``up`` on a running stack reuses it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainprobe.spec import load_spec
from chainprobe.stacks.clients import AwsClients
from chainprobe.verify.capture import CaptureRule
from tests.integration.conftest import free_port

CHAINPROBE = str(Path(sys.executable).parent / "chainprobe")
SPEC = Path(__file__).resolve().parents[2] / "probes" / "orders.yaml"
MARK = "CHAINPROBE_STACK_STATE"


@dataclass(frozen=True)
class CliStack:
    env: dict[str, str]
    state: Path
    port: int
    courier_port: int

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CHAINPROBE, *args], env={**self.env, **env}, capture_output=True, text=True, timeout=600
        )

    def pids(self) -> dict[str, int]:
        """The pid files, as this module reads them: name -> pid."""
        return {
            name: json.loads((self.state / f"{name}.pid").read_text())["pid"]
            for name in ("localstack", "wiremock")
            if (self.state / f"{name}.pid").exists()
        }

    def clients(self) -> AwsClients:
        return AwsClients.local(f"http://127.0.0.1:{self.port}", "us-east-1")

    def ensure_up(self) -> None:
        """``up`` on this module's ports (they agree with the running stack; after a ``down`` the state
        no longer remembers them)."""
        result = self.run("up", "--port", str(self.port), "--courier-port", str(self.courier_port))
        assert result.returncode == 0, result.stderr


def state_of(pid: int) -> str | None:
    """The process's state letter from /proc, None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def gone(pid: int) -> bool:
    return state_of(pid) in (None, "Z", "X")


def wait_gone(pids: list[int], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(gone(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and not gone(int(stat.parent.name)):
            found.append(int(stat.parent.name))
    return found


def function_processes(localstack_pid: int) -> list[int]:
    """LocalStack's children running the Lambda bootstrap: the chain's function processes."""
    found = []
    for pid in children_of(localstack_pid):
        try:
            if b"bootstrap.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def marked_with(state: Path) -> list[int]:
    """Every live process whose environment names this state dir (read here, not by chainprobe's code)."""
    wanted = f"{MARK}={state.resolve()}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if wanted in environ.read_bytes().split(b"\0") and not gone(int(environ.parent.name)):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliStack]:
    state = tmp_path_factory.mktemp("lifecycle-state")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAINPROBE_", "AWS_", "LOCUST_"))}
    env.update(
        CHAINPROBE_STATE_DIR=str(state),
        CHAINPROBE_LEDGER=str(state / "ledger.sqlite"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    stack = CliStack(env=env, state=state, port=free_port(), courier_port=free_port())
    try:
        stack.ensure_up()
        yield stack
    finally:
        stack.run("down")


def test_status_canary_and_verify_find_the_stack_from_its_state(
    stack: CliStack, tmp_path: Path, quick_spec: Path
) -> None:
    stack.ensure_up()
    before = stack.pids()

    status = stack.run("status", "--json")
    assert status.returncode == 0, status.stderr
    described = json.loads(status.stdout)
    assert described["ports"] == {"localstack": stack.port, "courier": stack.courier_port}
    assert described["aws_endpoint_url"] == f"http://127.0.0.1:{stack.port}"

    canary = stack.run(
        "canary", "--spec", str(quick_spec), "--count", "2", "--no-metric-math", "--report-dir", str(tmp_path)
    )
    # 0 or 1: a cold start may breach the latency objective of two orders; where it ran is what is tested.
    assert canary.returncode in (0, 1), canary.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["orders"]["sent"], report["orders"]["good"]) == (2, 2)
    verify = stack.run("verify", "--run", report["run_id"])
    assert verify.returncode in (0, 1), verify.stderr
    assert stack.run("fault", "list").returncode == 0

    after = stack.pids()
    assert after == before and not any(gone(pid) for pid in after.values())
    # Nothing of this stack runs but its two servers and LocalStack's own children: no server was
    # started anywhere else (on the default ports, say).
    ours = {*after.values(), *children_of(after["localstack"])}
    assert set(marked_with(stack.state)) <= ours


def test_a_port_that_disagrees_with_the_running_stack_is_one_line_exit_2_and_stops_nothing(
    stack: CliStack,
) -> None:
    stack.ensure_up()
    before = stack.pids()
    other = free_port()

    status = stack.run("status", "--port", str(other))
    assert status.returncode == 2
    assert one_line(status.stderr).startswith(
        f"chainprobe: --port asks for port {other}, but the running stack of {stack.state.resolve()} "
        f"has localstack on port {stack.port}"
    )
    canary = stack.run("canary", "--spec", str(SPEC), "--count", "1", CHAINPROBE_COURIER_PORT=str(other))
    assert canary.returncode == 2
    assert one_line(canary.stderr).startswith(f"chainprobe: CHAINPROBE_COURIER_PORT asks for port {other}")
    down = stack.run("down", "--courier-port", str(other))
    assert down.returncode == 2
    assert one_line(down.stderr).startswith(f"chainprobe: --courier-port asks for port {other}")

    assert stack.pids() == before and not any(gone(pid) for pid in before.values())
    assert stack.run("status").returncode == 0


def test_cleanup_scoped_to_a_spec_or_a_bus_removes_only_those_resources(stack: CliStack) -> None:
    stack.ensure_up()
    clients = stack.clients()
    events = clients.client("events")
    other_bus = f"lifecycle-other-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=other_bus)
    spec = load_spec(SPEC)
    assert spec.event is not None
    specs_rule = CaptureRule(clients, bus="orders", pattern=spec.event.capture_pattern())
    another_on_orders = CaptureRule(clients, bus="orders", pattern={"source": ["lifecycle.test"]})
    on_other_bus = CaptureRule(clients, bus=other_bus, pattern=spec.event.capture_pattern())
    for rule in (specs_rule, another_on_orders, on_other_bus):
        rule.ensure()
    try:
        by_spec = stack.run("cleanup", "--spec", str(SPEC))
        assert by_spec.returncode == 0, by_spec.stderr
        assert by_spec.stdout.splitlines() == [
            f"will remove rule  orders/{specs_rule.name}",
            f"will remove queue {specs_rule.name}",
            f"removed rule  orders/{specs_rule.name}",
            f"removed queue {specs_rule.name}",
        ]
        assert rule_names(clients, "orders") >= {another_on_orders.name}
        assert specs_rule.name not in rule_names(clients, "orders")

        by_bus = stack.run("cleanup", "--bus", "orders")
        assert by_bus.returncode == 0, by_bus.stderr
        assert f"removed rule  orders/{another_on_orders.name}" in by_bus.stdout.splitlines()
        assert not {r for r in rule_names(clients, "orders") if r.startswith("chainprobe-capture-")}
        assert rule_names(clients, other_bus) == {on_other_bus.name}
        assert on_other_bus.name in queue_names(clients)
        assert another_on_orders.name not in queue_names(clients)

        missing = stack.run("cleanup", "--bus", "no-such-bus")
        assert missing.returncode == 2
        assert one_line(missing.stderr) == (
            "chainprobe: event bus no-such-bus does not exist at the target: no capture resources"
        )
        assert on_other_bus.name in queue_names(clients)
    finally:
        stack.run("cleanup", "--bus", other_bus)
        events.delete_event_bus(Name=other_bus)


def rule_names(clients: AwsClients, bus: str) -> set[str]:
    return {rule["Name"] for rule in clients.client("events").list_rules(EventBusName=bus)["Rules"]}


def queue_names(clients: AwsClients) -> set[str]:
    urls = clients.client("sqs").list_queues().get("QueueUrls", [])
    return {url.rsplit("/", 1)[-1] for url in urls}


def kill_localstack_alone(stack: CliStack) -> tuple[int, list[int]]:
    """SIGKILL to LocalStack's process only (a crash): returns its pid and its function processes,
    which outlive it."""
    localstack = stack.pids()["localstack"]
    functions = function_processes(localstack)
    assert functions, "the chain's functions should be running as LocalStack's children"
    os.kill(localstack, signal.SIGKILL)
    assert wait_gone([localstack])
    assert not any(gone(pid) for pid in functions)
    return localstack, functions


def test_function_processes_a_killed_localstack_left_are_reaped_by_up_and_by_down(stack: CliStack) -> None:
    stack.ensure_up()
    _, orphans = kill_localstack_alone(stack)

    up = stack.run("up")  # no port given: the ports remembered in the state

    assert up.returncode == 0, up.stderr
    assert all(gone(pid) for pid in orphans)
    assert f"stopping {len(orphans)} processes this stack's LocalStack left behind" in up.stderr
    assert json.loads((stack.state / "localstack.pid").read_text())["port"] == stack.port

    wiremock = stack.pids()["wiremock"]
    _, orphans = kill_localstack_alone(stack)

    down = stack.run("down")

    assert down.returncode == 0, down.stderr
    assert all(gone(pid) for pid in [*orphans, wiremock])
    assert marked_with(stack.state) == []


def test_down_stops_a_localstack_that_ignores_sigterm_and_its_function_processes(stack: CliStack) -> None:
    stack.ensure_up()
    pids = stack.pids()
    functions = function_processes(pids["localstack"])
    assert functions
    os.kill(pids["localstack"], signal.SIGSTOP)  # a stopped process cannot act on SIGTERM

    down = stack.run("down")

    assert down.returncode == 0, down.stderr
    assert down.stderr.strip().splitlines()[-1] == "chainprobe: stopped: wiremock, localstack"
    assert all(gone(pid) for pid in [*pids.values(), *functions])
    assert marked_with(stack.state) == []
    assert stack.pids() == {}
