"""The stack a team's tests run against, opened once per test session by the ``chainprobe_stack`` fixture.

Kinds (``--chainprobe-stack``; default ``env`` when ``CHAINPROBE_API_URL`` is set, else ``local``):

- ``local``: the local stack found from its state, as ``chainprobe status`` finds it
  (``CHAINPROBE_STATE_DIR``, ``CHAINPROBE_LOCALSTACK_PORT``, ``CHAINPROBE_COURIER_PORT``). Started when it
  is not running, and then stopped at the end of the session; a stack already running is left running.
- ``env``: the target named by ``CHAINPROBE_*`` variables (``chainprobe.target.resolve_target``); never
  started or stopped here.
- ``containers``: the compose stack, docker-compose.yml's containers (``chainprobe up --stack compose``):
  used when they answer on the ports above, else started with docker compose and removed at the end of
  the session. (Not testcontainers' ``DockerCompose``: it runs only Docker's compose plugin, ``docker
  compose``, and engines with only the standalone ``docker-compose`` v1, as Debian's, have none.)

Example::

    with open_stack(stack_kind(None, os.environ), say=print) as stack:
        print(stack.target.name, stack.started)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from chainprobe.spec.template import Scalar
from chainprobe.spec.variables import endpoint_variables
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.local.faults import FaultRegistryClient
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig
from chainprobe.target import Target, resolve_target

Say = Callable[[str], None]


class FaultsUnavailableError(RuntimeError):
    """The stack has no fault registry: it is not a LocalStack with chainprobe's plugins."""


@dataclass(frozen=True)
class ChainprobeStack:
    """The stack of the session: its kind, the target the probes send to, and whether the fixture
    started it (and so stops it when the session ends)."""

    kind: str
    target: Target
    started: bool

    @property
    def endpoints(self) -> dict[str, Scalar]:
        return self.target.endpoints

    @property
    def aws_endpoint_url(self) -> str | None:
        """LocalStack's gateway (``None`` against AWS itself)."""
        url = self.target.endpoints.get("aws_endpoint_url")
        return str(url) if url else None

    def fault_registry(self) -> FaultRegistryClient:
        """The local stack's fault registry; FaultsUnavailableError when the target has none."""
        if self.aws_endpoint_url is None:
            raise FaultsUnavailableError(
                f"fault injection needs a local stack; {self.target.name} has no CHAINPROBE_AWS_ENDPOINT_URL"
            )
        return FaultRegistryClient.for_endpoint(self.aws_endpoint_url)


@contextmanager
def local_stack(say: Say) -> Iterator[ChainprobeStack]:
    """The running local stack, or one started here and stopped on exit."""
    with own_stack("local", LocalStack(say=say), say) as opened:
        yield opened


@contextmanager
def containers_stack(say: Say) -> Iterator[ChainprobeStack]:
    """The compose stack's running containers, or containers started here and removed on exit."""
    with own_stack("containers", LocalStack(LocalStackConfig(containers=True), say=say), say) as opened:
        yield opened


@contextmanager
def own_stack(kind: str, stack: LocalStack, say: Say) -> Iterator[ChainprobeStack]:
    """``stack`` as it runs (the chain deployed when it is not), or started here and stopped on exit."""
    status = stack.status()
    started = not status["running"]  # a running stack is the user's, even when the chain is not deployed
    try:
        if started or "api_url" not in status:
            say(
                f"the {kind} stack is not running: starting it for this test session"
                if started
                else f"the {kind} stack runs without the chain: deploying it"
            )
            stack.up()
            status = stack.status()
        clients = AwsClients.local(str(status["aws_endpoint_url"]), str(status["region"]))
        target = Target(name=kind, endpoints=endpoint_variables(status), clients=clients)
        yield ChainprobeStack(kind=kind, target=target, started=started)
    finally:
        if started:
            say(f"stopping the {kind} stack this test session started")
            stack.down()


@contextmanager
def env_stack(say: Say) -> Iterator[ChainprobeStack]:
    """The target the ``CHAINPROBE_*`` variables name; nothing is started or stopped."""
    yield ChainprobeStack(kind="env", target=resolve_target(say=say, start_local=False), started=False)


OPENERS: dict[str, Callable[[Say], AbstractContextManager[ChainprobeStack]]] = {
    "local": local_stack,
    "env": env_stack,
    "containers": containers_stack,
}


def open_stack(kind: str, *, say: Say) -> AbstractContextManager[ChainprobeStack]:
    """The stack of ``kind`` (see ``stack_kind``), as a context: on exit, stopped if it was started."""
    return OPENERS[kind](say)
