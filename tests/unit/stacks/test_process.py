"""ServerProcess: started detached, found again by pid file, stopped with its children."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from chainprobe.stacks.exceptions import PortInUseError, ServerStartError
from chainprobe.stacks.local.process import ServerProcess, pid_alive, port_is_free


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_server(port: int, tmp_path: Path, command: list[str] | None = None) -> ServerProcess:
    return ServerProcess(
        name="dummy",
        command=command or [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        env={},
        port=port,
        ready_url=f"http://127.0.0.1:{port}/",
        state_dir=tmp_path,
    )


def test_start_waits_for_ready_and_stop_leaves_no_process(tmp_path: Path) -> None:
    server = http_server(free_port(), tmp_path)

    server.start(timeout=20)
    pid = server.pid()

    assert pid is not None and server.is_ready()
    assert server.stop() is True
    assert not pid_alive(pid)
    assert server.pid() is None
    assert server.stop() is False


def test_a_taken_port_is_refused_before_starting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        assert not port_is_free(port)
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            http_server(port, tmp_path).start(timeout=5)


def test_a_process_that_exits_while_starting_is_reported_with_its_log(tmp_path: Path) -> None:
    server = http_server(free_port(), tmp_path, command=[sys.executable, "-c", "raise SystemExit(7)"])

    with pytest.raises(ServerStartError, match=r"dummy exited with code 7 while starting; see .*dummy\.log"):
        server.start(timeout=10)
    assert server.pid() is None
