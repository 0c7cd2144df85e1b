"""``chainprobe install | up | down | status``: the embedded local stack."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.spec.secrets import redact
from chainprobe.stacks.local import tools
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig


def say(message: str) -> None:
    print(f"chainprobe: {redact(message)}", file=sys.stderr, flush=True)


def write_output(text: str, out: Path | None) -> bool:
    """Writes a generated document to ``out``, or to standard output without one; False (and one line
    saying why) when ``out`` cannot be written."""
    if out is None:
        sys.stdout.write(text)
        return True
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        say(f"cannot write {out}: {error.strerror}")
        return False
    return True


def config_from(args: argparse.Namespace) -> LocalStackConfig:
    overrides: dict[str, Any] = {}
    if getattr(args, "port", None):
        overrides["localstack_port"] = args.port
    if getattr(args, "courier_port", None):
        overrides["courier_port"] = args.courier_port
    if getattr(args, "publish_mode", None):
        overrides["publish_mode"] = args.publish_mode
    if getattr(args, "stack", "local") == "compose":
        overrides["containers"] = True
    if getattr(args, "function_courier_url", None):
        overrides["function_courier_url"] = args.function_courier_url
    return LocalStackConfig(**overrides)


def run_install(args: argparse.Namespace) -> int:
    tools.install(say)
    say("tools ready")
    return ExitCode.OK


def run_up(args: argparse.Namespace) -> int:
    endpoints = LocalStack(config_from(args), say=say).up()
    if args.env:
        for key, value in endpoints.to_environment().items():
            print(f"{key}={value}")
    else:
        print(json.dumps(endpoints.to_dict(), indent=2))
    return ExitCode.OK


def run_down(args: argparse.Namespace) -> int:
    stopped = LocalStack(config_from(args), say=say).down()
    say(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    return ExitCode.OK


def run_status(args: argparse.Namespace) -> int:
    status = LocalStack(config_from(args), say=say).status()
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        for key, value in status.items():
            print(f"{key:18} {value}")
    return ExitCode.OK if status["running"] else ExitCode.UNREACHABLE


def add_port_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="LocalStack port on 127.0.0.1 (default 4566)")
    parser.add_argument("--courier-port", type=int, help="WireMock port on 127.0.0.1 (default 8089)")
    parser.add_argument(
        "--stack",
        choices=["local", "compose"],
        default="local",
        help="local: servers started on this host (default); compose: docker-compose.yml's containers",
    )


def register(commands: Any) -> None:
    install = commands.add_parser("install", help="install the local stack's tools (LocalStack, WireMock)")
    install.set_defaults(handler=run_install)

    up = commands.add_parser("up", help="start the local stack and deploy the reference chain")
    add_port_options(up)
    up.add_argument("--publish-mode", choices=["strict", "naive"], default="strict")
    up.add_argument(
        "--function-courier-url",
        help="where the functions reach the courier (default: this host's WireMock; compose: http://wiremock:8080)",
    )
    up.add_argument(
        "--env",
        action="store_true",
        help="print KEY=value lines (the CHAINPROBE_* variables a canary's target reads) instead of JSON",
    )
    up.set_defaults(handler=run_up)

    down = commands.add_parser("down", help="stop everything 'up' started")
    add_port_options(down)
    down.set_defaults(handler=run_down)

    status = commands.add_parser("status", help="is the local stack up, and where")
    add_port_options(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=run_status)
