"""The composition root of ``locust -f loadtests/locustfile.py``: chainprobe's run under Locust's own CLI.

``install(events)`` (the locustfile calls it) adds chainprobe's options to Locust's command line and,
at ``init``, wires each process:

- a local runner or master checks everything once, before any load: the spec
  (``--chainprobe-spec``, default ``probes/orders.yaml``), the shape (``--chainprobe-shape``, default
  ``ramp-hold``; ``--chainprobe-shapes FILE``, ``--chainprobe-time-scale X``), the target from
  ``chainprobe status`` or the ``CHAINPROBE_*`` environment (never started here), the loopback guard
  (``--chainprobe-allow-remote``) and the preflight. A problem is one line on stderr and exit 2 (usage,
  configuration) or 3 (the target cannot be reached);
- at each ``test_start`` it creates a run in the ledger (``CHAINPROBE_LEDGER``), with the capture rule
  ready, and hands it to ``chainprobe.drive.load.runner.attach``, which tells the workers;
- at ``test_stop`` it verifies the run in a greenlet (unless ``--chainprobe-no-verify``: then
  ``chainprobe verify --run ID`` does it later), concludes it as ``chainprobe load`` does, prints the
  summary and writes the reports to ``--chainprobe-report-dir``; at ``quitting`` it waits for that and
  sets Locust's exit code to the SLO gate's (0 met, 1 breached);
- a worker only attaches: it learns the run from the master.

Locust's ``stop_timeout`` is raised to the spec's API deadline (plus a grace) so that orders in flight
when the test stops are answered and recorded.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import gevent
from locust.env import Environment
from locust.event import Events
from locust.runners import WorkerRunner

from chainprobe.drive.load.context import DriverResult, RunContext
from chainprobe.drive.load.exceptions import RemoteTargetError, ShapeError
from chainprobe.drive.load.locust_shape import ProfileShape
from chainprobe.drive.load.loopback import require_loopback
from chainprobe.drive.load.runner import attach, request_stats, stop_timeout_for
from chainprobe.drive.load.schedule import START_LEAD_S
from chainprobe.drive.load.session import session_for
from chainprobe.drive.load.shapes import load_shapes
from chainprobe.drive.load.summary import LoadSummary
from chainprobe.ledger.exceptions import LedgerError
from chainprobe.load_pipeline import DEFAULT_SPEC, write_load_report
from chainprobe.pipeline import conclude, metric_math_source, open_ledger, verifier_for
from chainprobe.report import render_terminal
from chainprobe.spec import load_spec
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.template import render
from chainprobe.stacks.exceptions import StackError
from chainprobe.target import TargetConfigError, preflight, resolve_target

__all__ = ["install"]

DEFAULT_SHAPE = "ramp-hold"


def install(events: Events) -> None:
    """Registers chainprobe's options and its ``init`` wiring on Locust's ``events``."""
    events.init_command_line_parser.add_listener(_add_options)
    events.init.add_listener(_on_init)


def _add_options(parser: Any, **_kwargs: Any) -> None:
    group = parser.add_argument_group("chainprobe", "the run's spec, shape and reports")
    group.add_argument("--chainprobe-spec", default=str(DEFAULT_SPEC), help="probe spec (YAML)")
    group.add_argument("--chainprobe-shape", default=DEFAULT_SHAPE, help="load shape name")
    group.add_argument("--chainprobe-shapes", default=None, help="a file adding or replacing shapes")
    group.add_argument("--chainprobe-time-scale", type=float, default=1.0, help="multiply durations by X")
    group.add_argument("--chainprobe-allow-remote", action="store_true", help="allow a non-loopback target")
    group.add_argument("--chainprobe-report-dir", default=None, help="write the run's reports here")
    group.add_argument(
        "--chainprobe-no-verify",
        action="store_true",
        help="do not verify at the end (chainprobe verify --run ID does it later)",
    )


def _on_init(environment: Environment, **_kwargs: Any) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Locust logs at INFO: not each journal query
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        attach(environment)
        return
    harness = Harness(environment)
    attach(environment, provide=harness.new_run)
    environment.events.test_start.add_listener(harness.on_test_start)
    environment.events.test_stop.add_listener(harness.on_test_stop)
    environment.events.quitting.add_listener(harness.on_quitting)


def _fail(message: str, code: int) -> NoReturn:
    print(f"chainprobe: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def _say(message: str) -> None:
    print(f"chainprobe: {message}", file=sys.stderr, flush=True)


class Harness:
    """One Locust process's runs: made at test start, verified and reported at test stop."""

    def __init__(self, environment: Environment) -> None:
        options = environment.parsed_options
        self.environment = environment
        self.spec_path = Path(getattr(options, "chainprobe_spec", str(DEFAULT_SPEC)))
        report_dir = getattr(options, "chainprobe_report_dir", None)
        self.report_dir = Path(report_dir) if report_dir else None
        self.verify = not getattr(options, "chainprobe_no_verify", False)
        self.exit_code: int | None = None
        self.verification: Any = None
        try:
            self.spec = load_spec(self.spec_path)
            shapes = getattr(options, "chainprobe_shapes", None)
            name = getattr(options, "chainprobe_shape", DEFAULT_SHAPE)
            scale = float(getattr(options, "chainprobe_time_scale", 1.0))
            self.shape = load_shapes(shapes).get(name).scaled(scale)
            self.target = resolve_target(say=_say, start_local=False)
            endpoint = render(self.spec.send.endpoint, self.target.endpoints, field="send.endpoint")
            require_loopback(endpoint, allow_remote=bool(getattr(options, "chainprobe_allow_remote", False)))
            preflight(self.spec, self.target)
        except (SpecError, ShapeError, RemoteTargetError, TargetConfigError) as error:
            _fail(str(error), 2)
        except StackError as error:
            _fail(str(error), 3)
        shape_class = environment.shape_class
        if isinstance(shape_class, ProfileShape) and shape_class.shape is None:
            shape_class.shape = self.shape
        environment.stop_timeout = max(environment.stop_timeout, stop_timeout_for(self.spec))
        self.run_id: str | None = None
        self.started: float | None = None
        self.processes = 1

    def new_run(self, environment: Environment) -> RunContext:
        """Creates the run (capture rule ready) at test start; the context ``attach`` starts."""
        try:
            with open_ledger() as ledger:
                verifier_for(self.spec, self.target, ledger).prepare()
                run = ledger.create_run(
                    spec_path=str(self.spec_path), spec_name=self.spec.name, target=self.target.name
                )
                ledger_path = str(ledger.path.resolve())
        except LedgerError as error:
            _fail(f"ledger: {error}", 2)
        self.run_id, self.started = run.run_id, time.time() + START_LEAD_S
        shape = self.shape
        _say(f"run {run.run_id}: shape {shape.name} x{shape.time_scale:g}, {shape.planned_orders} orders")
        return RunContext(
            run_id=run.run_id,
            spec_path=str(self.spec_path.resolve()),
            endpoints=dict(self.target.endpoints),
            ledger_path=ledger_path,
            shape=self.shape,
        )

    def on_test_start(self, environment: Environment, **_kwargs: Any) -> None:
        session = session_for(environment)  # attach's listener, before this one, started it
        if session is not None:
            self.started, self.processes = session.context.start, session.context.processes

    def on_test_stop(self, environment: Environment, **_kwargs: Any) -> None:
        if self.run_id is None:
            return
        run_id, started, processes = self.run_id, self.started or time.time(), self.processes
        self.run_id = None
        if not self.verify:
            _say(f"run {run_id} not verified here: chainprobe verify --run {run_id}")
            return
        self.verification = gevent.spawn(self._conclude, run_id, started, processes)

    def _conclude(self, run_id: str, started: float, processes: int) -> None:
        ends = started + self.shape.duration_s + 2.0  # no order of the run is planned after this
        source = metric_math_source(self.spec, self.target, enabled=True, wait_s=None, say=_say)
        with open_ledger() as ledger:
            verifier = verifier_for(self.spec, self.target, ledger)
            verifier.verify(run_id, sending=lambda: time.time() < ends)
            ledger.mark_run_sent(run_id)
            outcome = conclude(run_id, self.spec, verifier, ledger, self.report_dir, metric_math=source)
        result = DriverResult(stats=request_stats(self.environment), start=started, processes=processes)
        summary = LoadSummary.build(shape=self.shape, orders=outcome.report.orders, result=result)
        lines = [f"  {label:<12}{text}" for label, text in summary.lines()]
        print(render_terminal(outcome.report) + "\n".join(lines), flush=True)
        if self.report_dir is not None:
            write_load_report(summary, run_id, self.report_dir)
            _say(f"reports in {self.report_dir}")
        self.exit_code = 0 if outcome.report.gate.met else 1

    def on_quitting(self, environment: Environment, **_kwargs: Any) -> None:
        if self.verification is not None:
            self.verification.join()
        if self.exit_code is not None:
            environment.process_exit_code = self.exit_code
