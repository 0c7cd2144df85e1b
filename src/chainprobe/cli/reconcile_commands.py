"""``chainprobe reconcile --run ID [--suggest]``: a recorded run's metric math against its black box,
class by class, and with ``--suggest`` the ``Metrics:`` block that would close the gap."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.stack_commands import say
from chainprobe.measure.reconcile import RunReconciliation
from chainprobe.report.metric_math import reconciliation_lines, summaries
from chainprobe.run_suggestion import (
    NothingToReconcileError,
    ReconciledRun,
    load_recorded_run,
    reconcile_recorded_run,
)
from chainprobe.target import resolve_target


def run_reconcile_command(args: argparse.Namespace) -> int:
    try:
        recorded = load_recorded_run(args.run)
        target = resolve_target(say=say, start_local=False)
        wait_s = args.wait
        if wait_s is None:
            wait_s = 90.0 if target.name == "local" else 300.0
        reconciled = reconcile_recorded_run(
            recorded, target=target, suggest_change=args.suggest, wait_s=wait_s
        )
    except NothingToReconcileError as error:
        say(str(error))
        return ExitCode.USAGE
    sys.stdout.write("\n".join(lines(reconciled)) + "\n")
    return ExitCode.OK


def lines(reconciled: ReconciledRun) -> list[str]:
    """What the command prints: the figures, the classes, then the suggestion and its block."""
    metric_math, reconciliation = summaries(
        RunReconciliation(reading=reconciled.reading, reconciliation=reconciled.reconciliation)
    )
    black_box, own = reconciled.sli.chain.availability, reconciled.reading.availability
    out = [
        f"run {reconciled.run_id}: black box {_pct(black_box)}, metric math {_pct(own)}"
        f" (gap {_pp(reconciled.reconciliation.gap)})",
        *reconciliation_lines(metric_math, reconciliation),
    ]
    suggestion, suggested = reconciled.suggestion, reconciled.suggested
    if suggestion is None or suggested is None:
        return out
    if suggestion.unchanged_because is not None:
        return [*out, f"no suggestion: {suggestion.unchanged_because}"]
    for change in suggestion.changes:
        out.append(f"{change.failure.value}: {change.change}")
        out.append(f"  still misses: {change.still_misses}")
    gap = None if black_box is None or suggested.availability is None else black_box - suggested.availability
    out.append(
        f"suggested expression on the same window: {_pct(suggested.availability)} (gap {_pp(gap)}), "
        f"the spec's own {_pct(reconciled.reading.availability)}"
    )
    out.extend(f"  note: {note}" for note in suggested.notes)
    block = yaml.safe_dump({"metric_math": suggestion.block()}, sort_keys=False, width=110)
    return [*out, "", *block.rstrip("\n").splitlines()]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"


def _pp(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100, 6) + 0.0:+.2f} pp"  # never -0.00


def register(commands: Any) -> None:
    reconcile = commands.add_parser(
        "reconcile",
        help="a recorded run's metric math against its black box, class by class (--suggest: the fix)",
        description="Reads the run's metric-math window from CloudWatch again and reconciles it with the "
        "ledger's verdicts. --suggest: for each failure class the metric math misses or counts twice, a "
        "change to the spec's metric_math, printed as a ready Metrics block and evaluated on the same "
        "window, with what it would still miss.",
    )
    reconcile.add_argument("--run", required=True, help="run id (see the ledger, or a report's run_id)")
    reconcile.add_argument(
        "--suggest", action="store_true", help="suggest the metric_math that closes the gap"
    )
    reconcile.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="how long to wait for the run's requests to be counted (default 90 locally, 300 elsewhere)",
    )
    reconcile.set_defaults(handler=run_reconcile_command)
