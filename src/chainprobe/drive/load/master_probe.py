"""Is the Locust master there? A ZeroMQ greeting probe a worker makes before it hands over to Locust.

Locust's worker does not fail on a master that is not there: ZeroMQ reconnects silently, and the worker
waits for the master's answer 5 s at a time, 60 times (about five minutes) before it gives up with a
traceback. ``chainprobe worker`` asks first: it opens a TCP connection to the master's address and reads
the 10-byte ZMTP signature a ZeroMQ peer sends as soon as a connection opens (``ff`` … ``7f``), then
closes it; again every ``RETRY_INTERVAL_S`` while the connection is refused, times out, closes without a
greeting or the name does not resolve, for at most ``wait_s`` seconds in all (a worker may start
before its master: a Kubernetes Job's pods are scheduled together). Each attempt's timeout
(``ATTEMPT_TIMEOUT_S``) and each pause is cut to the time left, so the probe returns within ``wait_s``
(plus a scheduler's slack; a host name's lookup takes what the resolver takes: give an address where
that matters).

A connection alone proves nothing: a proxy in the way (a service mesh's sidecar, a sandbox's egress
proxy) accepts every connection whether a master is behind it or not. The greeting proves a ZeroMQ peer,
not that it is this run's Locust master: another ZeroMQ service at the address still leaves the worker to
Locust's own wait.
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "ATTEMPT_TIMEOUT_S",
    "DEFAULT_MASTER_WAIT_S",
    "RETRY_INTERVAL_S",
    "SYSTEM_CLOCK",
    "Clock",
    "Connect",
    "MasterUnreachable",
    "NoGreeting",
    "describe_error",
    "probe_master",
    "zeromq_greeting",
]

DEFAULT_MASTER_WAIT_S = 60.0  # as long as a master waits for its workers (runner.WORKER_CONNECT_TIMEOUT_S)
ATTEMPT_TIMEOUT_S = 3.0  # one connect attempt (a SYN that gets no answer: a host down, a firewall)
RETRY_INTERVAL_S = 1.0  # between attempts that failed at once (refused, no such name)
MIN_TIMEOUT_S = 0.05  # the last attempt's timeout when almost no time is left

Connect = Callable[[tuple[str, int], float], None]


ZMTP_SIGNATURE_BYTES = 10


class NoGreeting(OSError):
    """A connection was made, but no ZeroMQ greeting came on it (``strerror`` says what came instead)."""


def zeromq_greeting(address: tuple[str, int], timeout: float) -> None:
    """Connects to ``address`` and reads a ZeroMQ peer's signature, all within ``timeout``; OSError
    (``NoGreeting`` once connected) when there is none."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(address, timeout=timeout) as connection:
        received = b""
        while len(received) < ZMTP_SIGNATURE_BYTES:
            connection.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                chunk = connection.recv(ZMTP_SIGNATURE_BYTES - len(received))
            except TimeoutError:
                raise NoGreeting("it accepts connections but sends no ZeroMQ greeting") from None
            if not chunk:
                raise NoGreeting("it closes connections without a ZeroMQ greeting")
            received += chunk
    if received[0] != 0xFF or received[-1] != 0x7F:
        raise NoGreeting("it answers, but not as ZeroMQ")


@dataclass(frozen=True)
class MasterUnreachable:
    """The probe's failure: the master's address, why the last attempt failed, how long it tried."""

    host: str
    port: int
    reason: str
    attempts: int
    waited_s: float

    def line(self) -> str:
        tries = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        return (
            f"the Locust master {self.host}:{self.port} is unreachable: {self.reason} "
            f"({tries} in {self.waited_s:.1f} s)"
        )


def describe_error(error: OSError) -> str:
    """A short reason for a failed connect (no addresses beyond the master's own, no traceback)."""
    if isinstance(error, NoGreeting):
        return str(error.args[0])
    if isinstance(error, socket.gaierror):
        return "its name does not resolve"
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer (timed out)"
    if isinstance(error, ConnectionRefusedError) or error.errno == errno.ECONNREFUSED:
        return "connection refused"
    if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "no route to it"
    return error.strerror or type(error).__name__


class Clock(Protocol):
    """Where the probe reads the time and waits (``SYSTEM_CLOCK``; a fake one in tests)."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


def probe_master(
    host: str,
    port: int,
    *,
    wait_s: float = DEFAULT_MASTER_WAIT_S,
    connect: Connect = zeromq_greeting,
    clock: Clock = SYSTEM_CLOCK,
    attempt_timeout_s: float = ATTEMPT_TIMEOUT_S,
    retry_interval_s: float = RETRY_INTERVAL_S,
) -> MasterUnreachable | None:
    """None as soon as a ZeroMQ peer greets at ``host:port``; else, once ``wait_s`` is spent, why not."""
    start = clock.monotonic()
    deadline = start + wait_s
    attempts = 0
    while True:
        attempts += 1
        try:
            connect((host, port), max(min(attempt_timeout_s, deadline - clock.monotonic()), MIN_TIMEOUT_S))
            return None
        except OSError as error:
            reason = describe_error(error)
        left = deadline - clock.monotonic()
        if left <= 0:
            return MasterUnreachable(host, port, reason, attempts, clock.monotonic() - start)
        clock.sleep(min(retry_interval_s, left))
        if clock.monotonic() >= deadline:
            return MasterUnreachable(host, port, reason, attempts, clock.monotonic() - start)
