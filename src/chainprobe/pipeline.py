"""The composition root of a run: spec -> drive -> verify -> measure -> report, in that order.

``run_canary`` sends a canary's orders while the verifier judges them; ``finish_run`` verifies what a
stopped or killed run left pending; ``report_run`` rebuilds a report from the ledger alone. Both
``run_canary`` and ``finish_run`` run under the run lifecycle (``chainprobe.run_lifecycle``,
``chainprobe.run_verification``): Ctrl-C, SIGTERM, a sender or verifier that fails, or infrastructure
going down stop the run, which is then concluded as it stands (``RunOutcome.stop`` says why). With
``publish_metrics`` the concluded run is also published as CloudWatch custom metrics
(``chainprobe.report.cloudwatch``), after its reports are written.

Before the report is built, the metric-math SLI is read over the run's window from the target's
CloudWatch and reconciled with the black box (``chainprobe.measure.reconcile``), waiting for late
metrics up to ``metric_math_wait`` seconds (else ``CHAINPROBE_METRIC_MATH_WAIT``, else 90 s on the
local stack and 300 s elsewhere). Skipped, with a note in the report, when the spec has no
``metric_math``, the target has no CloudWatch, or ``metric_math=False``; a failed read is a note too,
never a failed run.

Example::

    outcome = run_canary(spec_path="probes/orders.yaml", count=20, rate=2.0, report_dir=Path("reports"))
    raise SystemExit(0 if outcome.report.gate.met else 1)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError

from chainprobe.drive.canary import Canary, FaultPlan
from chainprobe.ledger.location import LEDGER_ENV
from chainprobe.ledger.model import OrderRecord, Run
from chainprobe.ledger.publications import Publications
from chainprobe.ledger.store import Ledger
from chainprobe.measure.fault_log import FaultSummary
from chainprobe.measure.reconcile import reconcile_run
from chainprobe.measure.sli import SliResult
from chainprobe.measure.window_sli import DEFAULT_WAIT_S, GetMetricData
from chainprobe.preflight import check_before_sending
from chainprobe.report import RunReport, build_report, sli_for_spec, write_reports
from chainprobe.report.cloudwatch import MetricPublisher, PublishedMetrics
from chainprobe.report.metric_math import MetricMathSummary, ReconciliationSummary, summaries
from chainprobe.report.writer import ReportFiles
from chainprobe.run_faults import read_fault_summary
from chainprobe.run_lifecycle import (
    RunControl,
    RunStop,
    StopSignals,
    clean_up,
    end_run,
    grace_seconds,
    stop_for,
)
from chainprobe.run_logs import LogsSource, logs_source, measure_logs
from chainprobe.run_publishing import publish_once
from chainprobe.run_verification import judge_api_outcomes, verify_run, watch_courier
from chainprobe.spec import load_spec
from chainprobe.spec.model import ProbeSpec
from chainprobe.stacks import paths
from chainprobe.target import Target, resolve_target
from chainprobe.verify.run_verifier import RunVerifier

Say = Callable[[str], None]


@dataclass(frozen=True)
class RunOutcome:
    """A concluded run: its report, the files written, and what publishing its metrics did.

    ``publish_error`` is one line when publishing was asked for and CloudWatch refused or could not be
    reached (the report and its files are complete all the same); ``publish_note`` one line when the run
    was already published (not published again) or was republished (``chainprobe.run_publishing``).
    ``stop`` is what stopped the run before it completed (``None`` when nothing did; the report says
    whether it is complete).
    """

    report: RunReport
    files: ReportFiles | None
    published: PublishedMetrics | None = None
    publish_error: str | None = None
    publish_note: str | None = None
    stop: RunStop | None = None


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


VERIFIER_READ_TIMEOUT_S = 10.0  # a verification call answers in well under a second when the stack is up
VERIFIER_ATTEMPTS = 2  # the first call and one retry


def verifier_for(spec: ProbeSpec, target: Target, ledger: Ledger) -> RunVerifier:
    """The run's verifier, its courier journal watched (``chainprobe.run_verification``). Its AWS calls
    give up after ``VERIFIER_READ_TIMEOUT_S`` x ``VERIFIER_ATTEMPTS``: an endpoint that stops answering
    mid-run stops the run in seconds (the defaults, 30 s x 6 attempts, held a frozen LocalStack's run
    for minutes while every order was still sent)."""
    clients = target.clients.bounded(read_timeout=VERIFIER_READ_TIMEOUT_S, total_attempts=VERIFIER_ATTEMPTS)
    verifier = RunVerifier(spec=spec, endpoints=target.endpoints, clients=clients, ledger=ledger)
    watch_courier(verifier)
    return verifier


def publisher_for(spec: ProbeSpec, target: Target, spec_path: str) -> MetricPublisher:
    """Raises a SpecError (exit 2) when the spec has no ``cloudwatch_publish`` or a bad dimension."""
    cloudwatch = target.clients.client("cloudwatch")
    return MetricPublisher.for_spec(spec, target.endpoints, cloudwatch, source=spec_path)


def run_canary(
    *,
    spec_path: Path,
    count: int,
    rate: float,
    report_dir: Path | None,
    say: Say,
    target: Target | None = None,
    fault_plan: FaultPlan | None = None,
    publish_metrics: bool = False,
    metric_math: bool = True,
    metric_math_wait: float | None = None,
    html: bool = False,
    spec: ProbeSpec | None = None,
) -> RunOutcome:
    """Sends and verifies a canary, then concludes it; a stopped run is concluded as it stands
    (``RunOutcome.stop`` says why: ``chainprobe.run_lifecycle``). ``spec``, when given, is the spec
    loaded from ``spec_path`` as the caller changed it (the pytest plugin's payload overrides)."""
    spec = spec if spec is not None else load_spec(spec_path)
    target = target or resolve_target(say=say)
    publisher = publisher_for(spec, target, str(spec_path)) if publish_metrics else None
    source = metric_math_source(spec, target, enabled=metric_math, wait_s=metric_math_wait, say=say)
    logs = logs_source(spec, target)
    with open_ledger() as ledger:
        asked = fault_plan.faults if fault_plan is not None else ()
        check_before_sending(spec, target, ledger_path=ledger.path, report_dir=report_dir, faults=asked)
        verifier = verifier_for(spec, target, ledger)
        verifier.prepare()
        canary = Canary(
            spec=spec,
            endpoints=target.endpoints,
            ledger=ledger,
            count=count,
            rate=rate,
            fault_plan=fault_plan,
        )
        run = ledger.create_run(spec_path=str(spec_path), spec_name=spec.name, target=target.name)
        say(f"run {run.run_id}: {count} orders at {rate:g}/s against {target.name}")
        progress = ProgressLine(count)
        control, grace = RunControl(), grace_seconds(spec)
        sender = threading.Thread(
            target=send_until_stopped, args=(canary, run.run_id, control, progress.on_sent), daemon=True
        )
        with StopSignals(control, say=say, run_id=run.run_id, grace_s=grace):
            sender.start()
            verify_run(
                verifier,
                run.run_id,
                control,
                grace_s=grace,
                progress=progress.on_verified,
                sending=sender.is_alive,
            )
            sender.join()
            if control.stopped:
                judge_api_outcomes(verifier, run.run_id)
        progress.draw(final=True)
        faults = read_fault_summary(
            fault_plan,
            ledger.orders(run.run_id),
            aws_endpoint_url=str(target.endpoints.get("aws_endpoint_url") or ""),
            marker_path=str(spec.send.fault_marker_path),
            since=run.started_at,
        )
        return conclude(
            run.run_id,
            spec,
            verifier,
            ledger,
            report_dir,
            publisher=publisher,
            metric_math=source,
            html=html,
            faults=faults,
            stop=control.cause,
            logs=logs,
        )


def send_until_stopped(
    canary: Canary, run_id: str, control: RunControl, on_sent: Callable[[int], None]
) -> None:
    """The sender thread: sends the canary's orders until done or stopped; its error stops the run."""
    try:
        canary.send(run_id, on_sent=on_sent, stop=control.event)
    except BaseException as error:
        control.stop(stop_for(error))


def finish_run(
    *,
    run_id: str,
    report_dir: Path | None,
    say: Say,
    publish_metrics: bool = False,
    republish: bool = False,
    html: bool = False,
    metric_math: bool = True,
    metric_math_wait: float | None = None,
) -> RunOutcome:
    """Verifies what a stopped or killed run left pending, then reports it (as it stands, when the
    verification is stopped in turn). A run published before is not published again unless
    ``republish`` (``chainprobe.run_publishing``)."""
    with open_ledger() as ledger:
        run = ledger.get_run(run_id)
        spec = load_spec(Path(run.spec_path))
        target = resolve_target(say=say, start_local=False)
        publisher = publisher_for(spec, target, run.spec_path) if publish_metrics else None
        source = metric_math_source(spec, target, enabled=metric_math, wait_s=metric_math_wait, say=say)
        logs = logs_source(spec, target)
        verifier = verifier_for(spec, target, ledger)
        pending = len(ledger.pending_orders(run_id))
        say(f"run {run_id}: {pending} of {len(ledger.orders(run_id))} orders still pending")
        control, grace = RunControl(), grace_seconds(spec)
        with StopSignals(control, say=say, run_id=run_id, grace_s=grace):
            verify_run(verifier, run_id, control, grace_s=grace)
            if control.stopped:
                judge_api_outcomes(verifier, run_id)
        return conclude(
            run_id,
            spec,
            verifier,
            ledger,
            report_dir,
            publisher=publisher,
            republish=republish,
            metric_math=source,
            html=html,
            stop=control.cause,
            logs=logs,
        )


def conclude(
    run_id: str,
    spec: ProbeSpec,
    verifier: RunVerifier,
    ledger: Ledger,
    report_dir: Path | None,
    *,
    publisher: MetricPublisher | None = None,
    republish: bool = False,
    metric_math: MetricMathSource | None = None,
    html: bool = False,
    faults: FaultSummary | None = None,
    stop: RunStop | None = None,
    logs: LogsSource | None = None,
) -> RunOutcome:
    """Cleans up probe items, ends the run in the ledger (with its end reason when it is incomplete),
    reconciles it with the metric math (when a source is given and the run is complete), writes its
    reports (``report.html`` too with ``html``), then publishes its metrics if asked (a complete run's).

    A stopped run (``stop``) is concluded as far as what stopped it allows: a clean-up or ledger write
    that fails is skipped, the report is built from what the ledger holds."""
    run, orders = ledger.get_run(run_id), ledger.orders(run_id)
    cleanup = clean_up(verifier, run_id, stop=stop, pending=any(order.pending for order in orders))
    run = end_run(ledger, run, orders, stop)
    sli = sli_for_spec(orders, spec)
    if run.end_reason is not None and metric_math is not None:
        metric_math = MetricMathSource(skipped=f"the run is incomplete ({run.end_reason})")
    reads = metric_math is not None and metric_math.get_metric_data is not None
    neighbours = neighbour_orders(ledger, run) if reads else []
    summary, reconciliation = measure_metric_math(spec, run, orders, sli, metric_math, neighbours=neighbours)
    log_view = measure_logs(spec, run, orders, logs, reconciliation)  # chainprobe.run_logs: never raises
    report = build_report(
        run=run,
        orders=orders,
        spec=spec,
        sli=sli,
        metric_math=summary,
        reconciliation=reconciliation,
        capture=verifier.tally,
        cleanup=cleanup,
        faults=faults,
        settle=verifier.settle,
        logs=log_view,
    )
    files = write_reports(report, report_dir, html=html) if report_dir is not None else None
    if publisher is None:
        return RunOutcome(report=report, files=files, stop=stop)
    if run.end_reason is not None:
        return RunOutcome(report=report, files=files, stop=stop, publish_error="the run is incomplete")
    step = publish_once(publisher, report, Publications.beside(ledger.path), republish=republish)
    return RunOutcome(
        report=report,
        files=files,
        published=step.published,
        publish_error=step.error,
        publish_note=step.note,
        stop=stop,
    )


def report_run(*, run_id: str, report_dir: Path | None) -> RunOutcome:
    with open_ledger() as ledger:
        run = ledger.get_run(run_id)
        spec = load_spec(Path(run.spec_path))
        report = build_report(run=run, orders=ledger.orders(run_id), spec=spec)
    files = write_reports(report, report_dir) if report_dir is not None else None
    return RunOutcome(report=report, files=files)


# -- the metric-math SLI and its reconciliation ---------------------------------------------------

METRIC_MATH_WAIT_ENV = "CHAINPROBE_METRIC_MATH_WAIT"
REMOTE_METRIC_MATH_WAIT_S = 300.0  # AWS publishes service metrics minutes late


@dataclass(frozen=True)
class MetricMathSource:
    """Where ``conclude`` reads the metric-math SLI: the target's GetMetricData and how long to wait
    for late metrics; or, with ``get_metric_data`` ``None``, why it is skipped."""

    get_metric_data: GetMetricData | None = None
    wait_s: float = DEFAULT_WAIT_S
    skipped: str | None = None
    say: Say | None = None


def metric_math_source(
    spec: ProbeSpec, target: Target, *, enabled: bool, wait_s: float | None, say: Say | None = None
) -> MetricMathSource:
    """The source for a run against ``target``; the wait is ``wait_s``, else the environment's
    ``CHAINPROBE_METRIC_MATH_WAIT``, else 90 s locally and 300 s elsewhere."""
    if not enabled:
        return MetricMathSource(skipped="--no-metric-math")
    if spec.metric_math is None:
        return MetricMathSource(skipped="the spec has no metric_math section")
    try:
        cloudwatch = target.clients.client("cloudwatch")
    except (BotoCoreError, ValueError) as e:
        return MetricMathSource(skipped=f"the target has no CloudWatch ({e})")
    if wait_s is None:
        configured = os.environ.get(METRIC_MATH_WAIT_ENV)
        default = DEFAULT_WAIT_S if target.name == "local" else REMOTE_METRIC_MATH_WAIT_S
        wait_s = float(configured) if configured else default
    return MetricMathSource(get_metric_data=cloudwatch.get_metric_data, wait_s=wait_s, say=say)


NEIGHBOUR_MARGIN_S = 3600.0  # longer than any metric-math period a spec would read


def neighbour_orders(ledger: Ledger, run: Run) -> list[OrderRecord]:
    """The orders of the ledger's other runs of the same chain (spec name) against the same target that
    may share ``run``'s metric-math window. Were they sent elsewhere after all (two local stacks, one
    ledger), the run's reading fails safe: their requests missing from the counts, it is incomplete."""
    end = run.ended_at or time.time()
    return [
        order
        for other in ledger.runs()
        if other.run_id != run.run_id
        and (other.target, other.spec_name) == (run.target, run.spec_name)
        and other.started_at <= end + NEIGHBOUR_MARGIN_S
        and (other.ended_at or end) >= run.started_at - NEIGHBOUR_MARGIN_S
        for order in ledger.orders(other.run_id)
    ]


def measure_metric_math(
    spec: ProbeSpec,
    run: Run,
    orders: list[OrderRecord],
    sli: SliResult,
    source: MetricMathSource | None,
    *,
    neighbours: Sequence[OrderRecord] = (),
) -> tuple[MetricMathSummary | None, ReconciliationSummary | None]:
    """The report's metric-math summary and reconciliation (``None``s without a source); ``neighbours``
    are other runs' orders against the same target (their requests in a shared period are known).
    Never raises: whatever goes wrong reading or reconciling the metrics is a note in the report."""
    if source is None:
        return None, None
    if spec.metric_math is None:
        return MetricMathSummary.skipped("the spec has no metric_math section"), None
    if source.get_metric_data is None:
        return MetricMathSummary.skipped(source.skipped or "no CloudWatch"), None
    if source.say is not None:
        source.say(f"reading the metric-math SLI from CloudWatch (waiting up to {source.wait_s:g} s for it)")
    try:
        result = reconcile_run(
            spec=spec.metric_math,
            orders=orders,
            sli=sli,
            ended_at=run.ended_at,
            get_metric_data=source.get_metric_data,
            neighbours=neighbours,
            wait_s=source.wait_s,
        )
    except Exception as e:  # the metric math is reported, never a reason for the run to fail
        return MetricMathSummary(availability=None, complete=False, notes=(f"metric math failed: {e}",)), None
    if result is None:
        return MetricMathSummary.skipped("no order was sent"), None
    return summaries(result)
