"""The composition root of ``chainprobe load``: spec -> drive (Locust) -> verify -> measure -> report.

The canary's pipeline with Locust as the driver: the same target resolution and preflight, the same
verifier judging orders while they are sent (``chainprobe.pipeline.verifier_for``), the same
``conclude`` (metric math, reconciliation, ``write_reports``, CloudWatch publishing) and so the same
report and exit codes. What it adds:

- the shape (``chainprobe.drive.load.shapes``), scaled in time, and the loopback guard: a target whose
  host is not loopback is refused unless ``allow_remote``;
- Locust in separate processes (``DriverProcesses``: one local runner, or a master and N workers on
  127.0.0.1), so this process never imports Locust and its verifier threads stay real threads;
- the shape by name, or given as one (``--stages``: ``chainprobe.drive.load.stages``);
- the harness's memory over the run (``RssSampler``, until the sending ends): its growth is reported,
  and beyond the shape's ``max_memory_growth_mb`` (the ``soak`` shape states one) fails the gate
  (``LoadOutcome.memory_exceeded``: exit 1);
- ``load.json`` and a ``## Load`` section of ``summary.md`` (planned vs achieved arrival rate, lateness,
  Locust's request stats), and ``LoadSummary.lines()`` for the terminal.

Stops by itself: the shape ends; at the latest ``max_seconds`` after the start (default: the shape's
duration plus a minute) the Locust processes stop, letting orders in flight finish. The verifier
then finishes judging (each stage has its deadline) and the run is concluded. Stopped early as a
canary is (``chainprobe.run_lifecycle``): Ctrl-C or SIGTERM, a verification that fails, or Locust
processes that did not end normally stop the Locust processes, and the run is concluded as it stands,
``incomplete`` with the reason. A run whose Locust processes ended normally but sent fewer orders than
its shape planned (cut at ``--max-seconds``, a worker lost with its share) is incomplete too
(``sending_shortfall``): its gate is not met, exit 1.

Example::

    outcome = run_load(spec_path=Path("probes/orders.yaml"), shape_name="arrival-ramp", time_scale=0.25,
                       workers=0, report_dir=Path("reports"), say=print)
    raise SystemExit(0 if outcome.run.report.gate.met else 1)
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chainprobe.drive.load.context import DriverResult, RunContext, write_json_atomically
from chainprobe.drive.load.loopback import require_loopback
from chainprobe.drive.load.memory_growth import memory_growth
from chainprobe.drive.load.processes import DriverProcesses
from chainprobe.drive.load.rss_sampler import RssSampler, interval_for
from chainprobe.drive.load.schedule import START_LEAD_S
from chainprobe.drive.load.shapes import LoadShape, load_shapes
from chainprobe.drive.load.summary import LoadSummary
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import (
    ProgressLine,
    RunOutcome,
    Say,
    conclude,
    metric_math_source,
    open_ledger,
    publisher_for,
    verifier_for,
)
from chainprobe.preflight import check_before_sending
from chainprobe.run_lifecycle import RunControl, RunStop, StopCause, StopSignals, grace_seconds
from chainprobe.run_verification import judge_api_outcomes, verify_run
from chainprobe.spec import load_spec
from chainprobe.spec.http_url import check_http_url
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import render
from chainprobe.target import Target, resolve_target

__all__ = [
    "DEFAULT_SPEC",
    "LoadOutcome",
    "default_max_seconds",
    "run_load",
    "sending_shortfall",
    "write_load_report",
]

DEFAULT_SPEC = Path("probes/orders.yaml")
CAP_SLACK_S = 60.0
STOP_GRACE_S = 2.0  # as the Locust side's: an order in flight gets the API deadline plus this


@dataclass(frozen=True)
class LoadOutcome:
    """A concluded load run: the canary's outcome (report, files, publishing), the load summary, and
    one line when the Locust processes did not end normally."""

    run: RunOutcome
    summary: LoadSummary
    driver_failed: str | None = None
    load_json: Path | None = None

    @property
    def memory_exceeded(self) -> bool:
        """Whether the harness's memory grew beyond the shape's bound (a soak's gate)."""
        return self.summary.memory is not None and self.summary.memory.exceeded


def default_max_seconds(shape: LoadShape, spec: ProbeSpec) -> float:
    """The hard cap when none is given: the shape, its start lead, the stop grace, and a minute."""
    return shape.duration_s + START_LEAD_S + spec.deadlines.api + STOP_GRACE_S + CAP_SLACK_S


def sending_shortfall(planned: int, sent: int, result: DriverResult | None) -> str | None:
    """Why the load is incomplete when fewer orders left than its shape planned, else ``None``.

    >>> sending_shortfall(66, 66, DriverResult(stopped_by="--max-seconds 20")) is None
    True
    >>> sending_shortfall(66, 20, DriverResult(stopped_by="--max-seconds 4"))
    'the load sent 20 of the 66 orders its shape planned (stopped by --max-seconds 4)'
    >>> sending_shortfall(66, 50, DriverResult(workers_lost=(1,)))
    'the load sent 50 of the 66 orders its shape planned (Locust worker 1 lost during the run)'
    """
    if sent >= planned:
        return None
    why = []
    if result is not None and result.stopped_by != "shape":
        why.append(f"stopped by {result.stopped_by}")
    if result is not None and result.workers_lost:
        lost = ", ".join(str(index) for index in result.workers_lost)
        why.append(f"Locust worker{'s' if len(result.workers_lost) > 1 else ''} {lost} lost during the run")
    because = f" ({'; '.join(why)})" if why else ""
    return f"the load sent {sent} of the {planned} orders its shape planned{because}"


def run_load(
    *,
    spec_path: Path,
    shape_name: str | None,
    report_dir: Path | None,
    say: Say,
    shapes_path: Path | None = None,
    time_scale: float = 1.0,
    workers: int = 0,
    max_seconds: float | None = None,
    allow_remote: bool = False,
    target: Target | None = None,
    publish_metrics: bool = False,
    metric_math: bool = True,
    metric_math_wait: float | None = None,
    shape: LoadShape | None = None,
    expect_workers: int = 0,
    master_bind_host: str = "127.0.0.1",
    master_bind_port: int = 0,
) -> LoadOutcome:
    """Runs the shape ``shape_name`` (or ``shape``, given as one); see the module docstring."""
    spec = load_spec(spec_path)
    if shape is None:
        if shape_name is None:
            raise ValueError("run_load needs a shape_name or a shape")
        shape = load_shapes(shapes_path).get(shape_name)
    shape = shape.scaled(time_scale)
    target = target or resolve_target(say=say)
    endpoint = render(spec.send.endpoint, target.endpoints, field="send.endpoint")
    check_http_url(endpoint, name="send.endpoint")
    require_loopback(endpoint, allow_remote=allow_remote)
    publisher = publisher_for(spec, target, str(spec_path)) if publish_metrics else None
    source = metric_math_source(spec, target, enabled=metric_math, wait_s=metric_math_wait, say=say)
    cap = max_seconds if max_seconds is not None else default_max_seconds(shape, spec)
    with open_ledger() as ledger:
        check_before_sending(spec, target, ledger_path=ledger.path, report_dir=report_dir)
        verifier = verifier_for(spec, target, ledger)
        verifier.prepare()
        run = ledger.create_run(spec_path=str(spec_path), spec_name=spec.name, target=target.name)
        context = RunContext(
            run_id=run.run_id,
            spec_path=str(Path(spec_path).resolve()),
            endpoints=dict(target.endpoints),
            ledger_path=str(ledger.path.resolve()),
            shape=shape,
            processes=max(1, workers or expect_workers),
        )
        processes = f"a master and {workers} workers" if workers else "one Locust process"
        if expect_workers:
            processes = f"a master on {master_bind_host} expecting {expect_workers} workers"
        say(
            f"run {run.run_id}: shape {shape.name} x{shape.time_scale:g}, {shape.planned_orders} orders "
            f"over {shape.duration_s:g} s ({shape.mean_rate:.2f}/s mean, {shape.peak_rate:g}/s peak), "
            f"{processes}, against {target.name}"
        )
        drivers = DriverProcesses(
            context=context,
            workers=workers,
            directory=run_directory(ledger, run.run_id),
            max_seconds=cap,
            grace=spec.deadlines.api + STOP_GRACE_S + 30.0,
            expect_workers=expect_workers,
            bind_host=master_bind_host,
            bind_port=master_bind_port,
        )
        sampler = RssSampler(interval_s=interval_for(shape.duration_s))
        progress = ProgressLine(shape.planned_orders)
        control, grace = RunControl(), grace_seconds(spec)

        def on_verified(done: int, recorded: int) -> None:
            progress.sent = recorded
            progress.on_verified(done, recorded)

        def sending() -> bool:
            if control.stopped and drivers.running():
                drivers.stop()  # a stopped run sends no more orders
            if not drivers.running():
                sampler.stop()  # the harness's memory is sampled while it sends
            return drivers.running()

        try:
            drivers.start()
            sampler.start()
            if expect_workers:
                port = json.loads((drivers.directory / "master.json").read_text(encoding="utf-8"))["port"]
                say(f"start {expect_workers} workers: chainprobe worker --master {master_bind_host}:{port}")
            with StopSignals(control, say=say, run_id=run.run_id, grace_s=grace):
                verify_run(
                    verifier, run.run_id, control, grace_s=grace, progress=on_verified, sending=sending
                )
                if control.stopped:
                    judge_api_outcomes(verifier, run.run_id)
        except BaseException:
            drivers.stop()
            raise
        finally:
            samples = sampler.stop()
        ended = drivers.wait()
        progress.draw(final=True)
        if ended.failed is not None:
            control.stop(RunStop(StopCause.INFRASTRUCTURE, f"load driver: {ended.failed}"))
        if not control.stopped:
            sent = sum(1 for order in ledger.orders(run.run_id) if order.sent_at is not None)
            short = sending_shortfall(shape.planned_orders, sent, ended.result)
            if short is None:
                ledger.mark_run_sent(run.run_id)
            else:  # incomplete: its sending stays unfinished, with the reason (no stop: the gate says 1)
                ledger.end_run(run.run_id, end_reason=short, verified=False)
        outcome = conclude(
            run.run_id,
            spec,
            verifier,
            ledger,
            report_dir,
            publisher=publisher,
            metric_math=source,
            stop=control.cause,
        )
    summary = LoadSummary.build(
        shape=shape,
        orders=outcome.report.orders,
        result=ended.result,
        processes=max(1, workers or expect_workers),
        notes=ended.notes,
        memory=memory_growth(samples, max_growth_mb=shape.max_memory_growth_mb),
    )
    load_json = write_load_report(summary, run.run_id, report_dir) if report_dir is not None else None
    return LoadOutcome(run=outcome, summary=summary, driver_failed=ended.failed, load_json=load_json)


def run_directory(ledger: Ledger, run_id: str) -> Path:
    """Where a load run's Locust files go: ``load/<run id>/`` beside the ledger."""
    return ledger.path.resolve().parent / "load" / run_id


def write_load_report(summary: LoadSummary, run_id: str, report_dir: Path) -> Path:
    """Writes ``load.json`` and appends the ``## Load`` section to ``summary.md`` (when there is one)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "load.json"
    write_json_atomically(path, summary.to_dict(run_id))
    markdown = report_dir / "summary.md"
    if markdown.exists():
        text = markdown.read_text(encoding="utf-8").rstrip("\n") + "\n" + summary.markdown()
        handle, temporary = tempfile.mkstemp(dir=report_dir, prefix=".summary.md.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, markdown)
    return path
