"""A server process the local stack owns: started detached, logged to a file, found again by pid file.

The pid file (``<state dir>/<name>.pid``) records the pid and the port: ``{"pid": 123, "port": 4566}``
(a bare pid from older versions is read too). A recorded pid counts only while it is alive and carries
the stack's marker (``ownership.STACK_MARK``), so a pid the system gave to another process is never
signalled.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from chainprobe.stacks.exceptions import PortInUseError, ServerStartError
from chainprobe.stacks.local.ownership import (
    STACK_MARK,
    STOP_GRACE_SECONDS,
    carries_mark,
    pid_alive,
    proc_available,
    stop_processes,
)

LOOPBACK = "127.0.0.1"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class ServerRecord:
    """What a pid file says: the pid, and the port (None in a pid file from an older version)."""

    pid: int
    port: int | None


def pid_file(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.pid"


def read_record(path: Path) -> ServerRecord | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return ServerRecord(pid=raw, port=None)
    if isinstance(raw, dict) and isinstance(raw.get("pid"), int):
        port = raw.get("port")
        return ServerRecord(pid=raw["pid"], port=port if isinstance(port, int) else None)
    return None


def running_pid(record: ServerRecord | None, mark: str | None) -> int | None:
    """The recorded pid when that process runs and carries ``mark``; None for a dead or foreign pid."""
    if record is None or not pid_alive(record.pid):
        return None
    if record.port is None or mark is None or not proc_available():
        return record.pid  # an older version's pid file, or no /proc to read the marker from
    return record.pid if carries_mark(record.pid, mark) else None


@dataclass(frozen=True, kw_only=True)
class ServerProcess:
    """One named server: how to start it and how to tell it is ready."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    ready_url: str
    state_dir: Path
    ready_check: Callable[[httpx.Response], bool] = lambda r: r.status_code < 500

    @property
    def pid_file(self) -> Path:
        return pid_file(self.state_dir, self.name)

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / f"{self.name}.log"

    @property
    def mark(self) -> str | None:
        return self.env.get(STACK_MARK)

    def record(self) -> ServerRecord | None:
        """What the pid file says, whether or not that process still runs."""
        return read_record(self.pid_file)

    def pid(self) -> int | None:
        """The recorded pid when that process runs and is this stack's (it carries the marker)."""
        return running_pid(self.record(), self.mark)

    def is_ready(self) -> bool:
        try:
            return self.ready_check(httpx.get(self.ready_url, timeout=2.0))
        except httpx.HTTPError:
            return False

    def start(self, timeout: float) -> None:
        if not port_is_free(self.port):
            raise PortInUseError(f"{self.name}: port {self.port} on {LOOPBACK} is already in use")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                self.command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(json.dumps({"pid": process.pid, "port": self.port}))
        self._wait_ready(process, timeout)

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise ServerStartError(
                    f"{self.name} exited with code {process.returncode} while starting; see {self.log_file}"
                )
            if self.is_ready():
                return
            time.sleep(0.25)
        self.stop()
        raise ServerStartError(f"{self.name} was not ready after {timeout:.0f} s; see {self.log_file}")

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> bool:
        """Stops its process group: SIGTERM, up to ``grace`` seconds for the process to exit, then SIGKILL.
        True when something was running. The pid file is forgotten either way."""
        pid = self.pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        stop_processes([pid], grace=grace, signal_one=os.killpg)
        return True

    def wait_ready(self, timeout: float) -> bool:
        """Polls until it answers (True) or ``timeout`` passed (False)."""
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if time.monotonic() >= deadline or self.pid() is None:
                return False
            time.sleep(0.5)
        return True
