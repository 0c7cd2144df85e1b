"""The real local stack (LocalStack on the host + WireMock), once per test session, on free ports.

It runs in a temporary state directory so that it never touches a developer's own stack. Also the
fixtures of the fault tests: the fault registry (no fault active before or after a test) and a
quiet delivery queue.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chainprobe.spec.variables import endpoint_variables
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.endpoints import StackEndpoints
from chainprobe.stacks.local.faults import FaultRegistryClient
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig
from chainprobe.target import Target
from tests.integration.spec_variants import no_change, spec_variant

CONFIG_TTL_S = 1.1  # the chain's handlers cache the fault config for 1 s


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


@pytest.fixture(scope="session")
def quick_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """probes/orders.yaml with ``settle_seconds: 0`` on the event and the courier: for every test that
    does not test settling, so no order waits 30 s after its send for a window (``spec_variants``)."""
    return spec_variant(tmp_path_factory.mktemp("specs"), "orders.yaml", no_change)


def fault_order(suite: str, tag: str, chaos: list[str] | None = None) -> dict[str, Any]:
    """A valid order of the fault tests, ``o-{suite}-{tag}-…``, carrying ``chaos`` markers when given."""
    order: dict[str, Any] = {
        "orderId": f"o-{suite}-{tag}-{uuid.uuid4().hex[:10]}",
        "customerId": f"c-{suite}",
        "items": [{"sku": "w-1", "quantity": 1}],
        "amount": 5.0,
        "probe": {"runId": f"itest-{suite}-{tag}", "seq": 1},
    }
    if chaos is not None:
        order["chaos"] = chaos
    return order


@pytest.fixture
def faults(local_stack: RunningStack) -> Iterator[FaultRegistryClient]:
    """The session stack's fault registry, with no fault active before and after the test."""
    registry = FaultRegistryClient.for_endpoint(local_stack.config.aws_endpoint_url)
    if registry.active():
        registry.clear()
        time.sleep(CONFIG_TTL_S)  # no handler still acts on a fault config cached before this test
    try:
        yield registry
    finally:
        if registry.active():
            registry.clear()
            time.sleep(CONFIG_TTL_S)


@pytest.fixture(scope="module")
def quiet_delivery_queue(local_stack: RunningStack) -> None:
    """Empties the delivery queue once per module, before its courier tests.

    Earlier tests' failed deliveries come back after the queue's 360 s visibility timeout; one
    landing in the same batch as a marked record (records of a batch are delivered one after the
    other) could use up the invocation's time and cut the marked record's attempts short.
    """
    sqs = local_stack.clients.client("sqs")
    [mapping] = local_stack.clients.client("lambda").list_event_source_mappings(
        FunctionName="DeliveryHandler"
    )["EventSourceMappings"]
    name = mapping["EventSourceArn"].rsplit(":", 1)[1]
    try:
        sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except ClientError as e:  # PurgeQueueInProgress: purged less than 60 s ago, quiet enough
        print(f"delivery queue not purged: {e}")


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


@pytest.fixture
def cli_env(local_stack: RunningStack, ledger_path: Path) -> Iterator[dict[str, str]]:
    """The environment under which the chainprobe command (and Locust) find the test session's stack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAINPROBE_", "AWS_", "LOCUST_"))}
    env.update(
        CHAINPROBE_STATE_DIR=str(local_stack.config.state_dir),
        CHAINPROBE_LOCALSTACK_PORT=str(local_stack.config.localstack_port),
        CHAINPROBE_COURIER_PORT=str(local_stack.config.courier_port),
        CHAINPROBE_LEDGER=str(ledger_path),
        AWS_EC2_METADATA_DISABLED="true",
    )
    yield env


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
