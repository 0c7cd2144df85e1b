"""Which processes are a stack's (its marker, never a name), and stopping them for good."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from chainprobe.stacks.exceptions import ServerStartError
from chainprobe.stacks.local.ownership import (
    STACK_MARK,
    leftovers,
    marked_pids,
    pid_alive,
    stack_mark,
    stop_processes,
)
from chainprobe.stacks.local.process import ServerProcess
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig

SLEEPER = [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(120)"]
# Ignores SIGTERM, says so on stdout once the handler is in place.
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
    "time.sleep(120)",
]


class Spawn(Protocol):
    def __call__(
        self, command: list[str], env: dict[str, str], *, new_session: bool = False
    ) -> tuple[subprocess.Popen[bytes], bytes]: ...


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Starts a process and returns it with its first line of output: once it has printed, it runs its
    own program (its environment can be read). Every process is killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        command: list[str], env: dict[str, str], *, new_session: bool = False
    ) -> tuple[subprocess.Popen[bytes], bytes]:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, start_new_session=new_session)
        started.append(process)
        assert process.stdout is not None
        return process, process.stdout.readline()

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_the_marked_processes_are_exactly_those_of_the_state_dir(tmp_path: Path, spawn: Spawn) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    mine = [spawn(SLEEPER, {STACK_MARK: stack_mark(ours)})[0] for _ in range(2)]
    spawn(SLEEPER, {STACK_MARK: stack_mark(theirs)})
    spawn(SLEEPER, {})

    assert marked_pids(stack_mark(ours)) == sorted(p.pid for p in mine)


def test_leftovers_are_the_marked_processes_but_those_kept() -> None:
    assert leftovers([5, 3, 9, 3], keep={9}) == [3, 5]
    assert leftovers([5, 3], keep=()) == [3, 5]
    assert leftovers([], keep={1}) == []


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace(spawn: Spawn) -> None:
    stubborn, _ = spawn(STUBBORN, {})
    polite, _ = spawn(SLEEPER, {})

    started = time.monotonic()
    stopped = stop_processes([stubborn.pid, polite.pid], grace=1.0)

    assert sorted(stopped) == sorted([stubborn.pid, polite.pid])
    assert not pid_alive(stubborn.pid) and not pid_alive(polite.pid)
    assert stubborn.wait(timeout=5) == -9  # killed, not terminated
    assert polite.wait(timeout=5) == -15
    assert time.monotonic() - started >= 1.0  # SIGKILL only after the grace


def test_stop_processes_returns_at_once_when_all_exit_on_sigterm(spawn: Spawn) -> None:
    polite, _ = spawn(SLEEPER, {})
    started = time.monotonic()
    assert stop_processes([polite.pid], grace=30.0) == [polite.pid]
    assert time.monotonic() - started < 10.0  # waited for the exit, not for the grace


def server_named_by_pid_file(state_dir: Path, pid: int) -> ServerProcess:
    (state_dir / "dummy.pid").write_text(json.dumps({"pid": pid, "port": 1}))
    return ServerProcess(
        name="dummy",
        command=SLEEPER,
        env={STACK_MARK: stack_mark(state_dir)},
        port=1,
        ready_url="http://127.0.0.1:1/",
        state_dir=state_dir,
    )


def test_a_recorded_pid_without_the_marker_is_never_signalled(tmp_path: Path, spawn: Spawn) -> None:
    foreign, _ = spawn(SLEEPER, {}, new_session=True)
    server = server_named_by_pid_file(tmp_path, foreign.pid)

    assert server.pid() is None
    assert server.stop() is False
    assert pid_alive(foreign.pid)


GROUP_LEADER = [
    sys.executable,
    "-c",
    "import signal, subprocess, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "child = subprocess.Popen(['sleep', '120']); print(child.pid, flush=True); time.sleep(120)",
]


def test_a_recorded_pid_with_the_marker_is_stopped_with_its_group(tmp_path: Path, spawn: Spawn) -> None:
    env = {STACK_MARK: stack_mark(tmp_path), "PATH": "/usr/bin:/bin"}
    leader, first_line = spawn(GROUP_LEADER, env, new_session=True)
    child = int(first_line)
    server = server_named_by_pid_file(tmp_path, leader.pid)

    assert server.pid() == leader.pid
    assert server.stop(grace=1.0) is True
    assert leader.wait(timeout=5) == -9  # it ignored SIGTERM: killed after the grace
    assert not pid_alive(child)  # its group went with it
    assert not (tmp_path / "dummy.pid").exists()


def test_up_reports_a_running_server_that_never_answers_and_leaves_it_running(
    tmp_path: Path, spawn: Spawn
) -> None:
    # Only 'down' stops servers: a recorded, marked, live server that does not answer is reported.
    server_process, _ = spawn(SLEEPER, {STACK_MARK: stack_mark(tmp_path)}, new_session=True)
    server = server_named_by_pid_file(tmp_path, server_process.pid)
    stack = LocalStack(
        LocalStackConfig(localstack_port=1, courier_port=2, state_dir=tmp_path, start_timeout=1.0),
        say=lambda _: None,
    )

    with pytest.raises(
        ServerStartError, match=rf"^dummy \(pid {server_process.pid}\) runs on 127.0.0.1:1 but"
    ):
        stack._ensure_running(server)
    assert pid_alive(server_process.pid)
    assert server.pid() == server_process.pid
