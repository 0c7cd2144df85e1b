"""The load guard: loopback targets only, unless a remote run is asked for."""

from __future__ import annotations

import pytest

from chainprobe.drive.load.exceptions import RemoteTargetError
from chainprobe.drive.load.loopback import loopback_problem, require_loopback


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:4566/_aws/execute-api/abc/prod/orders",
        "http://127.8.9.10/orders",
        "http://[::1]:8080/orders",
        "http://localhost:4566/orders",
    ],
)
def test_loopback_targets_pass(url: str) -> None:
    assert loopback_problem(url) is None
    require_loopback(url, allow_remote=False)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://10.0.0.7/orders", "10.0.0.7 is not a loopback address"),
        ("https://192.168.1.20:443/prod/orders", "192.168.1.20 is not a loopback address"),
        ("http://[2001:db8::1]/orders", "2001:db8::1 is not a loopback address"),
        ("http:///orders", "'http:///orders' names no host"),
        ("http://no-such-host.invalid/orders", "no-such-host.invalid does not resolve"),
    ],
)
def test_other_targets_are_refused_unless_allowed(url: str, problem: str) -> None:
    assert loopback_problem(url) == problem
    with pytest.raises(RemoteTargetError) as raised:
        require_loopback(url, allow_remote=False)
    assert problem in str(raised.value) and "--allow-remote" in str(raised.value)
    require_loopback(url, allow_remote=True)
