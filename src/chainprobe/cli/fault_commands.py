"""``chainprobe fault set | clear | list | log``: fault injection on the local stack.

The faults live in the local stack's registry (``/_chainprobe/faults`` on LocalStack's gateway);
the stack is found like ``chainprobe status`` finds it (state directory, ``--port``).

For the faults the local stack fires itself (``dynamodb-throttle`` in the item a PutItem writes,
``events-entry-failure`` in a PutEvents entry's detail), ``fault set NAME --order-id-path P
--marker-path P [--order-id-prefix S] [--on TABLE|BUS]`` says where a chain keeps an order's id and
its fault markers (default ``orderId`` and ``chaos``, the reference chain's). Given only these, the
fault is not activated (add ``--rate`` for that); ``fault clear --locations`` restores the defaults.
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
    LOCATED_FAULTS,
    FaultLocation,
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
    stack = LocalStack(config_from(args), say=lambda _: None)
    config = stack.config  # the ports of the running stack, found from its state
    status = stack.status()
    if not status.get("servers", {}).get("localstack"):
        raise StackNotRunningError(
            f"the local stack is not running (no LocalStack on 127.0.0.1:{config.localstack_port} "
            f"for state {config.state_dir}); start it with 'chainprobe up'"
        )
    return FaultRegistryClient.for_endpoint(config.aws_endpoint_url)


def print_active(rates: dict[str, float]) -> None:
    if not rates:
        print("no active faults")
    for name, rate in sorted(rates.items()):
        print(f"{name:22} rate {rate:g}")


def print_locations(locations: list[FaultLocation]) -> None:
    for location in locations:
        print(location.describe())


def location_from(args: argparse.Namespace, name: str) -> FaultLocation | None:
    """The location ``fault set`` was given (None without location options); FaultUsageError when the
    fault is not one the local stack fires itself."""
    given = (args.order_id_path, args.marker_path, args.order_id_prefix, args.on)
    if all(value is None for value in given):
        return None
    if name not in LOCATED_FAULTS:
        raise FaultUsageError(
            f"{name} is fired by the reference chain's code or the courier stub, which read its own "
            f"fields: --order-id-path/--marker-path/--on are for {', '.join(LOCATED_FAULTS)}"
        )
    return FaultLocation(
        name,
        resource=args.on,
        order_id_path=args.order_id_path or "orderId",
        marker_path=args.marker_path or "chaos",
        order_id_prefix=args.order_id_prefix or "",
    )


def format_entry(entry: FiredFault) -> str:
    stamp = datetime.fromtimestamp(entry.at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    detail = json.dumps(entry.detail, sort_keys=True, separators=(",", ":"))
    return f"{stamp}  {entry.fault:20} {entry.trigger:6} {entry.order_id or '-'}  {detail}"


def run_set(args: argparse.Namespace) -> int:
    try:
        name = check_name(args.name)
        location = location_from(args, name)
        rate = check_rate(1.0 if args.rate is None else args.rate)
        registry = registry_for(args)
        if location is not None:
            print_locations(registry.locate(location))
        if location is None or args.rate is not None:
            print_active(registry.set(name, rate))
    except FaultUsageError as e:
        return usage_error(str(e))
    return ExitCode.OK


def run_clear(args: argparse.Namespace) -> int:
    try:
        name = None if args.name is None else check_name(args.name)
        registry = registry_for(args)
        if args.locations:
            registry.forget_locations()
            print("every fault looks at orderId and chaos again")
        else:
            print_active(registry.clear(name))
    except FaultUsageError as e:
        return usage_error(str(e))
    return ExitCode.OK


def run_list(args: argparse.Namespace) -> int:
    registry = registry_for(args)
    locations = registry.locations()
    if args.json:
        document = registry.document()
        if locations:  # the handlers' shape stays as it was while every fault looks where it always did
            document["locations"] = [location.to_dict() for location in locations]
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        print_active(registry.active())
        print_locations(locations)
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
        "--rate",
        type=float,
        help="probability per request, 0..1 (default 1: always; with only location options: not activated)",
    )
    where = set_.add_argument_group(
        "where the local stack's own faults look",
        f"for {', '.join(LOCATED_FAULTS)} only: dotted paths into the DynamoDB item "
        "(dynamodb-throttle) or the event detail (events-entry-failure)",
    )
    where.add_argument("--order-id-path", metavar="PATH", help="the order id (default orderId)")
    where.add_argument("--order-id-prefix", metavar="TEXT", help="taken off the id found, e.g. ORDER#")
    where.add_argument("--marker-path", metavar="PATH", help="the list of fault markers (default chaos)")
    where.add_argument("--on", metavar="TABLE|BUS", help="only requests to this table or bus (default: all)")
    add_port_options(set_)
    set_.set_defaults(handler=run_set)

    clear = actions.add_parser("clear", help="deactivate one fault, or all of them")
    clear.add_argument("name", metavar="NAME", nargs="?", help="the fault to clear (default: all)")
    clear.add_argument(
        "--locations", action="store_true", help="forget every location set (orderId and chaos again)"
    )
    add_port_options(clear)
    clear.set_defaults(handler=run_clear)

    list_ = actions.add_parser("list", help="the active faults and their rates")
    list_.add_argument(
        "--json",
        action="store_true",
        help='{"faults": {NAME: {"rate": P}}}, and "locations" when any are set',
    )
    add_port_options(list_)
    list_.set_defaults(handler=run_list)

    log = actions.add_parser("log", help="every fault that fired: fault, order id, trigger, time")
    log.add_argument("--json", action="store_true", help="a JSON array of log entries")
    log.add_argument("--since", type=float, metavar="EPOCH", help="only entries at or after this time")
    log.add_argument("--clear", action="store_true", help="remove the entries shown from the log")
    add_port_options(log)
    log.set_defaults(handler=run_log)
