"""The Locust processes of one load run, started and watched from the harness process.

The harness process never imports Locust (it would monkey-patch it with gevent, verifier threads and
all): it starts ``python -m chainprobe.drive.load.runner`` as separate processes, each in its own
session (a Ctrl-C at the terminal reaches the harness, which stops them in order):

- no workers: one ``local`` process;
- ``workers=N``: a ``master`` bound to 127.0.0.1 on a free port (which it writes to a file), then N
  ``worker`` processes connecting to it. Only loopback: nothing listens beyond this machine;
- ``expect_workers=N``: a ``master`` bound to ``bind_host:bind_port`` (127.0.0.1 and a free port unless
  given) waiting up to ``EXPECT_CONNECT_S`` for N workers started elsewhere (``chainprobe worker``).

Files of the run go to ``directory``: ``context.json`` (what the driver drives), ``result.json`` (what
it reports), and one log per process (``local.log``, ``master.log``, ``worker-1.log``, …).

Stopping: the driver ends with the shape, or at ``max_seconds`` (its own cap, then in-flight orders
get ``stop_timeout`` to finish). The harness enforces the cap too: a driver still alive ``grace``
seconds past it gets SIGTERM, then SIGKILL. Children watch their parent and quit if it disappears.

Example::

    drivers = DriverProcesses(context=context, workers=2, directory=run_dir, max_seconds=900, grace=40)
    drivers.start()
    while drivers.running():
        ...verify...
    ended = drivers.wait()          # DriverEnd: the result, exit codes, notes
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from chainprobe.drive.load.context import DriverResult, RunContext, write_json_atomically
from chainprobe.drive.load.exceptions import DriverError

__all__ = ["DriverEnd", "DriverProcesses", "ProcessEnd"]

PORT_WAIT_S = 60.0
TERM_GRACE_S = 10.0
RUNNER_MODULE = "chainprobe.drive.load.runner"
EXPECT_CONNECT_S = 120.0  # how long a master waits for workers started elsewhere


@dataclass(frozen=True)
class ProcessEnd:
    """How one Locust process ended: its role (``local``, ``master``, ``worker-N``), pid and exit code
    (negative: the signal that ended it)."""

    role: str
    pid: int
    returncode: int | None

    def describe(self) -> str:
        if self.returncode is None:
            how = "still running"
        elif self.returncode < 0:
            how = f"killed by {signal.Signals(-self.returncode).name}"
        else:
            how = f"exit {self.returncode}"
        return f"{self.role} (pid {self.pid}) {how}"


@dataclass(frozen=True)
class DriverEnd:
    """How the run's Locust processes ended: the driver's result (``None`` if it wrote none), each
    process's end, and one line per thing that went wrong (``notes``)."""

    result: DriverResult | None
    processes: tuple[ProcessEnd, ...]
    notes: tuple[str, ...]
    log_dir: Path

    @property
    def failed(self) -> str | None:
        """One line when the driver did not end normally (no result, or a non-zero exit)."""
        driver = self.processes[0] if self.processes else None
        if driver is None:
            return "no Locust process was started"
        if driver.returncode != 0 or self.result is None:
            return f"the Locust {driver.describe()} (logs in {self.log_dir})"
        return None


class DriverProcesses:
    """Starts, watches and stops one run's Locust processes; see the module docstring."""

    def __init__(
        self,
        *,
        context: RunContext,
        workers: int,
        directory: Path,
        max_seconds: float,
        grace: float,
        python: str = sys.executable,
        expect_workers: int = 0,
        bind_host: str = "127.0.0.1",
        bind_port: int = 0,
    ) -> None:
        self.context = context
        self.workers = workers
        self.expect_workers = expect_workers
        self.bind_host = bind_host
        self.bind_port = bind_port
        self.directory = directory
        self.max_seconds = max_seconds
        self.grace = grace
        self.python = python
        self._driver: subprocess.Popen[bytes] | None = None
        self._workers: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []
        self._roles: dict[int, str] = {}
        self._started = 0.0
        self._terminated_at: float | None = None
        self._notes: list[str] = []

    @property
    def result_path(self) -> Path:
        return self.directory / "result.json"

    def pids(self) -> dict[str, int]:
        """Role -> pid of every process started."""
        return {role: pid for pid, role in self._roles.items()}

    def start(self) -> None:
        """Starts the driver (and, distributed, waits for its port and starts the workers)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        context_path = self.directory / "context.json"
        write_json_atomically(context_path, self.context.to_dict())
        self._started = time.monotonic()
        common = ["--context", str(context_path), "--result", str(self.result_path)]
        common += ["--max-seconds", f"{self.max_seconds:g}"]
        if self.workers == 0 and self.expect_workers == 0:
            self._driver = self._spawn("local", ["local", *common])
            return
        port_path = self.directory / "master.json"
        port_args = ["--port-file", str(port_path), "--workers", str(self.workers or self.expect_workers)]
        if self.expect_workers:
            port_args += ["--bind-host", self.bind_host, "--bind-port", str(self.bind_port)]
            port_args += ["--connect-timeout", f"{EXPECT_CONNECT_S:g}"]
        self._driver = self._spawn("master", ["master", *common, *port_args])
        port = self._wait_for_port(port_path)
        if self.expect_workers:
            self.max_seconds += EXPECT_CONNECT_S  # the cap counts from the start, workers still to come
            return  # workers on other hosts: `chainprobe worker --master HOST:PORT` there
        for number in range(1, self.workers + 1):
            self._workers.append(self._spawn(f"worker-{number}", ["worker", "--master-port", str(port)]))

    def _spawn(self, role: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{role}.log").open("ab")
        self._logs.append(log)
        env = {key: value for key, value in os.environ.items() if key != "LOCUST_SKIP_MONKEY_PATCH"}
        process = subprocess.Popen(
            [self.python, "-m", RUNNER_MODULE, *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        self._roles[process.pid] = role
        return process

    def _wait_for_port(self, port_path: Path) -> int:
        deadline = time.monotonic() + PORT_WAIT_S
        while time.monotonic() < deadline:
            assert self._driver is not None
            if self._driver.poll() is not None:
                self.stop()
                raise DriverError(f"the Locust master exited at start (logs in {self.directory})")
            try:
                return int(json.loads(port_path.read_text(encoding="utf-8"))["port"])
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        self.stop()
        raise DriverError(
            f"the Locust master did not listen within {PORT_WAIT_S:g} s (logs in {self.directory})"
        )

    def running(self) -> bool:
        """Whether the driver still runs; past the cap (and the grace) it is terminated, then killed."""
        if self._driver is None or self._driver.poll() is not None:
            return False
        overdue = time.monotonic() - self._started - self.max_seconds - self.grace
        if overdue > 0 and self._terminated_at is None:
            self._notes.append(f"the driver outlived --max-seconds {self.max_seconds:g} and was terminated")
            self._signal_all(signal.SIGTERM)
            self._terminated_at = time.monotonic()
        elif self._terminated_at is not None and time.monotonic() - self._terminated_at > TERM_GRACE_S:
            self._signal_all(signal.SIGKILL)
        return self._driver.poll() is None

    def wait(self, timeout: float | None = None) -> DriverEnd:
        """Waits for the driver (at most ``timeout`` s), stops what is left, and says how it all ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.running() and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.2)
        # A master that ended well stopped its workers' users first: they are idle and go at SIGTERM.
        # Otherwise give them a moment to quit on their own before stopping them.
        ended_well = self._driver is not None and self._driver.poll() == 0
        settle = time.monotonic() + (1.0 if ended_well else TERM_GRACE_S)
        while any(w.poll() is None for w in self._workers) and time.monotonic() < settle:
            time.sleep(0.1)
        self.stop()
        return self.end()

    def stop(self) -> None:
        """SIGTERM to every process still running, SIGKILL to those left after a grace; closes the logs."""
        if self._alive():
            self._signal_all(signal.SIGTERM)
            deadline = time.monotonic() + TERM_GRACE_S
            while self._alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            self._signal_all(signal.SIGKILL)
        for process in self._all():
            process.wait()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def end(self) -> DriverEnd:
        ends = tuple(ProcessEnd(role=self._roles[p.pid], pid=p.pid, returncode=p.poll()) for p in self._all())
        notes = list(self._notes)
        notes += [f"{end.describe()} during the run" for end in ends[1:] if end.returncode not in (0, None)]
        return DriverEnd(
            result=DriverResult.read(self.result_path),
            processes=ends,
            notes=tuple(notes),
            log_dir=self.directory,
        )

    def _all(self) -> list[subprocess.Popen[bytes]]:
        return ([self._driver] if self._driver is not None else []) + self._workers

    def _alive(self) -> bool:
        return any(process.poll() is None for process in self._all())

    def _signal_all(self, signum: signal.Signals) -> None:
        for process in self._all():
            if process.poll() is None:
                process.send_signal(signum)
