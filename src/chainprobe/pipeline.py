"""The composition root of a run: spec -> drive -> verify -> measure -> report, in that order.

``run_canary`` sends a canary's orders while the verifier judges them; ``finish_run`` verifies what a
killed run left pending; ``report_run`` rebuilds a report from the ledger alone.

Example::

    outcome = run_canary(spec_path="probes/orders.yaml", count=20, rate=2.0, report_dir=Path("reports"))
    raise SystemExit(0 if outcome.report.gate.met else 1)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chainprobe.drive.canary import Canary, FaultPlan
from chainprobe.ledger.location import LEDGER_ENV
from chainprobe.ledger.store import Ledger
from chainprobe.report import RunReport, build_report, write_reports
from chainprobe.report.writer import ReportFiles
from chainprobe.spec import load_spec
from chainprobe.spec.model import ProbeSpec
from chainprobe.stacks import paths
from chainprobe.target import Target, preflight, resolve_target
from chainprobe.verify.run_verifier import RunVerifier

Say = Callable[[str], None]


@dataclass(frozen=True)
class RunOutcome:
    report: RunReport
    files: ReportFiles | None


def open_ledger() -> Ledger:
    return Ledger(os.environ.get(LEDGER_ENV) or paths.home() / "ledger.sqlite")


class ProgressLine:
    """``sent 12/20  verified 8/20``, redrawn in place on a terminal, a line every few seconds elsewhere."""

    def __init__(self, total: int, stream: object = sys.stderr) -> None:
        self.total = total
        self.sent = 0
        self.verified = 0
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_line = 0.0
        self.lock = threading.Lock()

    def on_sent(self, _seq: int) -> None:
        with self.lock:
            self.sent += 1
        self.draw()

    def on_verified(self, done: int, _total: int) -> None:
        self.verified = done
        self.draw()

    def draw(self, final: bool = False) -> None:
        text = f"sent {self.sent}/{self.total}  verified {self.verified}/{self.total}"
        if self.tty:
            print(f"\r{text}", end="\n" if final else "", file=self.stream, flush=True)  # type: ignore[call-overload]
        elif final or time.monotonic() - self.last_line > 5:
            self.last_line = time.monotonic()
            print(text, file=self.stream, flush=True)  # type: ignore[call-overload]


def verifier_for(spec: ProbeSpec, target: Target, ledger: Ledger) -> RunVerifier:
    return RunVerifier(spec=spec, endpoints=target.endpoints, clients=target.clients, ledger=ledger)


def run_canary(
    *,
    spec_path: Path,
    count: int,
    rate: float,
    report_dir: Path | None,
    say: Say,
    target: Target | None = None,
    fault_plan: FaultPlan | None = None,
) -> RunOutcome:
    spec = load_spec(spec_path)
    target = target or resolve_target(say=say)
    preflight(spec, target)
    with open_ledger() as ledger:
        verifier = verifier_for(spec, target, ledger)
        verifier.prepare()
        run = ledger.create_run(spec_path=str(spec_path), spec_name=spec.name, target=target.name)
        say(f"run {run.run_id}: {count} orders at {rate:g}/s against {target.name}")
        progress = ProgressLine(count)
        canary = Canary(
            spec=spec,
            endpoints=target.endpoints,
            ledger=ledger,
            count=count,
            rate=rate,
            fault_plan=fault_plan,
        )
        sender = threading.Thread(
            target=canary.send, args=(run.run_id,), kwargs={"on_sent": progress.on_sent}
        )
        sender.start()
        try:
            verifier.verify(run.run_id, progress=progress.on_verified, sending=sender.is_alive)
        finally:
            sender.join()
        progress.draw(final=True)
        return conclude(run.run_id, spec, verifier, ledger, report_dir)


def finish_run(*, run_id: str, report_dir: Path | None, say: Say) -> RunOutcome:
    """Verifies what a killed run left pending, then reports it."""
    with open_ledger() as ledger:
        run = ledger.get_run(run_id)
        spec = load_spec(Path(run.spec_path))
        target = resolve_target(say=say, start_local=False)
        verifier = verifier_for(spec, target, ledger)
        pending = len(ledger.pending_orders(run_id))
        say(f"run {run_id}: {pending} of {len(ledger.orders(run_id))} orders still pending")
        verifier.verify(run_id)
        return conclude(run_id, spec, verifier, ledger, report_dir)


def conclude(
    run_id: str, spec: ProbeSpec, verifier: RunVerifier, ledger: Ledger, report_dir: Path | None
) -> RunOutcome:
    verifier.clean_up_items(run_id)
    ledger.mark_run_verified(run_id)
    report = build_report(run=ledger.get_run(run_id), orders=ledger.orders(run_id), spec=spec)
    files = write_reports(report, report_dir) if report_dir is not None else None
    return RunOutcome(report=report, files=files)


def report_run(*, run_id: str, report_dir: Path | None) -> RunOutcome:
    with open_ledger() as ledger:
        run = ledger.get_run(run_id)
        spec = load_spec(Path(run.spec_path))
        report = build_report(run=run, orders=ledger.orders(run_id), spec=spec)
    files = write_reports(report, report_dir) if report_dir is not None else None
    return RunOutcome(report=report, files=files)
