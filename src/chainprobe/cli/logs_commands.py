"""``chainprobe logs --run ID [--order ID]``: a recorded run's bad orders (or one order) as the chain's own
logs tell them — the milestones passed, the one never reached, the functions touched, the log lines
(bounded, secrets redacted) and the exception.

Exit 0 when the drill-downs were printed (an order with no log line says so); 2 for a spec without a
``logs`` section, an unknown run or an order not in the run; 3 when the logs could not be queried.
"""

from __future__ import annotations

import argparse
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.stack_commands import say
from chainprobe.ledger.model import OrderRecord, Verdict
from chainprobe.pipeline import open_ledger
from chainprobe.report.log_drilldown import render_drilldown
from chainprobe.run_logs import drill_down
from chainprobe.spec import load_spec
from chainprobe.spec.secrets import redact
from chainprobe.target import resolve_target

__all__ = ["register"]

MAX_ORDERS = 20  # without --order: the first bad orders of the run, by sequence


def logs_command(args: argparse.Namespace) -> int:
    with open_ledger() as ledger:
        run = ledger.get_run(args.run)
        orders = ledger.orders(args.run)
    spec = load_spec(run.spec_path)
    if spec.logs is None:
        say(f"{run.spec_path}: the spec has no logs section: the log view was not configured")
        return ExitCode.USAGE
    chosen = _chosen(orders, args.order)
    if chosen is None:
        say(f"order {args.order} is not in run {args.run}")
        return ExitCode.USAGE
    if not chosen:
        say(f"run {args.run}: no bad order to drill into (use --order ID for any order)")
        return ExitCode.OK
    target = resolve_target(say=say, start_local=False)
    shown = chosen[:MAX_ORDERS]
    found, notes = drill_down(
        target.clients.client("logs"), spec, target.endpoints, run, [order.order_id for order in shown]
    )
    for note in notes:
        say(f"the logs could not be read: {note}")
    if notes and not any(item.log_lines for item in found):
        return ExitCode.UNREACHABLE
    by_id = {order.order_id: order for order in shown}
    print("\n".join(render_drilldown(item, by_id[item.order_id]) for item in found), end="")
    if len(chosen) > len(shown):
        print(redact(f"… and {len(chosen) - len(shown)} more bad orders (use --order ID)"))
    return ExitCode.OK


def _chosen(orders: list[OrderRecord], order_id: str | None) -> list[OrderRecord] | None:
    if order_id is not None:
        match = [order for order in orders if order.order_id == order_id]
        return match or None
    return [order for order in orders if Verdict.BAD in (order.chain_verdict, order.delivery_verdict)]


def register(commands: Any) -> None:
    logs = commands.add_parser(
        "logs", help="a recorded run's bad orders (or one order) as the chain's own logs tell them"
    )
    logs.add_argument("--run", required=True, help="run id (from the canary's output or report)")
    logs.add_argument("--order", help="only this order (any verdict)")
    logs.set_defaults(handler=logs_command)
