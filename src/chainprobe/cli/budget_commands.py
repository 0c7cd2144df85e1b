"""``chainprobe budget``: each SLI's error budget over a window, its burn rates now, and the burn-rate
alerts replayed over the window, from the history in CloudWatch (and the local ledger).

Exit codes: 0 every SLI has budget left and no page-severity tier is firing at ``--at``; 1 a budget is
exhausted (remaining <= 0) or a page is firing now; 2 bad usage or config (a bad ``--window`` or
``--at``, a spec that cannot be read or alarmed on, a bad windows file); 3 CloudWatch cannot be
reached (the local stack not running, the endpoint refusing).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.stack_commands import say
from chainprobe.measure.budget import BudgetError
from chainprobe.measure.budget_replay import evaluation_end
from chainprobe.report.alarms import AlarmsError
from chainprobe.report.alarms.inputs import load_inputs
from chainprobe.report.budget_html import render_budget_html
from chainprobe.report.budget_view import terminal_lines, write_budget_reports
from chainprobe.run_budget import compute_budget
from chainprobe.spec.duration import parse_duration
from chainprobe.spec.variables import endpoint_variables
from chainprobe.target import resolve_target


def run_budget_command(args: argparse.Namespace) -> int:
    if args.html and args.report_dir is None:
        say("--html writes budget.html into --report-dir: give one")
        return ExitCode.USAGE
    try:
        inputs = load_inputs(args.spec, windows_path=args.windows, variables=endpoint_variables())
    except (AlarmsError, BudgetError) as error:
        say(str(error))
        return ExitCode.USAGE
    window = args.window if args.window is not None else inputs.windows.slo_period
    target = resolve_target(say=say, start_local=False)
    at = time.time() if args.at is None else args.at.timestamp()
    view = compute_budget(
        inputs,
        window=window,
        end=evaluation_end(at),
        get_metric_data=target.clients.client("cloudwatch").get_metric_data,
        now=time.time(),
        target_name=target.name,
    )
    sys.stdout.write("\n".join(terminal_lines(view)) + "\n")
    if args.report_dir is not None:
        html = render_budget_html(view) if args.html else None
        for path in write_budget_reports(view, args.report_dir, html=html):
            say(f"wrote {path}")
    return ExitCode.SLO_BREACHED if view.exhausted or view.paging else ExitCode.OK


def window_argument(text: str) -> timedelta:
    """A positive whole number of minutes: ``30d``, ``7d``, ``6h``, ``90m``."""
    try:
        window = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    if window.total_seconds() % 60:
        raise argparse.ArgumentTypeError(
            f"expected whole minutes (the alarms evaluate each minute), got {text!r}"
        )
    return window


def at_argument(text: str) -> datetime:
    """ISO 8601 (``2026-12-05T07:00:00Z``; no zone is UTC) or epoch seconds."""
    try:
        moment = datetime.fromtimestamp(float(text), UTC) if text.replace(".", "", 1).isdigit() else None
        moment = moment or datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2026-12-05T07:00:00Z, got {text!r}"
        ) from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def register(commands: Any) -> None:
    budget = commands.add_parser(
        "budget",
        help="error budget, burn rates and the replayed burn-rate alerts over a window, from CloudWatch",
        description="For the spec's metric-math SLI and its published black-box results (the SLIs "
        "'chainprobe alarms' alarms on, with the same tiers): the error budget over the window, the burn "
        "rate over each tier's windows now, and the alerts the tiers would have fired. Exit 0 budget left "
        "and no page firing, 1 budget exhausted or a page firing now, 2 bad usage, 3 unreachable.",
    )
    budget.add_argument("--spec", required=True, help="probe spec (YAML), e.g. probes/orders.yaml")
    budget.add_argument(
        "--window",
        type=window_argument,
        help="the window to account for (default: the spec's slo.window, e.g. 30d)",
    )
    budget.add_argument("--at", type=at_argument, help="the end of the window (default: now); ISO 8601, UTC")
    budget.add_argument(
        "--report-dir", type=Path, help="write budget.json and budget.md (and budget.html) here"
    )
    budget.add_argument("--html", action="store_true", help="also write budget.html (with --report-dir)")
    budget.add_argument(
        "--windows",
        type=Path,
        metavar="FILE",
        help="burn-rate windows file (default: the one for the spec's slo.window)",
    )
    budget.set_defaults(handler=run_budget_command)
