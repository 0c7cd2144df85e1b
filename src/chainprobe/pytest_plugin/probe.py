"""The ``probe`` fixture's object: tagged orders and small canaries from a spec, judged by chainprobe.

Each call is one run of the canary pipeline (``chainprobe.pipeline.run_canary``): checked before the
first order leaves, every order written to the ledger before it is sent, verified stage by stage until
each verdict is final (the spec's deadlines), then concluded (probe items cleaned up as the spec says,
reports written when a report folder is given). The metric-math SLI is not read unless asked: it waits
for CloudWatch's late datapoints.

Example::

    trace = probe.order(amount=12.5)   # overrides top-level fields of the spec's payload
    trace.assert_good()
    report = probe.canary(count=10, rate=5)
    assert report.gate.met

Raises what a canary raises before sending (``SpecError``, ``TargetError``, ``TargetConfigError``…), and
ProbeRunStoppedError when the run was stopped before its verdicts were final; Ctrl-C stops the test
session as pytest does (KeyboardInterrupt) once the run is concluded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from chainprobe.drive.canary import FaultPlan
from chainprobe.pipeline import RunOutcome, run_canary
from chainprobe.pytest_plugin.exceptions import ProbeError
from chainprobe.pytest_plugin.failures import one_line_failures
from chainprobe.pytest_plugin.faults import ChainprobeFaults
from chainprobe.pytest_plugin.stack import ChainprobeStack
from chainprobe.pytest_plugin.trace import Trace
from chainprobe.report import RunReport
from chainprobe.report.writer import ReportFiles
from chainprobe.run_lifecycle import StopCause
from chainprobe.spec import load_spec
from chainprobe.spec.model import ProbeSpec

Say = Callable[[str], None]


class ProbeRunStoppedError(ProbeError):
    """The probe's run was stopped before its verdicts were final; the message says what stopped it."""


def say_to_stderr(line: str) -> None:
    """Where a probe's progress goes: stderr, which pytest captures and shows with a failing test."""
    print(f"chainprobe: {line}", file=sys.stderr, flush=True)


def with_payload(spec: ProbeSpec, overrides: Mapping[str, object]) -> ProbeSpec:
    """``spec`` with top-level payload fields replaced (the harness still sets the order id and tag)."""
    return replace(spec, send=replace(spec.send, payload={**spec.send.payload, **overrides}))


class Probe:
    """Sends a test's orders to the session's stack; ``reports`` holds every run's report, in order."""

    def __init__(
        self,
        *,
        spec_path: Path,
        stack: ChainprobeStack,
        faults: ChainprobeFaults,
        report_dir: Path | None = None,
        on_files: Callable[[ReportFiles], None] | None = None,
        say: Say = say_to_stderr,
    ) -> None:
        self.spec_path = spec_path
        self.stack = stack
        self.faults = faults
        self.report_dir = report_dir
        self.on_files = on_files
        self.say = say
        self.reports: list[RunReport] = []

    def order(self, **payload_overrides: object) -> Trace:
        """Sends one tagged order (with the test's fault markers) and returns its trace once final."""
        with one_line_failures():
            spec = load_spec(self.spec_path)
            if payload_overrides:
                spec = with_payload(spec, payload_overrides)
            report = self._run(spec, count=1, rate=1.0, kind="order", metric_math=False)
            [record] = report.orders
            return Trace.of(record, faults=self.faults.marked)

    def canary(self, count: int = 10, rate: float = 2.0, *, metric_math: bool = False) -> RunReport:
        """Runs a canary of ``count`` orders at ``rate`` per second (each with the test's fault markers)
        and returns its report once every verdict is final (with ``metric_math``, the metric-math SLI
        read over the run's window too)."""
        with one_line_failures():
            spec = load_spec(self.spec_path)
            return self._run(spec, count=count, rate=rate, kind="canary", metric_math=metric_math)

    def _run(self, spec: ProbeSpec, *, count: int, rate: float, kind: str, metric_math: bool) -> RunReport:
        self.faults.wait_until_applied()
        marked = self.faults.marked
        outcome = run_canary(
            spec_path=self.spec_path,
            spec=spec,
            count=count,
            rate=rate,
            report_dir=self._next_report_dir(kind),
            say=self.say,
            target=self.stack.target,
            fault_plan=FaultPlan(faults=marked) if marked else None,
            metric_math=metric_math,
        )
        self._check_concluded(outcome)
        if outcome.files is not None and self.on_files is not None:
            self.on_files(outcome.files)
        self.reports.append(outcome.report)
        return outcome.report

    def _next_report_dir(self, kind: str) -> Path | None:
        if self.report_dir is None:
            return None
        return self.report_dir / f"{len(self.reports) + 1:02d}-{kind}"

    @staticmethod
    def _check_concluded(outcome: RunOutcome) -> None:
        if outcome.stop is None:
            return
        if outcome.stop.cause is StopCause.INTERRUPTED:
            raise KeyboardInterrupt
        run_id = outcome.report.run.run_id
        raise ProbeRunStoppedError(
            f"run {run_id} stopped before its verdicts were final: {outcome.stop.reason}"
        )
