"""A server process the local stack owns: started detached, logged to a file, found again by pid file."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from chainprobe.stacks.exceptions import PortInUseError, ServerStartError

LOOPBACK = "127.0.0.1"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        return self.state_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

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
        self.pid_file.write_text(str(process.pid))
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

    def stop(self, grace: float = 10.0) -> bool:
        """Stops the process group; True when something was running."""
        pid = self.pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return True
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if not pid_alive(pid):
                    return True
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)  # reap it when it is our own child
                time.sleep(0.1)
        return True
