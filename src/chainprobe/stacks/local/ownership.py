"""Which processes belong to one local stack, and how they are stopped for good.

Every process a local stack starts carries ``CHAINPROBE_STACK_STATE=<its state dir>`` in its environment:
LocalStack and WireMock get it from ``servers.py``, and the ``chainprobe-local`` Lambda executor hands it
on to every function process it starts. That marker, read back from ``/proc/<pid>/environ``, is the proof
that a process is this stack's: a pid file can name a pid the system has since given to someone else,
and other stacks (other state dirs) run on the same machine with the same command lines. Nothing here
ever picks a process by its name.

Stopping escalates: SIGTERM, then waiting (bounded) for the processes to exit, then SIGKILL.

Limitations: the marker is read from ``/proc`` (Linux). Where there is no ``/proc`` (macOS), a live
recorded pid is trusted as before and leftover function processes cannot be found after a crash.

Example::

    mark = stack_mark(state_dir)
    stop_processes(marked_pids(mark), grace=15.0)
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

STACK_MARK = "CHAINPROBE_STACK_STATE"
"""The environment variable naming the state dir of the stack a process belongs to."""

PROC = Path("/proc")
STOP_GRACE_SECONDS = 15.0
"""How long a process is given to exit after SIGTERM before it is killed."""
KILL_WAIT_SECONDS = 5.0
POLL_SECONDS = 0.1


def stack_mark(state_dir: Path) -> str:
    """The marker value of the stack whose state lives in ``state_dir``."""
    return str(state_dir.resolve())


def proc_available(proc: Path = PROC) -> bool:
    return (proc / "self" / "environ").exists()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A zombie has exited: only its parent's wait is missing (left to the parent: ``WNOWAIT``)."""
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def environ_of(pid: int, proc: Path = PROC) -> dict[str, str] | None:
    """The environment ``pid`` was started with; None when it cannot be read (gone, another user's)."""
    try:
        raw = (proc / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    entries = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in entries}


def carries_mark(pid: int, mark: str, proc: Path = PROC) -> bool:
    environ = environ_of(pid, proc)
    return environ is not None and environ.get(STACK_MARK) == mark


def marked_pids(mark: str, proc: Path = PROC) -> list[int]:
    """Every live process carrying ``mark`` (this stack's servers and function processes)."""
    if not proc_available(proc):
        return []
    pids = (int(entry.name) for entry in proc.iterdir() if entry.name.isdigit())
    return sorted(pid for pid in pids if pid != os.getpid() and carries_mark(pid, mark, proc))


def leftovers(marked: Iterable[int], keep: Collection[int]) -> list[int]:
    """The marked processes to reap: all but those kept (a live server that stays up)."""
    return sorted(pid for pid in set(marked) if pid not in keep)


def stop_processes(
    pids: Iterable[int],
    *,
    grace: float = STOP_GRACE_SECONDS,
    signal_one: Callable[[int, int], None] = os.kill,
) -> list[int]:
    """SIGTERM to each, wait up to ``grace`` for all to exit, SIGKILL to those that did not; returns
    the pids that were still alive when asked to stop. ``signal_one`` is ``os.killpg`` for a group leader."""
    alive = [pid for pid in pids if pid_alive(pid)]
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, KILL_WAIT_SECONDS)):
        waiting = [pid for pid in alive if pid_alive(pid)]
        if not waiting:
            break
        for pid in waiting:
            with contextlib.suppress(ProcessLookupError):
                signal_one(pid, sig)
        wait_until_gone(waiting, wait)
    return alive


def wait_until_gone(pids: Iterable[int], timeout: float) -> bool:
    """Polls until none of ``pids`` is alive (True) or ``timeout`` passed (False)."""
    remaining = list(pids)
    deadline = time.monotonic() + timeout
    while True:
        remaining = [pid for pid in remaining if pid_alive(pid)]
        if not remaining:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
