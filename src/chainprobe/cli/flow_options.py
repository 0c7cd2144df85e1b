"""``--flow-control on|off`` and ``--flow-scenario FILE`` of ``chainprobe canary`` and ``chainprobe load``:
the courier scenario's flow control set on the deployed chain before the first order, and its lines
(delivery SLO, the courier's rate against its limit, 429s, retries, DLQ) after the run's summary."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chainprobe.cli.stack_commands import say
from chainprobe.pipeline import RunOutcome
from chainprobe.run_flow_control import FlowRun, flow_control
from chainprobe.spec import load_spec
from chainprobe.spec.flow_control import DEFAULT_FLOW_SCENARIO, FLOW_CONTROL_CHOICES
from chainprobe.spec.secrets import redact

__all__ = ["add_flow_control_options", "conclude_flow", "flow_for"]

_WIDTH = 14  # the flow lines' label column


def add_flow_control_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--flow-control",
        choices=FLOW_CONTROL_CHOICES,
        help="set the delivery queue's flow control (the scenario's batch size and maximum concurrency) "
        "and load its courier profile before the first order; report the courier's side after the run",
    )
    parser.add_argument(
        "--flow-scenario",
        type=Path,
        default=DEFAULT_FLOW_SCENARIO,
        metavar="FILE",
        help=f"the flow-control scenario (default {DEFAULT_FLOW_SCENARIO})",
    )


@contextmanager
def flow_for(args: argparse.Namespace) -> Iterator[FlowRun | None]:
    """The flow control asked for, set while inside; ``None`` when ``--flow-control`` was not given."""
    if args.flow_control is None:
        yield None
        return
    with flow_control(choice=args.flow_control, scenario_path=args.flow_scenario, say=say) as flow:
        yield flow


def conclude_flow(flow: FlowRun | None, outcome: RunOutcome, spec_path: Path) -> list[str]:
    """The flow lines of a concluded run (written beside its reports), to print after its summary."""
    if flow is None:
        return []
    files = outcome.files
    report_dir, html = (files.json.parent, files.html) if files is not None else (None, None)
    lines = flow.conclude(outcome.report, spec=load_spec(spec_path), report_dir=report_dir, html=html)
    return [redact(f"  {label:<{_WIDTH}}{text}") for label, text in lines]
