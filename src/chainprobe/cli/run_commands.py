"""``chainprobe canary | verify | report | cleanup``: runs against a target, and what they leave."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.flow_options import add_flow_control_options, conclude_flow, flow_for
from chainprobe.cli.stack_commands import say
from chainprobe.drive.canary import FaultPlan
from chainprobe.pipeline import RunOutcome, finish_run, report_run, run_canary
from chainprobe.report import render_terminal, write_html
from chainprobe.report.writer import ReportDirError, check_report_dir
from chainprobe.run_lifecycle import StopCause
from chainprobe.spec import load_spec
from chainprobe.spec.secrets import redact
from chainprobe.spec.template import render
from chainprobe.stacks.local.fault_names import name_problem
from chainprobe.target import Target, resolve_target
from chainprobe.verify.capture import resource_name
from chainprobe.verify.capture_cleanup import (
    CaptureScope,
    NoSuchBusError,
    find_capture_resources,
    remove_capture_resources,
)

MAX_COUNT = 1_000_000  # a canary's orders; a larger run is a load test (chainprobe load)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def order_count(text: str) -> int:
    """A whole number of orders from 1 to ``MAX_COUNT``."""
    value = positive_int(text)
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"at most {MAX_COUNT:,} orders per canary, got {value:,}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (``nan`` and ``inf`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def report_dir(text: str) -> Path:
    """A directory reports can be written to (created when missing), checked before anything runs."""
    try:
        return check_report_dir(text)
    except ReportDirError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--report-dir ")) from None


def fault_name(text: str) -> str:
    """A fault name of the fault contract (``chainprobe fault list``)."""
    problem = name_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


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
    print(redact(render_terminal(outcome.report)), end="", flush=True)
    if outcome.files is not None:
        say(f"reports in {outcome.files.json.parent}")
    if outcome.published is not None:
        say(f"published {outcome.published.describe()}")
    if outcome.publish_error is not None:
        say(f"publishing metrics to CloudWatch failed: {outcome.publish_error}")
    if outcome.publish_note is not None:
        say(outcome.publish_note)
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
    with flow_for(args) as flow:
        outcome = run_canary(
            spec_path=Path(args.spec),
            count=args.count,
            rate=args.rate,
            report_dir=args.report_dir,
            say=say,
            target=flow.target if flow is not None else None,
            fault_plan=FaultPlan(faults=tuple(args.fault), every=args.fault_every),
            publish_metrics=args.publish_metrics,
            metric_math=args.metric_math,
            metric_math_wait=args.metric_math_wait,
            html=args.html,
        )
        flow_lines = conclude_flow(flow, outcome, Path(args.spec))
    code = finish(outcome)
    if flow_lines:
        print("\n".join(flow_lines), flush=True)
    if outcome.stop is not None:  # what stopped the run says why it ended, before anything it found
        return code
    return faults_never_fired(outcome) or code


def faults_never_fired(outcome: RunOutcome) -> int | None:
    """Exit 2 with one line when the run asked for faults and the chain fired none of them: its markers
    were put where the chain does not read them, and an SLO "met" would say nothing."""
    faults = outcome.report.faults
    problem = faults.never_fired() if faults is not None else None
    if problem is None:
        return None
    say(problem)
    return int(ExitCode.USAGE)


def run_verify_command(args: argparse.Namespace) -> int:
    if html_without_report_dir(args):
        return ExitCode.USAGE
    outcome = finish_run(
        run_id=args.run,
        report_dir=args.report_dir,
        say=say,
        publish_metrics=args.publish_metrics,
        republish=args.republish,
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


def cleanup_scope(args: argparse.Namespace, target: Target) -> CaptureScope | None:
    """``--bus B``: B's capture resources; ``--spec FILE``: the one rule and queue of the spec's bus and
    capture pattern (None when the spec captures no event); neither: every one the harness created."""
    if args.bus is not None:
        return CaptureScope(bus=args.bus)
    if args.spec is None:
        return CaptureScope()
    spec = load_spec(Path(args.spec))
    if spec.event is None:
        return None
    bus = render(spec.event.bus, target.endpoints, field="event.bus")
    return CaptureScope(bus=bus, name=resource_name(bus, spec.event.capture_pattern()))


def run_cleanup_command(args: argparse.Namespace) -> int:
    target = resolve_target(say=say, start_local=False)
    scope = cleanup_scope(args, target)
    if scope is None:
        say(f"{args.spec} captures no event (no event section): no capture resources to remove")
        return ExitCode.OK
    try:
        found = find_capture_resources(target.clients, scope)
    except NoSuchBusError as e:
        say(str(e))
        return ExitCode.USAGE
    if not found.rules and not found.queue_urls:
        say(f"no capture resources to remove ({scope.describe()})")
        return ExitCode.OK
    for rule in found.rules:
        print(f"will remove rule  {rule}")
    for queue in found.queues:
        print(f"will remove queue {queue}")
    removed = remove_capture_resources(target.clients, found)
    for name in removed.rules:
        print(f"removed rule  {name}")
    for name in removed.queues:
        print(f"removed queue {name}")
    say(
        f"{len(removed.rules)} capture rules and {len(removed.queues)} capture queues removed "
        f"({scope.describe()})"
    )
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
    canary.add_argument(
        "--count", type=order_count, default=20, help=f"orders to send (default 20, at most {MAX_COUNT:,})"
    )
    canary.add_argument("--rate", type=positive_float, default=2.0, help="orders per second (default 2)")
    canary.add_argument("--report-dir", type=report_dir, help="write report.json, junit.xml, summary.md here")
    add_html_flag(canary)
    canary.add_argument(
        "--fault",
        type=fault_name,
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
    add_flow_control_options(canary)
    canary.set_defaults(handler=run_canary_command)

    verify = commands.add_parser(
        "verify", help="finish verifying a run that was stopped, killed or interrupted"
    )
    verify.add_argument("--run", required=True, help="run id (from the canary's output or report)")
    verify.add_argument("--report-dir", type=report_dir)
    add_html_flag(verify)
    add_publish_option(verify)
    verify.add_argument(
        "--republish",
        action="store_true",
        help="with --publish-metrics, publish a run that was already published: CloudWatch then sums "
        "it twice (double counts its orders in dashboards, alarms and the budget)",
    )
    add_metric_math_options(verify)
    verify.set_defaults(handler=run_verify_command)

    report = commands.add_parser("report", help="print (and write) the report of a recorded run")
    report.add_argument("--run", required=True)
    report.add_argument("--report-dir", type=report_dir)
    report.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the HTML report (charts, one file) to FILE"
    )
    report.set_defaults(handler=run_report_command)

    cleanup = commands.add_parser(
        "cleanup", help="remove the capture rules and queues chainprobe created (all, or one bus's or spec's)"
    )
    scope = cleanup.add_mutually_exclusive_group()
    scope.add_argument("--bus", help="only the capture resources of this event bus (name or ARN)")
    scope.add_argument("--spec", help="only the capture rule and queue of this probe spec's bus and pattern")
    cleanup.set_defaults(handler=run_cleanup_command)
