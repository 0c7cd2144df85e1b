"""``chainprobe load``: a named load shape through Locust, verified and gated like the canary; and
``chainprobe worker``: a Locust worker for a master on another host (``load --expect-workers N``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.flow_options import add_flow_control_options, conclude_flow, flow_for
from chainprobe.cli.run_commands import (
    add_publish_option,
    exit_code,
    positive_float,
    report_dir,
    stopped_line,
)
from chainprobe.cli.stack_commands import say
from chainprobe.drive.load.exceptions import ShapeError
from chainprobe.drive.load.master_probe import DEFAULT_MASTER_WAIT_S, probe_master
from chainprobe.drive.load.processes import RUNNER_MODULE
from chainprobe.drive.load.shapes import LoadShape
from chainprobe.drive.load.stages import parse_stages
from chainprobe.load_pipeline import DEFAULT_SPEC, LoadOutcome, run_load
from chainprobe.report import render_terminal
from chainprobe.spec.secrets import redact

_WIDTH = 12  # the terminal summary's label column
DEFAULT_MASTER_PORT = 5557  # Locust's


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text}")
    return value


def stages_argument(text: str) -> LoadShape:
    """``--stages`` read strictly, before anything else happens (a bad text: one line, exit 2)."""
    try:
        return parse_stages(text)
    except ShapeError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--stages: ")) from None


def finish_load(outcome: LoadOutcome) -> int:
    """Prints the run's summary and the load's lines; the stop's exit code when the run was stopped
    (Locust processes that did not end normally: 3); exit 1 on a breached SLO, else 3 when asked-for
    metrics were not published, else 0."""
    run = outcome.run
    lines = [f"  {label:<{_WIDTH}}{text}" for label, text in outcome.summary.lines()]
    print(redact(render_terminal(run.report) + "\n".join(lines)), flush=True)
    if run.files is not None:
        say(f"reports in {run.files.json.parent}")
    if run.published is not None:
        say(f"published {run.published.describe()}")
    if run.publish_error is not None:
        say(f"publishing metrics to CloudWatch failed: {run.publish_error}")
    if run.publish_note is not None:
        say(run.publish_note)
    if outcome.driver_failed is not None:
        say(outcome.driver_failed)
    if run.stop is not None:
        say(stopped_line(run))
        return exit_code(run)
    if not run.report.complete and run.report.run.end_reason is not None:
        say(f"run {run.report.run.run_id} incomplete: {run.report.run.end_reason}")
    if outcome.memory_exceeded:
        say(f"run {run.report.run.run_id}: the harness's memory grew beyond the shape's bound")
    if not run.report.gate.met or outcome.memory_exceeded:
        return ExitCode.SLO_BREACHED
    if outcome.driver_failed is not None or run.publish_error is not None:
        return ExitCode.UNREACHABLE
    return ExitCode.OK


def run_load_command(args: argparse.Namespace) -> int:
    with flow_for(args) as flow:
        outcome = load_outcome(args)
        flow_lines = conclude_flow(flow, outcome.run, Path(args.spec))
    code = finish_load(outcome)
    if flow_lines:
        print("\n".join(flow_lines), flush=True)
    return code


def load_outcome(args: argparse.Namespace) -> LoadOutcome:
    return run_load(
        spec_path=Path(args.spec),
        shape_name=args.shape,
        shape=args.stages,
        shapes_path=args.shapes,
        time_scale=args.time_scale,
        workers=args.workers,
        report_dir=args.report_dir,
        max_seconds=args.max_seconds,
        allow_remote=args.allow_remote,
        say=say,
        publish_metrics=args.publish_metrics,
        metric_math=args.metric_math,
        metric_math_wait=args.metric_math_wait,
        expect_workers=args.expect_workers,
        master_bind_host=args.master_bind_host,
        master_bind_port=args.master_bind_port,
    )


def master_address(text: str) -> tuple[str, int]:
    """``HOST[:PORT]`` (Locust's default port 5557 when none is given)."""
    host, _, port = text.rpartition(":") if ":" in text else (text, "", str(DEFAULT_MASTER_PORT))
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST[:PORT], got {text!r}")
    return host, int(port)


def port_number(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {text!r}")
    return int(text)


def run_worker_command(args: argparse.Namespace) -> int:
    """Replaces this process with a Locust worker (which monkey-patches with gevent: never in this one),
    once the master greets as a ZeroMQ peer; exit 3 (one line) when it did not within ``--master-wait``."""
    host, port = args.master
    if args.spec is not None and not Path(args.spec).is_file():
        say(f"no spec file {args.spec}")
        return ExitCode.USAGE
    unreachable = probe_master(host, port, wait_s=args.master_wait)
    if unreachable is not None:
        say(unreachable.line())
        return ExitCode.UNREACHABLE
    command = [
        sys.executable,
        "-m",
        RUNNER_MODULE,
        "worker",
        "--master-host",
        host,
        "--master-port",
        str(port),
    ]
    if args.spec is not None:
        command += ["--spec", str(Path(args.spec).resolve())]
    sys.stdout.flush()
    os.execv(sys.executable, command)


def register(commands: Any) -> None:
    load = commands.add_parser(
        "load",
        help="run a named load shape with Locust (headless), verify every order, gate on the SLO",
        description="Locust sends the shape's tagged orders (an open model: arrivals follow the shape's "
        "rate whatever the chain answers), each recorded in the ledger before it is sent; the verifier "
        "judges them as they go; the report and exit codes are the canary's.",
    )
    load.add_argument("--spec", default=str(DEFAULT_SPEC), help=f"probe spec (default {DEFAULT_SPEC})")
    shape = load.add_mutually_exclusive_group(required=True)
    shape.add_argument(
        "--shape",
        help="load shape: ramp-hold, arrival-ramp, step, spike, soak, or one from --shapes",
    )
    shape.add_argument(
        "--stages",
        type=stages_argument,
        metavar="TEXT",
        help="a shape written here: DURATION:RATE/s or DURATION:FROM-TO/s segments, comma-separated "
        '(e.g. "60s:5/s,120s:5-15/s,300s:15/s")',
    )
    load.add_argument(
        "--shapes",
        type=Path,
        metavar="FILE",
        help="a file adding or replacing shapes (or $CHAINPROBE_SHAPES)",
    )
    load.add_argument(
        "--time-scale",
        type=positive_float,
        default=1.0,
        metavar="X",
        help="multiply the shape's durations by X, keeping its rates (0.1: ramp-hold in 78 s)",
    )
    load.add_argument(
        "--workers",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="a Locust master and N worker processes on 127.0.0.1 (default 0: one local process)",
    )
    load.add_argument(
        "--report-dir", type=report_dir, help="write report.json, junit.xml, summary.md and load.json here"
    )
    load.add_argument(
        "--max-seconds",
        type=positive_float,
        metavar="S",
        help="hard cap on the Locust run (default: the shape's duration plus a minute)",
    )
    load.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a target that is not on this machine's loopback (a deliberate staging run)",
    )
    add_publish_option(load)
    load.add_argument(
        "--no-metric-math",
        dest="metric_math",
        action="store_false",
        help="do not read the spec's metric-math SLI from CloudWatch (nor wait for late metrics)",
    )
    load.add_argument(
        "--metric-math-wait",
        type=positive_float,
        metavar="SECONDS",
        help="wait at most this long for late metrics "
        "(default: $CHAINPROBE_METRIC_MATH_WAIT, else 90 locally, 300 on AWS)",
    )
    load.add_argument(
        "--expect-workers",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="a Locust master waiting for N workers started elsewhere with `chainprobe worker` "
        "(orders and outcomes reach this host's ledger through Locust's messages; no shared file)",
    )
    load.add_argument(
        "--master-bind-host",
        default="127.0.0.1",
        metavar="H",
        help="the address the master listens on for --expect-workers (default 127.0.0.1)",
    )
    load.add_argument(
        "--master-bind-port",
        type=port_number,
        default=0,
        metavar="P",
        help="the master's port for --expect-workers (default: a free one, printed at the start)",
    )
    add_flow_control_options(load)
    load.set_defaults(handler=run_load_command)

    worker = commands.add_parser(
        "worker",
        help="a Locust worker for a `chainprobe load --expect-workers N` master on another host",
        description="Connects to the master, learns the run from it (shape, endpoints, the spec's text) "
        "and sends its share of the orders, reporting each to the master before and after it is sent. "
        "It writes no file. CHAINPROBE_* endpoint values (an API key) come from this host's environment.",
    )
    worker.add_argument("--master", type=master_address, required=True, metavar="HOST[:PORT]")
    worker.add_argument("--spec", default=None, metavar="FILE", help="this host's copy of the spec")
    worker.add_argument(
        "--master-wait",
        type=positive_float,
        default=DEFAULT_MASTER_WAIT_S,
        metavar="SECONDS",
        help="wait at most this long for the master to answer (a worker may start before it), "
        f"else exit 3 (default {DEFAULT_MASTER_WAIT_S:g})",
    )
    worker.set_defaults(handler=run_worker_command)
