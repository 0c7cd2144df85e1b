"""Locust's side of a load run: one ``Environment`` per process, wired to the run through Locust's events.

``attach(environment, ...)`` is what every chainprobe Locust process registers, whoever built the
environment (this module for ``chainprobe load``, Locust's own CLI for ``locust -f loadtests/...``):

- local runner or master, on ``test_start``: the run's context (given, or made by ``provide``: the
  locustfile's harness creates the run there), stamped with the moment arrival 0 is due
  (``START_LEAD_S`` from now) and how many processes share the arrivals; a master sends it to every
  worker in a ``chainprobe:run`` message (ZeroMQ keeps it ahead of the spawn message that follows), and
  again to a worker that connects while the test runs;
- worker, on that message: its session, sending the arrivals of its ``worker_index`` and recording them
  through the master (``relay.RemoteRecorder``; the message carries the spec's text: a worker opens no
  file of the master's), while the master writes them into the ledger (``relay.MasterRelay``) and, at
  test stop, records every planned arrival no worker announced;
- every process, on ``test_stop`` (after Locust let in-flight orders finish, ``stop_timeout``): the
  session is closed; a worker first sends its last request stats to the master (Locust's periodic
  report may come after the master stopped listening); a master first waits (at most ``stop_timeout`` +
  ``FINAL_REPORT_GRACE_S``) for the final report of every due order of its connected workers: under
  plain ``locust --headless --master`` its test stops at the shape's end with the workers still running.

The processes ``chainprobe load`` starts (``python -m chainprobe.drive.load.runner ROLE``):

- ``local --context FILE --result FILE``: one process, Locust's local runner;
- ``master --context FILE --result FILE --port-file FILE --workers N [--bind-host H --bind-port P
  --connect-timeout S]``: binds 127.0.0.1 on a free port unless given (written to the port file), waits
  for N workers, runs the shape, then tells the workers to quit;
- ``worker --master-port P [--master-host H] [--spec FILE]``: connects to the master (127.0.0.1 unless
  told otherwise: ``chainprobe worker --master H:P`` runs this on another host).

Each stops by itself when the shape ends, at ``--max-seconds``, on SIGTERM, or when the process that
started it is gone. The driver (local or master) writes a ``DriverResult``: Locust's request stats
(aggregated over the workers), the schedule's start, the peak of users, workers lost on the way.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.event import Events
from locust.log import setup_logging
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner, Runner, WorkerRunner

from chainprobe.drive.load.context import DriverResult, RequestStats, RunContext, write_json_atomically
from chainprobe.drive.load.locust_shape import ProfileShape
from chainprobe.drive.load.relay import MasterRelay, RemoteRecorder, listen_on_master, listen_on_worker
from chainprobe.drive.load.schedule import START_LEAD_S
from chainprobe.drive.load.session import LoadSession, bind_session, session_for
from chainprobe.drive.load.user import OrderUser, stopping
from chainprobe.spec import load_spec, parse_spec
from chainprobe.spec.model import ProbeSpec

__all__ = ["RUN_MESSAGE", "attach", "main", "request_stats", "stop_timeout_for"]

RUN_MESSAGE = "chainprobe:run"
STOP_GRACE_S = 2.0  # beyond the API deadline, for an order in flight to be answered and recorded
FINAL_REPORT_GRACE_S = 5.0  # beyond stop_timeout, for a worker's last report batches (and a retry)
WORKER_CONNECT_TIMEOUT_S = 60.0
MASTER_HOST = "127.0.0.1"

logger = logging.getLogger("chainprobe.load")
Provide = Callable[[Environment], RunContext]


def stop_timeout_for(spec: ProbeSpec) -> float:
    """How long Locust lets a user finish its order when the test stops: the API deadline + a grace."""
    return spec.deadlines.api + STOP_GRACE_S


def request_stats(environment: Environment) -> RequestStats:
    """Locust's statistics of the environment's requests (a master's: aggregated over its workers)."""
    total = environment.stats.total
    errors: dict[str, int] = {}
    for error in environment.stats.errors.values():
        errors[str(error.error)] = errors.get(str(error.error), 0) + int(error.occurrences)
    has = total.num_requests > 0
    return RequestStats(
        requests=total.num_requests,
        failures=total.num_failures,
        p50_ms=float(total.get_response_time_percentile(0.5)) if has else None,
        p95_ms=float(total.get_response_time_percentile(0.95)) if has else None,
        p99_ms=float(total.get_response_time_percentile(0.99)) if has else None,
        max_ms=float(total.max_response_time) if has else None,
        errors=errors,
    )


def attach(
    environment: Environment,
    *,
    context: RunContext | None = None,
    provide: Provide | None = None,
    spec_path: Path | None = None,
) -> None:
    """Wires a run into ``environment`` (whose runner exists); see the module docstring.

    A local runner or master needs ``context`` or ``provide``; a worker learns its run (and the spec's
    text, unless ``spec_path`` names its own copy) from the master.
    """
    runner = environment.runner
    if runner is None:
        raise ValueError("attach needs the environment's runner: create it first")
    if isinstance(runner, WorkerRunner):
        _attach_worker(environment, runner, spec_path)
        return
    if context is None and provide is None:
        raise ValueError("a local runner or master needs the run's context, or a way to make it")
    master = runner if isinstance(runner, MasterRunner) else None

    def make(environment: Environment) -> RunContext:
        if context is not None:
            return context
        assert provide is not None
        return provide(environment)

    relays: dict[str, MasterRelay] = {}

    def on_test_start(environment: Environment, **_kwargs: Any) -> None:
        base = make(environment)
        processes = 1 if master is None else (base.processes if context is not None else master.worker_count)
        started = base.started(at=time.time() + START_LEAD_S, processes=max(1, processes))
        bind_session(environment, LoadSession(started, index=0, sends=master is None))
        logger.info(
            "run %s: %d orders, %d process(es)", started.run_id, started.shape.planned_orders, processes
        )
        if master is not None:
            previous = relays.pop("current", None)
            if previous is not None:
                previous.close()
            relays["current"] = MasterRelay(master, started)
            master.send_message(RUN_MESSAGE, run_message(started))

    def on_worker_connect(client_id: str, **_kwargs: Any) -> None:
        session = session_for(environment)
        if master is not None and session is not None and master.state in (STATE_SPAWNING, STATE_RUNNING):
            master.send_message(RUN_MESSAGE, run_message(session.context), client_id=client_id)

    def on_test_stop(environment: Environment, **_kwargs: Any) -> None:
        relay = relays.get("current")
        if relay is not None:
            relay.await_final_reports(environment.stop_timeout + FINAL_REPORT_GRACE_S)
            relay.finish()  # the workers' last reports are in (see relay): record every planned order
        _close_session(environment)

    if master is not None:
        listen_on_master(master, lambda: relays.get("current"))
    environment.events.test_start.add_listener(on_test_start)
    environment.events.worker_connect.add_listener(on_worker_connect)
    environment.events.test_stop.add_listener(on_test_stop)


def run_message(context: RunContext) -> dict[str, Any]:
    """The run as a worker needs it: the context and the spec's text (a worker shares no file)."""
    return {**context.to_dict(), "spec_text": Path(context.spec_path).read_text(encoding="utf-8")}


def _attach_worker(environment: Environment, runner: WorkerRunner, spec_path: Path | None = None) -> None:
    recorders: dict[str, RemoteRecorder] = {}

    def on_run(environment: Environment, msg: Any, **_kwargs: Any) -> None:
        context = RunContext.from_dict(msg.data)
        if spec_path is not None:
            spec = load_spec(spec_path)
        else:
            spec = parse_spec(str(msg.data["spec_text"]), source=f"the master's {context.spec_path}")
        recorder = RemoteRecorder(runner, stopping=lambda: stopping(environment))
        recorders["current"] = recorder
        session = LoadSession(context, index=runner.worker_index, sends=True, spec=spec, recorder=recorder)
        bind_session(environment, session)
        logger.info("run %s: worker %d of %d", context.run_id, runner.worker_index, context.processes)

    def on_test_stop(environment: Environment, **kwargs: Any) -> None:
        # Report the last requests now, ahead of the "client_stopped" this stop sends next: the master
        # stops waiting once its workers stopped, and the periodic report may come seconds later.
        data: dict[str, Any] = {}
        environment.events.report_to_master.fire(client_id=runner.client_id, data=data)
        runner.send_message("stats", data)
        _close_session(environment)

    runner.register_message(RUN_MESSAGE, on_run)
    listen_on_worker(runner, lambda: recorders.get("current"))
    environment.events.test_stop.add_listener(on_test_stop)


def _close_session(environment: Environment, **_kwargs: Any) -> None:
    bind_session(environment, None)


# -- the driver processes -------------------------------------------------------------------------


class Driver:
    """A local runner or master run to the end of its shape, and what it reports."""

    def __init__(self, environment: Environment, runner: Runner, context: RunContext) -> None:
        self.environment = environment
        self.runner = runner
        self.context = context
        self.stopped_by = "shape"
        self.peak_users = 0
        self.start: float | None = None
        self.workers: dict[str, int] = {}
        self.lost: set[int] = set()
        self.stopping = False
        environment.events.spawning_complete.add_listener(self._on_spawned)
        environment.events.test_start.add_listener(self._on_start)
        environment.events.test_stopping.add_listener(self._on_stopping)

    def _on_spawned(self, user_count: int, **_kwargs: Any) -> None:
        self.peak_users = max(self.peak_users, user_count)

    def _on_start(self, environment: Environment, **_kwargs: Any) -> None:
        session = session_for(environment)
        self.start = session.context.start if session is not None else None

    def _on_stopping(self, **_kwargs: Any) -> None:
        self.stopping = True  # workers leave the master as the test stops: no longer "lost"

    def stop(self, reason: str) -> None:
        if self.stopped_by == "shape":
            self.stopped_by = reason
        logger.info("stopping: %s", reason)
        if isinstance(self.runner, MasterRunner):
            self.runner.stop()  # workers stop their users and send their last reports before the quit
        self.runner.quit()

    def run(self, *, max_seconds: float) -> DriverResult:
        gevent.signal_handler(signal.SIGTERM, self.stop, "SIGTERM")
        gevent.spawn(_watch_parent, self.stop)
        gevent.spawn(self._watch_workers)
        cap = gevent.spawn_later(max_seconds, self.stop, f"--max-seconds {max_seconds:g}")
        self.runner.start_shape()
        shape = self.runner.shape_greenlet
        if shape is not None:
            shape.join()
        cap.kill()
        self.runner.quit()
        return self.result()

    def _watch_workers(self) -> None:
        if not isinstance(self.runner, MasterRunner):
            return
        while not self.stopping:
            for client in self.runner.clients.values():
                self.workers[client.id] = self.runner.get_worker_index(client.id)
            present = {c.id for c in self.runner.clients.values() if c.state != "missing"}
            self.lost |= {index for client_id, index in self.workers.items() if client_id not in present}
            gevent.sleep(1.0)

    def result(self) -> DriverResult:
        return DriverResult(
            stats=request_stats(self.environment),
            start=self.start,
            processes=self.context.processes,
            peak_users=self.peak_users,
            stopped_by=self.stopped_by,
            workers_lost=tuple(sorted(self.lost)),
        )


def _environment(context: RunContext) -> Environment:
    return Environment(
        user_classes=[OrderUser],
        shape_class=ProfileShape(context.shape),
        events=Events(),
        stop_timeout=stop_timeout_for(load_spec(context.spec_path)),
    )


def _watch_parent(stop: Callable[[str], None]) -> None:
    """Stops this process when the process that started it is gone (its parent id changes)."""
    parent = os.getppid()
    while os.getppid() == parent:
        gevent.sleep(1.0)
    stop("the harness process is gone")


def drive_local(context: RunContext, *, result_path: Path, max_seconds: float) -> int:
    environment = _environment(context)
    runner = environment.create_local_runner()
    attach(environment, context=context)
    driver = Driver(environment, runner, context)
    write_json_atomically(result_path, driver.run(max_seconds=max_seconds).to_dict())
    return 0


def drive_master(
    context: RunContext,
    *,
    result_path: Path,
    port_path: Path,
    workers: int,
    max_seconds: float,
    bind_host: str = MASTER_HOST,
    bind_port: int = 0,
    connect_timeout: float = WORKER_CONNECT_TIMEOUT_S,
) -> int:
    environment = _environment(context)
    runner = environment.create_master_runner(master_bind_host=bind_host, master_bind_port=bind_port)
    attach(environment, context=context)
    driver = Driver(environment, runner, context)
    write_json_atomically(port_path, {"host": bind_host, "port": runner.server.port, "pid": os.getpid()})
    logger.info("master listening on %s:%d for %d workers", bind_host, runner.server.port, workers)
    deadline = time.monotonic() + connect_timeout
    while len(runner.clients.ready) < workers:
        if time.monotonic() > deadline:
            logger.error("only %d of %d workers connected", len(runner.clients.ready), workers)
            runner.quit()
            return 3
        gevent.sleep(0.1)
    write_json_atomically(result_path, driver.run(max_seconds=max_seconds).to_dict())
    return 0


def drive_worker(*, master_port: int, master_host: str = MASTER_HOST, spec_path: Path | None = None) -> int:
    environment = Environment(user_classes=[OrderUser], events=Events())
    runner = environment.create_worker_runner(master_host=master_host, master_port=master_port)
    attach(environment, spec_path=spec_path)
    gevent.spawn(_watch_parent, lambda _reason: runner.quit())
    gevent.signal_handler(signal.SIGTERM, runner.quit)
    runner.greenlet.join()
    bind_session(environment, None)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainprobe.drive.load.runner")
    roles = parser.add_subparsers(dest="role", required=True)
    for role in ("local", "master"):
        sub = roles.add_parser(role)
        sub.add_argument("--context", type=Path, required=True)
        sub.add_argument("--result", type=Path, required=True)
        sub.add_argument("--max-seconds", type=float, required=True)
        if role == "master":
            sub.add_argument("--port-file", type=Path, required=True)
            sub.add_argument("--workers", type=int, required=True)
            sub.add_argument("--bind-host", default=MASTER_HOST)
            sub.add_argument("--bind-port", type=int, default=0)
            sub.add_argument("--connect-timeout", type=float, default=WORKER_CONNECT_TIMEOUT_S)
    worker = roles.add_parser("worker")
    worker.add_argument("--master-port", type=int, required=True)
    worker.add_argument("--master-host", default=MASTER_HOST)
    worker.add_argument("--spec", type=Path, default=None)
    args = parser.parse_args(argv)
    setup_logging(os.environ.get("CHAINPROBE_LOCUST_LOGLEVEL", "INFO"))
    if args.role == "worker":
        return drive_worker(master_port=args.master_port, master_host=args.master_host, spec_path=args.spec)
    context = RunContext.from_json(args.context.read_text(encoding="utf-8"))
    if args.role == "local":
        return drive_local(context, result_path=args.result, max_seconds=args.max_seconds)
    return drive_master(
        context,
        result_path=args.result,
        port_path=args.port_file,
        workers=args.workers,
        max_seconds=args.max_seconds,
        bind_host=args.bind_host,
        bind_port=args.bind_port,
        connect_timeout=args.connect_timeout,
    )


if __name__ == "__main__":
    sys.exit(main())
