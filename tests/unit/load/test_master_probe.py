"""The worker's probe of its master: reachable at once, later, or never (within the wait, bounded), on a
fake clock for the timing and on real 127.0.0.1 sockets for what a ZeroMQ master, a refusing port, a
silent port and a port that accepts but does not greet look like."""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import zmq

from chainprobe.drive.load.master_probe import (
    ATTEMPT_TIMEOUT_S,
    RETRY_INTERVAL_S,
    MasterUnreachable,
    NoGreeting,
    describe_error,
    probe_master,
)


@dataclass
class FakeClock:
    now: float = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


@dataclass
class FakeMaster:
    """Fails the first ``failures`` attempts with ``error`` (a timeout takes its whole timeout)."""

    clock: FakeClock
    failures: int
    error: OSError
    timeouts: list[float] = field(default_factory=list)

    def connect(self, address: tuple[str, int], timeout: float) -> None:
        assert address == ("10.0.0.5", 5557)
        self.timeouts.append(timeout)
        if len(self.timeouts) <= self.failures:
            if isinstance(self.error, TimeoutError):
                self.clock.now += timeout
            raise self.error


REFUSED = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
SILENT = TimeoutError("timed out")


@pytest.mark.parametrize(
    ("failures", "error", "wait", "attempts", "elapsed"),
    [
        (0, REFUSED, 60.0, 1, 0.0),  # there at once: no wait
        (5, REFUSED, 60.0, 6, 5 * RETRY_INTERVAL_S),  # a master that starts 5 s after its worker
        (2, SILENT, 60.0, 3, 2 * (ATTEMPT_TIMEOUT_S + RETRY_INTERVAL_S)),  # two lost SYNs, then there
    ],
)
def test_a_master_that_answers_within_the_wait_is_reachable(
    failures: int, error: OSError, wait: float, attempts: int, elapsed: float
) -> None:
    clock = FakeClock()
    master = FakeMaster(clock, failures, error)
    assert probe_master("10.0.0.5", 5557, wait_s=wait, connect=master.connect, clock=clock) is None
    assert len(master.timeouts) == attempts
    assert clock.now == pytest.approx(elapsed)


@pytest.mark.parametrize(
    ("error", "wait", "attempts", "reason"),
    [
        (REFUSED, 3.0, 3, "connection refused"),  # at 0, 1, 2 s; none at 3 s, the wait is over
        (REFUSED, 2.5, 3, "connection refused"),  # at 0, 1, 2 s; the pause cut to 0.5 s
        (SILENT, 10.0, 3, "no answer (timed out)"),  # 3 + 1 + 3 + 1 + 2 (the last attempt cut to 2 s)
        (socket.gaierror(-2, "Name or service not known"), 2.0, 2, "its name does not resolve"),
    ],
)
def test_a_master_that_never_answers_is_unreachable_after_the_wait_and_no_later(
    error: OSError, wait: float, attempts: int, reason: str
) -> None:
    clock = FakeClock()
    master = FakeMaster(clock, 1000, error)
    failure = probe_master("10.0.0.5", 5557, wait_s=wait, connect=master.connect, clock=clock)
    assert failure == MasterUnreachable("10.0.0.5", 5557, reason, attempts, pytest.approx(wait))
    assert clock.now == pytest.approx(wait)  # bounded: every timeout and pause cut to the time left
    assert all(timeout <= ATTEMPT_TIMEOUT_S for timeout in master.timeouts)


def test_the_line_names_the_master_the_reason_and_the_wait() -> None:
    failure = MasterUnreachable("10.0.0.5", 5557, "connection refused", 31, 30.0)
    assert failure.line() == (
        "the Locust master 10.0.0.5:5557 is unreachable: connection refused (31 attempts in 30.0 s)"
    )
    assert MasterUnreachable("m", 1, "no route to it", 1, 0.2).line().endswith("(1 attempt in 0.2 s)")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "no route to it"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "no route to it"),
        (OSError(errno.ECONNREFUSED, "Connection refused"), "connection refused"),
        (OSError(errno.EACCES, "Permission denied"), "Permission denied"),
        (NoGreeting("it answers, but not as ZeroMQ"), "it answers, but not as ZeroMQ"),
    ],
)
def test_each_connect_error_has_a_short_reason(error: OSError, reason: str) -> None:
    assert describe_error(error) == reason


# ---------------------------------------------------------------- real sockets on 127.0.0.1


def refusing_port() -> int:
    """A port nothing listens on: bound (so the kernel picked a free one), then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose SYNs get no answer: a listener with a full accept queue (backlog 0 holds one
    connection that is never accepted; Linux drops the SYNs that come after it)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    held: list[socket.socket] = []
    try:
        for _ in range(8):  # fill the queue until a connection is not answered
            client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            client.settimeout(0.3)
            held.append(client)
            try:
                client.connect(("127.0.0.1", port))
            except TimeoutError:
                break
        else:
            pytest.skip("this kernel accepts connections beyond a listener's backlog: no silent port")
        yield port
    finally:
        for client in held:
            client.close()
        listener.close()


def test_a_refusing_port_on_loopback_is_unreachable_within_the_wait() -> None:
    port = refusing_port()
    began = time.monotonic()
    failure = probe_master("127.0.0.1", port, wait_s=1.5, retry_interval_s=0.5)
    took = time.monotonic() - began
    assert failure is not None
    assert (failure.host, failure.port, failure.reason) == ("127.0.0.1", port, "connection refused")
    assert failure.attempts >= 2  # retried, not given up at the first refusal
    assert 1.5 <= took < 1.5 + 5.0  # waited the whole wait, and not much more (slack for a loaded box)


def test_a_silent_port_on_loopback_is_unreachable_within_the_wait(silent_port: int) -> None:
    began = time.monotonic()
    failure = probe_master("127.0.0.1", silent_port, wait_s=1.0, attempt_timeout_s=0.4, retry_interval_s=0.1)
    took = time.monotonic() - began
    assert failure is not None and failure.reason == "no answer (timed out)"
    assert 1.0 <= took < 1.0 + 5.0


def test_a_zeromq_master_on_loopback_is_reachable() -> None:
    context = zmq.Context()
    master = context.socket(zmq.ROUTER)  # what Locust's master binds
    try:
        port = master.bind_to_random_port("tcp://127.0.0.1")
        assert probe_master("127.0.0.1", port, wait_s=5.0) is None
    finally:
        master.close(linger=0)
        context.term()


@pytest.fixture
def greeting_server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A loopback port that accepts every connection and then sends ``request.param`` and closes
    (``None``: sends nothing and holds the connection open)."""
    sends: bytes | None = request.param
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                server, _ = listener.accept()
            except OSError:  # the listener closed: the test is over
                return
            if sends is None:
                held.append(server)
                continue
            server.sendall(sends)
            server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)
        for server in held:
            server.close()


@pytest.mark.parametrize(
    ("greeting_server", "reason"),
    [
        (None, "it accepts connections but sends no ZeroMQ greeting"),  # a proxy holding the connection
        (b"", "it closes connections without a ZeroMQ greeting"),  # a proxy whose upstream refused
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "it answers, but not as ZeroMQ"),
    ],
    indirect=["greeting_server"],
)
def test_a_port_that_accepts_but_does_not_greet_is_unreachable(greeting_server: int, reason: str) -> None:
    failure = probe_master(
        "127.0.0.1", greeting_server, wait_s=1.0, attempt_timeout_s=0.4, retry_interval_s=0.1
    )
    assert failure is not None
    assert failure.reason == reason
    assert failure.attempts >= 2
