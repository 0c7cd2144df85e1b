"""``chainprobe canary | verify | report | cleanup``: runs against a target, and what they leave."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.stack_commands import say
from chainprobe.drive.canary import FaultPlan
from chainprobe.pipeline import RunOutcome, finish_run, report_run, run_canary
from chainprobe.report import render_terminal, write_html
from chainprobe.run_lifecycle import StopCause
from chainprobe.target import resolve_target
from chainprobe.verify.capture import remove_capture_resources


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


# What stopped a run, as the exit code says it (``chainprobe.run_lifecycle``).
STOP_EXIT = {
    StopCause.INTERRUPTED: ExitCode.INTERRUPTED,
    StopCause.LEDGER: ExitCode.USAGE,
    StopCause.CONFIG: ExitCode.USAGE,
    StopCause.INFRASTRUCTURE: ExitCode.UNREACHABLE,
    StopCause.BUG: ExitCode.INTERNAL,
}


def exit_code(outcome: RunOutcome) -> ExitCode:
    """What stopped the run, if anything did; else 1 on a breached SLO (an incomplete run's included),
    else 3 when asked-for metrics were not published, else 0."""
    if outcome.stop is not None:
        return STOP_EXIT[outcome.stop.cause]
    if not outcome.report.gate.met:
        return ExitCode.SLO_BREACHED
    return ExitCode.UNREACHABLE if outcome.publish_error is not None else ExitCode.OK


def finish(outcome: RunOutcome) -> int:
    """Prints the summary (and, for a stopped run, one line saying why and how to finish it)."""
    print(render_terminal(outcome.report), end="", flush=True)
    if outcome.files is not None:
        say(f"reports in {outcome.files.json.parent}")
    if outcome.published is not None:
        say(f"published {outcome.published.describe()}")
    if outcome.publish_error is not None:
        say(f"publishing metrics to CloudWatch failed: {outcome.publish_error}")
    if outcome.stop is not None:
        say(stopped_line(outcome))
    return exit_code(outcome)


def stopped_line(outcome: RunOutcome) -> str:
    """``run r-… incomplete: interrupted (SIGINT); 7 orders sent: 5 good, 0 bad, 2 pending; …``."""
    report, stop = outcome.report, outcome.stop
    assert stop is not None
    chain = report.sli.chain
    counts = f"{report.sli.sent} orders sent: {chain.good} good, {chain.bad} bad, {chain.pending} pending"
    if report.complete:
        return f"run {report.run.run_id} stopped ({stop.reason}) after it completed; {counts}"
    return (
        f"run {report.run.run_id} incomplete: {stop.reason}; {counts}; "
        f"finish it with 'chainprobe verify --run {report.run.run_id}'"
    )


def html_without_report_dir(args: argparse.Namespace) -> bool:
    """``--html`` writes ``report.html`` into ``--report-dir``: says so and is true when that is missing."""
    if args.html and args.report_dir is None:
        say("--html writes report.html into --report-dir: give --report-dir DIR too")
        return True
    return False


def run_canary_command(args: argparse.Namespace) -> int:
    if html_without_report_dir(args):
        return ExitCode.USAGE
    outcome = run_canary(
        spec_path=Path(args.spec),
        count=args.count,
        rate=args.rate,
        report_dir=args.report_dir,
        say=say,
        fault_plan=FaultPlan(faults=tuple(args.fault), every=args.fault_every),
        publish_metrics=args.publish_metrics,
        metric_math=args.metric_math,
        metric_math_wait=args.metric_math_wait,
        html=args.html,
    )
    return finish(outcome)


def run_verify_command(args: argparse.Namespace) -> int:
    if html_without_report_dir(args):
        return ExitCode.USAGE
    outcome = finish_run(
        run_id=args.run,
        report_dir=args.report_dir,
        say=say,
        publish_metrics=args.publish_metrics,
        html=args.html,
        metric_math=args.metric_math,
        metric_math_wait=args.metric_math_wait,
    )
    return finish(outcome)


def run_report_command(args: argparse.Namespace) -> int:
    outcome = report_run(run_id=args.run, report_dir=args.report_dir)
    if args.html is not None:
        try:
            write_html(outcome.report, args.html)
        except OSError as error:
            say(f"cannot write {args.html}: {error.strerror or error}")
            return ExitCode.USAGE
    code = finish(outcome)
    if args.html is not None:
        say(f"HTML report in {args.html}")
    return code


def run_cleanup_command(args: argparse.Namespace) -> int:
    target = resolve_target(say=say, start_local=False)
    removed = remove_capture_resources(target.clients)
    for rule in removed.rules:
        print(f"removed rule  {rule}")
    for queue in removed.queues:
        print(f"removed queue {queue}")
    say(f"{len(removed.rules)} capture rules and {len(removed.queues)} capture queues removed")
    return ExitCode.OK


def add_publish_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--publish-metrics",
        action="store_true",
        help="publish the run's results as CloudWatch custom metrics (the spec's cloudwatch_publish)",
    )


def add_metric_math_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-metric-math",
        dest="metric_math",
        action="store_false",
        help="do not read the spec's metric-math SLI from CloudWatch (nor wait for late metrics)",
    )
    parser.add_argument(
        "--metric-math-wait",
        type=positive_float,
        metavar="SECONDS",
        help="wait at most this long for late metrics "
        "(default: $CHAINPROBE_METRIC_MATH_WAIT, else 90 locally, 300 on AWS)",
    )


def add_html_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--html",
        action="store_true",
        help="also write report.html (charts, one self-contained file) into --report-dir",
    )


def register(commands: Any) -> None:
    canary = commands.add_parser("canary", help="send N tagged orders, verify every stage, gate on the SLO")
    canary.add_argument("--spec", required=True, help="probe spec (YAML), e.g. probes/orders.yaml")
    canary.add_argument("--count", type=positive_int, default=20, help="orders to send (default 20)")
    canary.add_argument("--rate", type=positive_float, default=2.0, help="orders per second (default 2)")
    canary.add_argument("--report-dir", type=Path, help="write report.json, junit.xml, summary.md here")
    add_html_flag(canary)
    canary.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="mark orders so the chain fires this fault (repeatable; needs send.fault_marker_path)",
    )
    canary.add_argument(
        "--fault-every", type=positive_int, default=1, metavar="K", help="mark orders 0, K, 2K, … (default 1)"
    )
    add_publish_option(canary)
    add_metric_math_options(canary)
    canary.set_defaults(handler=run_canary_command)

    verify = commands.add_parser(
        "verify", help="finish verifying a run that was stopped, killed or interrupted"
    )
    verify.add_argument("--run", required=True, help="run id (from the canary's output or report)")
    verify.add_argument("--report-dir", type=Path)
    add_html_flag(verify)
    add_publish_option(verify)
    add_metric_math_options(verify)
    verify.set_defaults(handler=run_verify_command)

    report = commands.add_parser("report", help="print (and write) the report of a recorded run")
    report.add_argument("--run", required=True)
    report.add_argument("--report-dir", type=Path)
    report.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the HTML report (charts, one file) to FILE"
    )
    report.set_defaults(handler=run_report_command)

    cleanup = commands.add_parser("cleanup", help="remove every capture rule and queue chainprobe created")
    cleanup.set_defaults(handler=run_cleanup_command)
