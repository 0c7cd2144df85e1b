"""docker-compose.yml as a compose project that ``chainprobe up --stack compose`` starts and ``down`` stops.

The compose command is Docker's plugin (``docker compose``) when the CLI has it, else the standalone
``docker-compose`` (v1, what Debian packages). docker compose reads its own variables as usual:
``COMPOSE_PROJECT_NAME`` (default: the checkout's folder name), ``COMPOSE_FILE`` (default:
``docker-compose.yml`` of the checkout); the published ports are the stack's (``CHAINPROBE_LOCALSTACK_PORT``,
``CHAINPROBE_COURIER_PORT``, which the compose file reads), and so are the account's Lambda concurrency
and the alarm evaluation period (as the host stack's, ``LocalStackConfig``). Every failure is one line: a
daemon that does not answer, a compose command that failed (its last line: an image that cannot be
pulled, a port taken).

Example::

    project = ComposeProject(
        localstack_port=4566, courier_port=8089, lambda_concurrency=8, alarm_evaluation_seconds=10
    )
    project.up()
    ...
    project.down()  # the names of the containers that were running
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chainprobe.stacks import paths
from chainprobe.stacks.exceptions import StackError, ToolMissingError

ENGINE_TIMEOUT_S = 20.0
"""How long ``docker info`` may take before the daemon counts as not answering."""

UP_TIMEOUT_S = 1800.0
"""Bound on ``compose up``: the first one builds the LocalStack image (minutes on two cores)."""

DOWN_TIMEOUT_S = 120.0


class ContainerEngineError(StackError):
    """The Docker daemon does not answer (exit 3)."""


class ComposeCommandError(StackError):
    """A docker compose command failed: its last line says why (exit 3)."""


def compose_command() -> list[str]:
    """``docker compose`` when the CLI has the plugin, else ``docker-compose`` (ToolMissingError: none)."""
    docker = shutil.which("docker")
    if docker and run([docker, "compose", "version"], timeout=ENGINE_TIMEOUT_S).returncode == 0:
        return [docker, "compose"]
    if standalone := shutil.which("docker-compose"):
        return [standalone]
    raise ToolMissingError("the compose stack needs docker compose (or docker-compose) on PATH")


def run(
    command: Sequence[str], *, timeout: float, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(list(command), 124, "", f"no answer within {timeout:.0f} s")
    except OSError as error:
        return subprocess.CompletedProcess(list(command), 127, "", str(error))


def last_line(output: str) -> str:
    """The line that says why: the last non-empty one that is not a deprecation or progress notice."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    telling = [
        line for line in lines if not line.startswith(("DEPRECATED", "Install the buildx", "https://"))
    ]
    return (telling or lines or ["(no output)"])[-1]


PULLING = re.compile(r"Pulling \S+ \((?P<image>[^)]+)\)")


def why(result: subprocess.CompletedProcess[str]) -> str:
    """The failure's last line, naming the image being pulled when a pull failed."""
    output = result.stderr or result.stdout
    pulls = PULLING.findall(output)
    return f"pulling {pulls[-1]}: {last_line(output)}" if pulls else last_line(output)


@dataclass(frozen=True)
class ComposeProject:
    """The checkout's docker-compose.yml, its ports published on 127.0.0.1 as the stack's config says."""

    localstack_port: int
    courier_port: int
    lambda_concurrency: int
    alarm_evaluation_seconds: int
    directory: Path = field(default_factory=paths.project_root)

    def env(self) -> dict[str, str]:
        return os.environ | {
            "CHAINPROBE_LOCALSTACK_PORT": str(self.localstack_port),
            "CHAINPROBE_COURIER_PORT": str(self.courier_port),
            "CHAINPROBE_LAMBDA_CONCURRENCY": str(self.lambda_concurrency),
            "CHAINPROBE_ALARM_EVALUATION_SECONDS": str(self.alarm_evaluation_seconds),
        }

    def check_engine(self) -> None:
        """ContainerEngineError (one line) when no Docker daemon answers."""
        docker = shutil.which("docker")
        if docker is None:
            raise ToolMissingError("the compose stack needs Docker: no docker command on PATH")
        result = run([docker, "info", "--format", "{{.ServerVersion}}"], timeout=ENGINE_TIMEOUT_S)
        if result.returncode != 0:
            raise ContainerEngineError(f"the Docker daemon does not answer: {why(result)}")

    def compose(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return run([*compose_command(), *args], timeout=timeout, env=self.env(), cwd=self.directory)

    def up(self) -> None:
        """Starts the containers (building the LocalStack image when it is missing); when they cannot
        start, removes what was created (the network, containers) and says why in one line."""
        self.check_engine()
        result = self.compose("up", "-d", timeout=UP_TIMEOUT_S)
        if result.returncode != 0:
            self.compose("down", "--remove-orphans", "-t", "1", timeout=DOWN_TIMEOUT_S)
            raise ComposeCommandError(f"docker compose up failed: {why(result)}")

    def running(self) -> list[str]:
        """The project's running containers' service names; none when the daemon does not answer."""
        result = self.compose("ps", "--services", "--filter", "status=running", timeout=DOWN_TIMEOUT_S)
        return result.stdout.split() if result.returncode == 0 else []

    def down(self) -> list[str]:
        """Removes the project's containers and network; returns the services that were running."""
        self.check_engine()
        was_running = self.running()
        result = self.compose("down", "--remove-orphans", "--volumes", "-t", "10", timeout=DOWN_TIMEOUT_S)
        if result.returncode != 0:
            raise ComposeCommandError(f"docker compose down failed: {why(result)}")
        return was_running
