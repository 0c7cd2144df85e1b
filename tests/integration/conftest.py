"""The real local stack (LocalStack on the host + WireMock), once per test session, on free ports.

It runs in a temporary state directory so that it never touches a developer's own stack.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainprobe.spec.variables import endpoint_variables
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.endpoints import StackEndpoints
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig
from chainprobe.target import Target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningStack:
    stack: LocalStack
    endpoints: StackEndpoints

    @property
    def config(self) -> LocalStackConfig:
        return self.stack.config

    @property
    def clients(self) -> AwsClients:
        return self.stack.clients


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    config = LocalStackConfig(
        localstack_port=free_port(),
        courier_port=free_port(),
        state_dir=tmp_path_factory.mktemp("stack-state"),
    )
    stack = LocalStack(config, say=print)
    try:
        endpoints = stack.up()
        yield RunningStack(stack, endpoints)
    finally:
        stack.down()


@pytest.fixture
def ledger_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.sqlite"
    monkeypatch.setenv("CHAINPROBE_LEDGER", str(path))
    return path


@pytest.fixture
def target(local_stack: RunningStack) -> Target:
    return Target(
        name="local", endpoints=endpoint_variables(local_stack.stack.status()), clients=local_stack.clients
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
