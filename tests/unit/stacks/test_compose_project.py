"""The one line a failed docker compose command is reduced to (hand-written outputs of docker compose)."""

from __future__ import annotations

import subprocess

import pytest

from chainprobe.stacks.compose.project import why

PULL_FAILED = """Creating network "p_default" with the default driver
Pulling wiremock (wiremock/wiremock:0.0.0-no-such-tag)...
Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host
"""
BUILD_DEPRECATED = """DEPRECATED: The legacy builder is deprecated and will be removed in a future release.
            Install the buildx component to build images with BuildKit:
            https://docs.docker.com/go/buildx/

ERROR: Service 'localstack' failed to build : The command 'pip install x' returned a non-zero code: 1
"""
PORT_TAKEN = """Creating p_wiremock_1 ...
Error starting userland proxy: listen tcp4 127.0.0.1:8089: bind: address already in use
"""


@pytest.mark.parametrize(
    ("stderr", "stdout", "line"),
    [
        (
            PULL_FAILED,
            "",
            'pulling wiremock/wiremock:0.0.0-no-such-tag: Get "https://registry-1.docker.io/v2/": '
            "dial tcp: lookup registry-1.docker.io: no such host",
        ),
        (
            BUILD_DEPRECATED,
            "",
            "ERROR: Service 'localstack' failed to build : The command 'pip install x' "
            "returned a non-zero code: 1",
        ),
        (
            PORT_TAKEN,
            "",
            "Error starting userland proxy: listen tcp4 127.0.0.1:8089: bind: address already in use",
        ),
        (
            "",
            "Cannot connect to the Docker daemon at unix:///x.sock.\n",
            "Cannot connect to the Docker daemon at unix:///x.sock.",
        ),
        ("", "", "(no output)"),
    ],
)
def test_a_failure_is_its_telling_last_line(stderr: str, stdout: str, line: str) -> None:
    result = subprocess.CompletedProcess(["docker", "compose"], 1, stdout, stderr)
    assert why(result) == line
