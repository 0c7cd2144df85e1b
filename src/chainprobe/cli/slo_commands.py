"""``chainprobe slo``: the spec's SLOs in an SLO tool's format (OpenSLO, Sloth, Application Signals)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.stack_commands import say, write_output
from chainprobe.measure.budget import BudgetError
from chainprobe.report.slo_export import FORMATS, SloExportError, export_slos
from chainprobe.spec.variables import endpoint_variables


def run_slo_command(args: argparse.Namespace) -> int:
    only = tuple(key.strip() for key in args.slo.split(",") if key.strip()) if args.slo else ()
    try:
        exported = export_slos(
            args.spec, args.format, only=only, windows_path=args.windows, variables=endpoint_variables()
        )
    except (SloExportError, BudgetError) as error:
        say(str(error))
        return ExitCode.USAGE
    if not write_output(exported.text, args.out):
        return ExitCode.USAGE
    if args.out is not None:
        say(f"{args.format}: {', '.join(exported.slos)} in {args.out}")
    return ExitCode.OK


def register(commands: Any) -> None:
    slo = commands.add_parser(
        "slo",
        help="export the spec's SLOs for an SLO tool (OpenSLO, Sloth, CloudWatch Application Signals)",
        description="Writes the spec's SLOs (availability, latency, delivery; objective, window, the "
        "CloudWatch metrics of each SLI) in the chosen format. An SLO the format cannot express is "
        "refused in one line (exit 2) and nothing is written; --slo leaves the others out.",
    )
    slo.add_argument("--spec", required=True, help="probe spec (YAML), e.g. probes/orders.yaml")
    slo.add_argument("--format", required=True, choices=sorted(FORMATS), help="the SLO tool's format")
    slo.add_argument("--out", type=Path, help="write here (default: standard output)")
    slo.add_argument(
        "--slo",
        metavar="NAMES",
        help="comma-separated SLOs to export (availability, latency, delivery; default: all the spec has)",
    )
    slo.add_argument(
        "--windows",
        type=Path,
        metavar="FILE",
        help="burn-rate windows file (default: the one shipped for the spec's slo.window, e.g. 30d)",
    )
    slo.set_defaults(handler=run_slo_command)
