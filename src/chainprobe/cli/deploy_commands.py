"""``chainprobe deploy | undeploy``: the reference chain on the account the environment points at.

The ``aws`` stack of the design: AWS credentials and region from the usual chain (``AWS_PROFILE``,
``AWS_REGION``, ...), ``CHAINPROBE_AWS_ENDPOINT_URL`` for an emulator. ``deploy`` packages the
functions, uploads them to ``chainprobe-artifacts-<account>-<region>``, creates or updates the stack
``chainprobe-orders`` from ``chain/template.yaml`` and prints where the chain is, as ``chainprobe
status --json`` does for the local stack (``--env``: as ``KEY=value`` lines a CI job can append to
``$GITHUB_ENV``, which is what a canary's target reads). ``undeploy`` deletes the stack and the
packages (and the bucket once empty).
"""

from __future__ import annotations

import argparse
import json
from typing import Any
from urllib.parse import urlsplit

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.stack_commands import say
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.reference_chain import STACK_NAME, ChainParameters, ChainStack, delete_artifacts


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


def run_deploy(args: argparse.Namespace) -> int:
    clients = AwsClients.from_environment()
    deployed = ChainStack(clients).deploy(
        ChainParameters(
            courier_url=args.function_courier_url or args.courier_url, publish_mode=args.publish_mode
        ),
        say=say,
    )
    say(f"stack {STACK_NAME} {'deployed' if deployed.changed else 'unchanged'} in {clients.region}")
    endpoints = deployed.endpoints(clients, courier_url=args.courier_url)
    if args.env:
        for key, value in endpoints.to_environment().items():
            print(f"{key}={value}")
    else:
        print(json.dumps(endpoints.to_dict(), indent=2))
    return ExitCode.OK


def run_undeploy(args: argparse.Namespace) -> int:
    clients = AwsClients.from_environment()
    ChainStack(clients).delete()
    packages = delete_artifacts(clients)
    say(f"stack {STACK_NAME} deleted in {clients.region}; {packages} deployment package(s) removed")
    return ExitCode.OK


def register(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy", help="deploy the reference chain to the account the environment points at (the aws stack)"
    )
    deploy.add_argument(
        "--courier-url", type=http_url, required=True, help="the courier's base URL (POST /deliveries)"
    )
    deploy.add_argument(
        "--function-courier-url",
        type=http_url,
        help="where the functions reach the courier, when not at --courier-url (a private address, say)",
    )
    deploy.add_argument("--publish-mode", choices=["strict", "naive"], default="strict")
    deploy.add_argument(
        "--env", action="store_true", help="print KEY=value lines (for $GITHUB_ENV) instead of JSON"
    )
    deploy.set_defaults(handler=run_deploy)

    undeploy = commands.add_parser(
        "undeploy", help="delete what 'deploy' created: the stack and its packages"
    )
    undeploy.set_defaults(handler=run_undeploy)
