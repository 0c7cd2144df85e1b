"""Which ports a local stack's server is on: the running stack's, remembered in its state.

``up --port P --courier-port Q`` records each server's port next to its pid (``<state dir>/<name>.pid``),
so every later command (``status``, ``canary``, ``verify``, ``cleanup``, ``fault``, ``down``) finds the
running stack from its state alone. For each server, in order:

1. running (its recorded pid is alive and carries this stack's marker): its recorded port. A port asked
   for (``--port``, ``--courier-port``, ``CHAINPROBE_LOCALSTACK_PORT``, ``CHAINPROBE_COURIER_PORT``) that
   disagrees is refused (``StackPortsError``, exit 2): nothing is ever stopped or started elsewhere;
2. not running: the port asked for, else the one recorded by the last ``up`` (until ``down`` forgets it),
   else the default (4566, 8089).

Example::

    choose_port(ServerPorts(name="localstack", asked=None, recorded=4603, running=True, default=4566))
    # -> 4603
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chainprobe.stacks.exceptions import StackConfigError
from chainprobe.stacks.local.ownership import stack_mark
from chainprobe.stacks.local.process import pid_file, read_record, running_pid


class StackPortsError(StackConfigError):
    """A port asked for disagrees with the port the running stack's server is on."""


@dataclass(frozen=True, kw_only=True)
class AskedPort:
    port: int
    source: str
    """Where it was asked for: ``--port`` or an environment variable's name."""


@dataclass(frozen=True, kw_only=True)
class ServerPorts:
    """What is known about one server's port."""

    name: str
    asked: AskedPort | None
    recorded: int | None
    running: bool
    default: int
    state_dir: str = ""


def choose_port(server: ServerPorts) -> int:
    if server.running and server.recorded is not None:
        if server.asked is not None and server.asked.port != server.recorded:
            raise StackPortsError(
                f"{server.asked.source} asks for port {server.asked.port}, but the running stack of "
                f"{server.state_dir} has {server.name} on port {server.recorded}: leave the port out "
                "(commands find the stack from its state), or stop that stack first with 'chainprobe down'"
            )
        return server.recorded
    if server.asked is not None:
        return server.asked.port
    return server.recorded if server.recorded is not None else server.default


def asked_port(explicit: int, option: str, variable: str, environ: Mapping[str, str]) -> AskedPort | None:
    """The port asked for: the explicit one (``option``), else the environment's; None when neither."""
    if explicit:
        return AskedPort(port=explicit, source=option)
    raw = environ.get(variable, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise StackConfigError(f"{variable}={raw!r} is not a port (1-65535)")
    return AskedPort(port=int(raw), source=variable)


@dataclass(frozen=True)
class PortSetting:
    """One server's port: its pid file's name, how it is asked for, its default."""

    server: str
    option: str
    variable: str
    default: int


LOCALSTACK_PORT = PortSetting("localstack", "--port", "CHAINPROBE_LOCALSTACK_PORT", 4566)
COURIER_PORT = PortSetting("wiremock", "--courier-port", "CHAINPROBE_COURIER_PORT", 8089)


def port_for(
    setting: PortSetting, *, explicit: int, state_dir: Path | None, environ: Mapping[str, str]
) -> int:
    """The port of ``setting``'s server (``choose_port``), from what was asked and what ``state_dir``
    records; ``state_dir`` None: a stack without pid files (compose), asked or default only."""
    asked = asked_port(explicit, setting.option, setting.variable, environ)
    record = read_record(pid_file(state_dir, setting.server)) if state_dir is not None else None
    running = state_dir is not None and running_pid(record, stack_mark(state_dir)) is not None
    return choose_port(
        ServerPorts(
            name=setting.server,
            asked=asked,
            recorded=record.port if record is not None else None,
            running=running,
            default=setting.default,
            state_dir=str(state_dir),
        )
    )
