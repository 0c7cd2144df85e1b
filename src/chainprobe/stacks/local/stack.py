"""The ``local`` stack: LocalStack on the host and WireMock, with the reference chain deployed.

With ``containers=True`` it is the ``compose`` stack instead: the same two servers run in the
containers of ``docker-compose.yml``; ``up`` starts them with docker compose unless they already answer
(``stacks.compose.project``), waits for them, deploys and proves the chain the same way, and ``down``
removes the compose project's containers.

``LocalStack.up()`` returns only when a real order has passed API -> DynamoDB -> bus -> courier.
A second ``up()`` on a healthy stack reuses its servers (and redeploys only what changed).

A stack is found from its state dir: the ports of its running servers are recorded there
(``ports.py``), so ``LocalStack()`` with no ports given is the running stack wherever ``up`` put it.
Only ``down()`` stops servers; it and ``up()`` stop the function processes a killed LocalStack left
behind, found by this stack's marker (``ownership.py``), never by name.

Example::

    stack = LocalStack(LocalStackConfig())
    endpoints = stack.up()
    ...
    stack.down()
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from chainprobe.stacks import paths, reference_chain
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.compose.project import ComposeProject
from chainprobe.stacks.endpoints import StackEndpoints
from chainprobe.stacks.exceptions import ServerStartError, StackError
from chainprobe.stacks.local import tools
from chainprobe.stacks.local.faults import FAULTS_PATH
from chainprobe.stacks.local.ownership import leftovers, marked_pids, stack_mark, stop_processes
from chainprobe.stacks.local.ports import COURIER_PORT, LOCALSTACK_PORT, port_for
from chainprobe.stacks.local.process import LOOPBACK, ServerProcess
from chainprobe.stacks.local.servers import localstack_server, wiremock_server
from chainprobe.stacks.local.smoke import send_smoke_order

REGION = "us-east-1"
COMPOSE_COURIER_URL = "http://wiremock:8080"
COMPOSE_LOCALSTACK_PORT = 4566
Say = Callable[[str], None]


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def default_lambda_concurrency() -> int:
    """The local account's concurrent-executions limit: what this machine can run as processes.

    AWS's default (1000) would let a burst start a process per waiting invocation; each cold start costs
    about a CPU-second here, so past the machine's capacity the stack spirals (timeouts start fresh
    processes, which cause more timeouts) and does not recover when the load stops. With a limit, excess
    invocations are throttled at once, as AWS throttles an account at its limit (``Throttles`` counts them).
    """
    return max(8, 4 * (os.cpu_count() or 1))


ALARM_EVALUATION_SECONDS = 10
"""CloudWatch evaluates alarms each minute; locally a burst should move an alarm within seconds."""


@dataclass(frozen=True, kw_only=True)
class LocalStackConfig:
    """How the local stack runs. Precedence: explicit argument, then environment, then default; for the
    ports, the running stack's recorded ports come first and a disagreeing port is refused (``ports.py``):
    ``LocalStack`` fills in the ports (0 here means "not asked for").

    Environment: CHAINPROBE_LOCALSTACK_PORT (4566), CHAINPROBE_COURIER_PORT (8089), CHAINPROBE_STATE_DIR,
    CHAINPROBE_LAMBDA_CONCURRENCY (the account's concurrent executions, ``default_lambda_concurrency()``),
    CHAINPROBE_ALARM_EVALUATION_SECONDS (how often alarms are evaluated, ``ALARM_EVALUATION_SECONDS``).
    """

    localstack_port: int = 0
    courier_port: int = 0
    state_dir: Path = field(default_factory=paths.state_dir)
    publish_mode: str = "strict"
    start_timeout: float = 120.0
    smoke_timeout: float = 90.0
    containers: bool = False
    lambda_concurrency: int = field(
        default_factory=lambda: env_int("CHAINPROBE_LAMBDA_CONCURRENCY", default_lambda_concurrency())
    )
    alarm_evaluation_seconds: int = field(
        default_factory=lambda: env_int("CHAINPROBE_ALARM_EVALUATION_SECONDS", ALARM_EVALUATION_SECONDS)
    )
    # Where the functions reach the courier: the host's WireMock, or the compose network's.
    function_courier_url: str | None = None

    @property
    def aws_endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.localstack_port}"

    @property
    def courier_url(self) -> str:
        return f"http://{LOOPBACK}:{self.courier_port}"

    @property
    def courier_url_for_functions(self) -> str:
        if self.function_courier_url:
            return self.function_courier_url
        return COMPOSE_COURIER_URL if self.containers else self.courier_url

    @property
    def fault_config_url(self) -> str:
        # Functions run as processes next to LocalStack: inside its container, it listens on 4566.
        endpoint = (
            f"http://{LOOPBACK}:{COMPOSE_LOCALSTACK_PORT}" if self.containers else self.aws_endpoint_url
        )
        return f"{endpoint}{FAULTS_PATH}"


@dataclass(frozen=True)
class StackState:
    """What ``up`` leaves in ``state_dir/stack.json`` for ``status`` and ``down``."""

    endpoints: StackEndpoints
    publish_mode: str
    localstack_port: int
    courier_port: int
    up_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"endpoints": self.endpoints.to_dict()}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> StackState:
        return cls(**(raw | {"endpoints": StackEndpoints(**raw["endpoints"])}))


def with_ports(config: LocalStackConfig) -> LocalStackConfig:
    """``config`` with its servers' ports filled in: the running stack's, else asked for, else recorded
    by the last ``up``, else the defaults. Raises ``StackPortsError`` (exit 2) for a port asked for that
    disagrees with the running stack."""
    state_dir = None if config.containers else config.state_dir
    return replace(
        config,
        localstack_port=port_for(
            LOCALSTACK_PORT, explicit=config.localstack_port, state_dir=state_dir, environ=os.environ
        ),
        courier_port=port_for(
            COURIER_PORT, explicit=config.courier_port, state_dir=state_dir, environ=os.environ
        ),
    )


class LocalStack:
    """Starts, reuses, reports on and stops the local stack described by a ``LocalStackConfig``."""

    def __init__(self, config: LocalStackConfig | None = None, *, say: Say = print) -> None:
        self.config = with_ports(config or LocalStackConfig())
        self.say = say
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        self.clients = AwsClients.local(self.config.aws_endpoint_url, REGION)

    @property
    def state_file(self) -> Path:
        return self.config.state_dir / "stack.json"

    def servers(self) -> tuple[ServerProcess, ServerProcess]:
        layout = tools.tools_layout()
        state_dir = self.config.state_dir
        localstack = localstack_server(
            layout,
            port=self.config.localstack_port,
            state_dir=state_dir,
            lambda_concurrency=self.config.lambda_concurrency,
            alarm_evaluation_seconds=self.config.alarm_evaluation_seconds,
        )
        wiremock = wiremock_server(
            layout,
            tools.require_java(),
            port=self.config.courier_port,
            root_dir=paths.stubs_dir(),
            state_dir=state_dir,
        )
        return localstack, wiremock

    def up(self) -> StackEndpoints:
        started = time.monotonic()
        if self.config.containers:
            self._start_containers()
        else:
            tools.install(self.say)
            localstack, wiremock = self.servers()
            if localstack.pid() is None:
                self._reap(keep={pid for pid in [wiremock.pid()] if pid is not None})
            for server in (localstack, wiremock):
                self._ensure_running(server)
        deployed = reference_chain.ChainStack(self.clients).deploy(
            reference_chain.ChainParameters(
                courier_url=self.config.courier_url_for_functions,
                publish_mode=self.config.publish_mode,
                fault_config_url=self.config.fault_config_url,
            ),
            say=self.say,
        )
        endpoints = deployed.endpoints(self.clients, courier_url=self.config.courier_url)
        send_smoke_order(endpoints, self.clients, timeout=self.config.smoke_timeout)
        state = StackState(
            endpoints=endpoints,
            publish_mode=self.config.publish_mode,
            localstack_port=self.config.localstack_port,
            courier_port=self.config.courier_port,
            up_at=time.time(),
        )
        self.state_file.write_text(json.dumps(state.to_dict(), indent=2))
        self.say(f"stack up in {time.monotonic() - started:.1f} s: {endpoints.api_url}")
        return endpoints

    def health_urls(self) -> dict[str, str]:
        return {
            "localstack": f"{self.config.aws_endpoint_url}/_localstack/health",
            "wiremock": f"{self.config.courier_url}/__admin/health",
        }

    def compose_project(self) -> ComposeProject:
        config = self.config
        return ComposeProject(
            localstack_port=config.localstack_port,
            courier_port=config.courier_port,
            lambda_concurrency=config.lambda_concurrency,
            alarm_evaluation_seconds=config.alarm_evaluation_seconds,
        )

    def _start_containers(self) -> None:
        """Containers that already answer are used as they are; else docker compose starts them."""
        if not all(answers(url) for url in self.health_urls().values()):
            project = self.compose_project()
            project.check_engine()
            self.say("starting docker-compose.yml's containers (the first time builds the LocalStack image)")
            project.up()
        self._wait_for_containers()

    def _wait_for_containers(self) -> None:
        deadline = time.monotonic() + self.config.start_timeout
        waiting = dict(self.health_urls())
        while waiting and time.monotonic() < deadline:
            waiting = {name: url for name, url in waiting.items() if not answers(url)}
            if waiting:
                time.sleep(1.0)
        if waiting:
            names = ", ".join(f"{name} ({url})" for name, url in waiting.items())
            raise ServerStartError(f"no answer from {names} (see 'docker compose logs')")

    def _ensure_running(self, server: ServerProcess) -> None:
        """Reuses the running server (waiting for it to answer: it may be starting), else starts it.
        A running server that never answers is reported, not stopped: only ``down`` stops servers."""
        pid = server.pid()
        if pid is not None:
            if not server.wait_ready(self.config.start_timeout):
                raise ServerStartError(
                    f"{server.name} (pid {pid}) runs on {LOOPBACK}:{server.port} but does not answer; "
                    f"'chainprobe down' stops it (see {server.log_file})"
                )
            self.say(f"{server.name} already running on {LOOPBACK}:{server.port}")
            return
        server.pid_file.unlink(missing_ok=True)  # what it names is gone, or is not this stack's
        self.say(f"starting {server.name} on {LOOPBACK}:{server.port}")
        server.start(timeout=self.config.start_timeout)

    def _reap(self, *, keep: Collection[int]) -> list[int]:
        """Stops this stack's marked processes (function processes a killed LocalStack left behind), but
        those in ``keep``; returns the pids that were stopped."""
        pids = leftovers(marked_pids(stack_mark(self.config.state_dir)), keep)
        if pids:
            listed = ", ".join(map(str, pids))
            self.say(f"stopping {len(pids)} processes this stack's LocalStack left behind (pids {listed})")
        return stop_processes(pids)

    def down(self) -> list[str]:
        """Stops every server this stack started; returns the names of those that were running."""
        if self.config.containers:
            self.state_file.unlink(missing_ok=True)
            try:
                return self.compose_project().down()
            except StackError as error:  # no engine: no container of this project runs
                self.say(str(error))
                return []
        stopped = [server.name for server in reversed(self.servers()) if server.stop()]
        if reaped := self._reap(keep=()):
            stopped.append(f"{len(reaped)} function processes")
        self.state_file.unlink(missing_ok=True)
        return stopped

    def status(self) -> dict[str, Any]:
        if self.config.containers:
            running = {name: answers(url) for name, url in self.health_urls().items()}
        else:
            localstack, wiremock = self.servers()
            running = {s.name: s.pid() is not None and s.is_ready() for s in (localstack, wiremock)}
        report: dict[str, Any] = {"running": all(running.values()), "servers": running}
        if self.state_file.exists():
            state = StackState.from_dict(json.loads(self.state_file.read_text()))
            report |= state.endpoints.to_dict() | {"publish_mode": state.publish_mode}
        report["state_dir"] = str(self.config.state_dir)
        report["ports"] = {"localstack": self.config.localstack_port, "courier": self.config.courier_port}
        return report
