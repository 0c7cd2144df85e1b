"""``chainprobe fault set | clear | list | log``: fault injection on the local stack.

The faults live in the local stack's registry (``/_chainprobe/faults`` on LocalStack's gateway);
the stack is found like ``chainprobe status`` finds it (state directory, ``--port``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.stack_commands import add_port_options, config_from
from chainprobe.spec.secrets import redact
from chainprobe.stacks.exceptions import StackError
from chainprobe.stacks.local.faults import (
    FAULT_NAMES,
    FaultRegistryClient,
    FaultUsageError,
    FiredFault,
    check_name,
    check_rate,
)
from chainprobe.stacks.local.stack import LocalStack


class StackNotRunningError(StackError):
    """The local stack's LocalStack is not running: there is no registry to talk to."""


def usage_error(message: str) -> int:
    print(f"chainprobe: {redact(message)}", file=sys.stderr)
    return int(ExitCode.USAGE)


def registry_for(args: argparse.Namespace) -> FaultRegistryClient:
    """The registry of the running local stack; raises StackNotRunningError when it is down."""
    config = config_from(args)
    status = LocalStack(config, say=lambda _: None).status()
    if not status.get("servers", {}).get("localstack"):
        raise StackNotRunningError(
            f"the local stack is not running (no LocalStack on 127.0.0.1:{config.localstack_port} "
            f"for state {config.state_dir}); start it with 'chainprobe up'"
        )
    endpoint = config.aws_endpoint_url if args.port else status.get("aws_endpoint_url")
    return FaultRegistryClient.for_endpoint(str(endpoint or config.aws_endpoint_url))


def print_active(rates: dict[str, float]) -> None:
    if not rates:
        print("no active faults")
    for name, rate in sorted(rates.items()):
        print(f"{name:22} rate {rate:g}")


def format_entry(entry: FiredFault) -> str:
    stamp = datetime.fromtimestamp(entry.at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    detail = json.dumps(entry.detail, sort_keys=True, separators=(",", ":"))
    return f"{stamp}  {entry.fault:20} {entry.trigger:6} {entry.order_id or '-'}  {detail}"


def run_set(args: argparse.Namespace) -> int:
    try:
        name, rate = check_name(args.name), check_rate(args.rate)
        print_active(registry_for(args).set(name, rate))
    except FaultUsageError as e:
        return usage_error(str(e))
    return ExitCode.OK


def run_clear(args: argparse.Namespace) -> int:
    try:
        name = None if args.name is None else check_name(args.name)
        print_active(registry_for(args).clear(name))
    except FaultUsageError as e:
        return usage_error(str(e))
    return ExitCode.OK


def run_list(args: argparse.Namespace) -> int:
    registry = registry_for(args)
    if args.json:
        print(json.dumps(registry.document(), indent=2, sort_keys=True))
    else:
        print_active(registry.active())
    return ExitCode.OK


def run_log(args: argparse.Namespace) -> int:
    registry = registry_for(args)
    try:
        entries = registry.clear_log(args.since) if args.clear else registry.log(args.since)
    except FaultUsageError as e:
        return usage_error(str(e))
    if args.json:
        print(json.dumps([entry.to_dict() for entry in entries], indent=2))
    else:
        for entry in entries:
            print(format_entry(entry))
    return ExitCode.OK


def register(commands: Any) -> None:
    fault = commands.add_parser(
        "fault",
        help="inject faults into the local stack and read the log of those that fired",
        description=f"Faults: {', '.join(FAULT_NAMES)}.",
    )
    actions = fault.add_subparsers(dest="fault_command", required=True)

    set_ = actions.add_parser("set", help="activate a fault (every request, or at --rate)")
    set_.add_argument("name", metavar="NAME", help=f"one of: {', '.join(FAULT_NAMES)}")
    set_.add_argument(
        "--rate", type=float, default=1.0, help="probability per request, 0..1 (default 1: always)"
    )
    add_port_options(set_)
    set_.set_defaults(handler=run_set)

    clear = actions.add_parser("clear", help="deactivate one fault, or all of them")
    clear.add_argument("name", metavar="NAME", nargs="?", help="the fault to clear (default: all)")
    add_port_options(clear)
    clear.set_defaults(handler=run_clear)

    list_ = actions.add_parser("list", help="the active faults and their rates")
    list_.add_argument("--json", action="store_true", help='{"faults": {NAME: {"rate": P}}}')
    add_port_options(list_)
    list_.set_defaults(handler=run_list)

    log = actions.add_parser("log", help="every fault that fired: fault, order id, trigger, time")
    log.add_argument("--json", action="store_true", help="a JSON array of log entries")
    log.add_argument("--since", type=float, metavar="EPOCH", help="only entries at or after this time")
    log.add_argument("--clear", action="store_true", help="remove the entries shown from the log")
    add_port_options(log)
    log.set_defaults(handler=run_log)
