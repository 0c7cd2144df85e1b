"""Which port each server of a local stack is on: the running stack's, remembered in its state."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainprobe.stacks.exceptions import StackConfigError
from chainprobe.stacks.local.ownership import STACK_MARK, stack_mark
from chainprobe.stacks.local.ports import (
    COURIER_PORT,
    LOCALSTACK_PORT,
    AskedPort,
    ServerPorts,
    StackPortsError,
    asked_port,
    choose_port,
    port_for,
)

FLAG = AskedPort(port=4700, source="--port")
SAME = AskedPort(port=4603, source="CHAINPROBE_LOCALSTACK_PORT")


@pytest.mark.parametrize(
    ("asked", "recorded", "running", "expected"),
    [
        (None, None, False, 4566),  # nothing known: the default
        (FLAG, None, False, 4700),  # asked for, nothing running
        (None, 4603, True, 4603),  # the running stack's port, found from its state
        (SAME, 4603, True, 4603),  # asked for the port it runs on
        (None, 4603, False, 4603),  # remembered after a crash, until 'down' forgets it
        (FLAG, 4603, False, 4700),  # a stale record does not bind what is asked for
        (None, None, True, 4566),  # an older version's pid file (no port): the default
    ],
)
def test_the_port_chosen(asked: AskedPort | None, recorded: int | None, running: bool, expected: int) -> None:
    server = ServerPorts(name="localstack", asked=asked, recorded=recorded, running=running, default=4566)
    assert choose_port(server) == expected


def test_a_port_that_disagrees_with_the_running_stack_is_refused_in_one_line() -> None:
    server = ServerPorts(
        name="localstack", asked=FLAG, recorded=4603, running=True, default=4566, state_dir="/s"
    )
    with pytest.raises(StackPortsError) as refused:
        choose_port(server)
    message = str(refused.value)
    assert message.startswith(
        "--port asks for port 4700, but the running stack of /s has localstack on port 4603"
    )
    assert "\n" not in message
    assert isinstance(refused.value, StackConfigError)  # exit 2


def test_asked_port_explicit_wins_over_the_environment() -> None:
    env = {"CHAINPROBE_LOCALSTACK_PORT": "4603"}
    assert asked_port(4700, "--port", "CHAINPROBE_LOCALSTACK_PORT", env) == FLAG
    assert asked_port(0, "--port", "CHAINPROBE_LOCALSTACK_PORT", env) == SAME
    assert asked_port(0, "--port", "CHAINPROBE_LOCALSTACK_PORT", {}) is None


@pytest.mark.parametrize("raw", ["abc", "0", "70000", "-1"])
def test_a_variable_that_is_not_a_port_is_a_configuration_error(raw: str) -> None:
    with pytest.raises(StackConfigError, match=f"CHAINPROBE_COURIER_PORT='{raw}' is not a port"):
        asked_port(0, "--courier-port", "CHAINPROBE_COURIER_PORT", {"CHAINPROBE_COURIER_PORT": raw})


def started_sleeper(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A process that sleeps, returned once it runs its own program (its environment is readable)."""
    command = [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


@pytest.fixture
def marked_process(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A live process carrying the marker of the stack in ``tmp_path``: a running server there."""
    process = started_sleeper({STACK_MARK: stack_mark(tmp_path)})
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def record(state_dir: Path, name: str, pid: int, port: int) -> None:
    (state_dir / f"{name}.pid").write_text(json.dumps({"pid": pid, "port": port}))


def test_port_for_finds_the_running_stack_from_its_state(
    tmp_path: Path, marked_process: subprocess.Popen[bytes]
) -> None:
    record(tmp_path, "localstack", marked_process.pid, 4603)

    assert port_for(LOCALSTACK_PORT, explicit=0, state_dir=tmp_path, environ={}) == 4603
    with pytest.raises(StackPortsError, match="CHAINPROBE_LOCALSTACK_PORT asks for port 4566"):
        port_for(
            LOCALSTACK_PORT, explicit=0, state_dir=tmp_path, environ={"CHAINPROBE_LOCALSTACK_PORT": "4566"}
        )
    # The courier has no record: the variable, else the default.
    assert port_for(COURIER_PORT, explicit=0, state_dir=tmp_path, environ={}) == 8089
    env = {"CHAINPROBE_COURIER_PORT": "8603"}
    assert port_for(COURIER_PORT, explicit=0, state_dir=tmp_path, environ=env) == 8603


def test_a_pid_that_is_not_the_stacks_does_not_bind_the_port(tmp_path: Path) -> None:
    # A live process without the stack's marker (the recorded pid was given to someone else).
    foreign = started_sleeper({})
    try:
        record(tmp_path, "localstack", foreign.pid, 4603)
        assert port_for(LOCALSTACK_PORT, explicit=4700, state_dir=tmp_path, environ={}) == 4700
    finally:
        foreign.kill()
        foreign.wait()


def test_without_state_only_what_is_asked_or_the_default() -> None:
    assert port_for(LOCALSTACK_PORT, explicit=0, state_dir=None, environ={}) == 4566
    assert port_for(LOCALSTACK_PORT, explicit=4700, state_dir=None, environ={}) == 4700
