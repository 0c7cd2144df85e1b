"""``chainprobe alarms``: the spec's burn-rate alarms and dashboard as a CloudFormation template."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.stack_commands import say, write_output
from chainprobe.measure.budget import BudgetError
from chainprobe.report.alarms import AlarmsError, generate_alarms
from chainprobe.report.alarms.model import topic_parameter
from chainprobe.spec.variables import endpoint_variables


def run_alarms_command(args: argparse.Namespace) -> int:
    try:
        generated = generate_alarms(args.spec, windows_path=args.windows, variables=endpoint_variables())
    except (AlarmsError, BudgetError) as error:
        say(str(error))
        return ExitCode.USAGE
    if not write_output(generated.template, args.out):
        return ExitCode.USAGE
    for note in generated.notes:
        say(f"note: {note}")
    plan = generated.plan
    counts = (
        f"{len(plan.window_alarms())} window alarms, {len(plan.burn_rate_alarms)} composite alarms "
        f"({', '.join(severity.value for severity in plan.severities())}), "
        f"a dashboard of {len(plan.dashboard.widgets)} widgets"
    )
    if args.out is None:
        say(counts)
        return ExitCode.OK
    parameters = " ".join(f"{topic_parameter(severity)}=<sns topic arn>" for severity in plan.severities())
    say(f"{counts} in {args.out}")
    say(
        f"deploy: aws cloudformation deploy --template-file {args.out} "
        f"--stack-name {plan.default_prefix}-alarms --parameter-overrides {parameters}"
    )
    return ExitCode.OK


def register(commands: Any) -> None:
    alarms = commands.add_parser(
        "alarms",
        help="generate the spec's multi-window burn-rate alarms and dashboard (CloudFormation YAML)",
        description="From the spec's SLO, its metric-math SLI and its cloudwatch_publish section: per "
        "burn-rate tier, two metric-math alarms (long and short window) and a composite alarm ANDing them, "
        "plus a dashboard. Refuses (exit 2) what CloudWatch could not take.",
    )
    alarms.add_argument("--spec", required=True, help="probe spec (YAML), e.g. probes/orders.yaml")
    alarms.add_argument("--out", type=Path, help="write the template here (default: standard output)")
    alarms.add_argument(
        "--windows",
        type=Path,
        metavar="FILE",
        help="burn-rate windows file (default: the one shipped for the spec's slo.window, e.g. 30d)",
    )
    alarms.set_defaults(handler=run_alarms_command)
