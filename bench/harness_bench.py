"""Benchmarks the harness's own cost in one run: the driver against plain Locust, and the verifier.

**Driver.** chainprobe's Locust driver (``DriverProcesses``, one process, exactly as ``chainprobe load``
drives a constant-rate shape: every order committed to the ledger before it leaves and its answer
after) and plain Locust (``plain_locustfile.py``: a FastHttpUser posting the same request, paced with
``constant_throughput``) send to the same endpoint at the same rates, one after the other: a WireMock
stub answering 201 with the order id (the standalone WireMock of the local stack, started here on a
free loopback port), so the client side's cost shows, not a chain's. CPU is each driver's processes'
user + system time, exact (``RUSAGE_CHILDREN`` around the run: start-up and shutdown included).
Fixed and idle costs are separated by two near-idle runs (0.2 orders/s) of ``T`` and ``2T`` seconds:
idle = the difference per second, fixed = the rest; per order = (CPU - fixed - idle x duration) / orders.

**Verifier.** ``RunVerifier`` (the spec's stages: BatchGetItem, the capture queue, the courier journal,
then the item cleanup) on a run that a producer process writes into the ledger at the rate (each
order's row as the driver leaves it: planned, sent, answered; the ledger on ``/dev/shm``), while the
chain's evidence comes from memory (``memory_backends.py``: botocore builds, signs and parses every call, only
the socket and the server are not there). So the figure **includes** the verifier's whole Python side
(ledger reads and writes, botocore, JSON parsing of every event and journal entry, judging) and
**excludes** network time, the backends' own work (measured and taken out), AWS's latency and the
producer's (the driver's) ledger writes. CPU is the verifier thread's time (``time.thread_time``).
Idle: a verifier with no order for ``T`` seconds (building it and ``prepare`` included). AWS calls per
verified order count every call botocore makes (``before-call``) plus journal queries. A rate is
*sustained* when the producer was on time (lateness p95 < 100 ms), every order was judged good (the
evidence was always there on time: a bad verdict means the verifier fell behind, e.g. an event received
later than 2 s past its deadline is judged missing) and the last verdict came within
4 s of the earliest moment the spec allows (the last send + the settle window or evidence delay;
the slack: a pass every 0.5 s, its 1 s long poll of the capture queue, a loaded machine).

    .venv/bin/python bench/harness_bench.py [--driver-rates 25,50,100,200] [--verifier-rates 100,300,1000]
        [--step-seconds 15] [--runs 3] [--settle reference|0] [--skip-driver] [--skip-verifier]

Prints its figures, each the median of ``--runs`` runs; it asserts nothing (speed is measured here,
not in tests).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from memory_backends import COURIER_S, EVENT_S, Backends, bench_order_id
from own_stack import free_port
from steady_step import ORDER_STUB, SPEC, steady_step

from chainprobe.drive.canary import order_id_for
from chainprobe.ledger.model import Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.spec import load_spec
from chainprobe.spec.request import ProbeTag, build_order_request
from chainprobe.stacks import paths
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.local import tools
from chainprobe.stacks.local.servers import wiremock_server
from chainprobe.verify.courier import CourierJournal
from chainprobe.verify.run_verifier import RunVerifier
from chainprobe.verify.verdict import EVENT_RECEIVE_MARGIN_S, JOURNAL_MARGIN_S

PLAIN = Path(__file__).resolve().parent / "plain_locustfile.py"
IDLE_RATE = 0.2
MEMORY_ENDPOINTS: dict[str, str | int | float] = {
    "api_url": "http://api.memory/prod",
    "courier_url": "http://courier.memory",
    "table": "Orders",
    "bus": "orders",
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- the driver ------------------------------------------------------------------------------------


@dataclass
class DriverRun:
    driver: str  # "chainprobe" or "locust"
    rate: float
    seconds: float
    orders: int
    cpu_s: float
    late_p95_ms: float | None = None


@contextmanager
def courier_stub(folder: Path) -> Iterator[str]:
    """A standalone WireMock (the local stack's) on a free loopback port, with the order stub; its URL."""
    port = free_port()
    server = wiremock_server(
        tools.tools_layout(), tools.require_java(), port=port, root_dir=paths.stubs_dir(), state_dir=folder
    )
    server.start(timeout=120)
    try:
        url = f"http://127.0.0.1:{port}"
        httpx.post(f"{url}/__admin/mappings", json=ORDER_STUB, timeout=10).raise_for_status()
        yield url
    finally:
        server.stop()


def chainprobe_driver(
    endpoints: dict[str, Any], ledger: Ledger, folder: Path, rate: float, seconds: float
) -> DriverRun:
    # The stub answers at once: 2 s of answer time per user is plenty.
    step = steady_step(
        endpoints=endpoints,
        ledger=ledger,
        folder=folder,
        target="stub",
        rate=rate,
        seconds=seconds,
        users_per_rate=2.0,
    )
    drivers = step.drivers
    before = children_cpu()
    drivers.start()
    drivers.wait()
    cpu = children_cpu() - before
    orders = ledger.orders(step.run_id)
    sent = [o for o in orders if o.api_status == 201]
    late = sorted((o.sent_at - o.planned_at) * 1000 for o in orders if o.sent_at is not None)
    p95 = late[int(0.95 * (len(late) - 1))] if late else None
    return DriverRun("chainprobe", rate, seconds, len(sent), cpu, p95)


def plain_locust(
    origin: str, request: dict[str, Any], folder: Path, rate: float, seconds: float
) -> DriverRun:
    users = max(1, round(rate / 20)) if rate >= 1 else 1  # each user at most 20 requests/s
    prefix = folder / f"plain-{rate:g}-{time.time_ns()}"
    env = {
        **os.environ,
        "BENCH_REQUEST": json.dumps(request),
        "BENCH_USERS": str(users),
        "BENCH_USER_RATE": str(rate / users),
        "BENCH_SECONDS": str(seconds),
    }
    command = [
        str(Path(sys.executable).parent / "locust"),
        *("-f", str(PLAIN), "--headless", "--host", origin, "--only-summary", "--csv", str(prefix)),
        *("--loglevel", "WARNING", "--stop-timeout", "5"),
    ]
    before = children_cpu()
    subprocess.run(command, env=env, cwd=folder, capture_output=True, timeout=seconds + 120, check=False)
    cpu = children_cpu() - before
    orders = 0
    stats = Path(f"{prefix}_stats.csv")
    if stats.exists():
        for line in stats.read_text().splitlines():
            cells = line.split(",")
            if cells[1:2] == ["Aggregated"]:
                orders = int(cells[2]) - int(cells[3])  # requests - failures
    return DriverRun("locust", rate, seconds, orders, cpu)


@dataclass
class DriverFigures:
    driver: str
    fixed_s: float
    idle_ms_per_s: float
    steps: dict[float, list[DriverRun]] = field(default_factory=dict)

    def per_order_ms(self, run: DriverRun) -> float:
        variable = run.cpu_s - self.fixed_s - self.idle_ms_per_s / 1000 * run.seconds
        return 1000 * variable / run.orders if run.orders else float("nan")


def idle_costs(runs: list[tuple[DriverRun, DriverRun]]) -> tuple[float, float]:
    """Fixed (s) and idle (ms/s) from near-idle runs of T and 2T seconds (medians)."""
    idle = median(
        [(long.cpu_s - short.cpu_s) / (long.seconds - short.seconds) * 1000 for short, long in runs]
    )
    fixed = median([short.cpu_s - idle / 1000 * short.seconds for short, _ in runs])
    return max(0.0, fixed), max(0.0, idle)


def bench_driver(rates: list[float], seconds: float, repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="chainprobe-harness-bench-") as tmp:
        folder = Path(tmp)
        with courier_stub(folder / "wiremock") as courier, Ledger(folder / "ledger.sqlite") as ledger:
            endpoints: dict[str, Any] = {"api_url": f"{courier}/bench", "courier_url": courier}
            spec = load_spec(SPEC)
            sample = build_order_request(
                spec.send, endpoints, ProbeTag(run_id="r-plain", seq=0, order_id=order_id_for("r-plain", 0))
            )
            request = {"path": "/bench/orders", "headers": sample.headers, "body": sample.body}
            drivers: dict[str, Callable[[float, float], DriverRun]] = {
                "chainprobe": lambda r, s: chainprobe_driver(endpoints, ledger, folder, r, s),
                "locust": lambda r, s: plain_locust(courier, request, folder, r, s),
            }
            idle: dict[str, list[tuple[DriverRun, DriverRun]]] = {name: [] for name in drivers}
            steps: dict[str, dict[float, list[DriverRun]]] = {
                name: {r: [] for r in rates} for name in drivers
            }
            for repeat in range(repeats):
                for name, drive in drivers.items():
                    idle[name].append((drive(IDLE_RATE, seconds), drive(IDLE_RATE, 2 * seconds)))
                    for rate in rates:
                        run = drive(rate, seconds)
                        steps[name][rate].append(run)
                        print(
                            f"  run {repeat + 1} {name:<10} {rate:5g}/s: {run.orders} orders,"
                            f" CPU {run.cpu_s:.2f} s"
                        )
            figures = {name: DriverFigures(name, *idle_costs(idle[name]), steps[name]) for name in drivers}
    print_driver(figures, rates)


def print_driver(figures: dict[str, DriverFigures], rates: list[float]) -> None:
    print("\nDriver: CPU per order (median of runs), chainprobe's Locust driver vs plain Locust FastHttpUser")
    for f in figures.values():
        print(
            f"  {f.driver:<10} fixed {f.fixed_s * 1000:6.0f} ms (start-up and shutdown),"
            f" idle {f.idle_ms_per_s:5.1f} ms/s"
        )
    print(f"  {'rate':>6}  {'chainprobe':>34}  {'plain Locust':>34}  ratio (per order)")
    for rate in rates:
        cells = []
        per_order = []
        for name in ("chainprobe", "locust"):
            f = figures[name]
            runs = f.steps[rate]
            achieved = median([r.orders / r.seconds for r in runs])
            all_in = median([1000 * r.cpu_s / r.orders for r in runs if r.orders])
            marginal = median([f.per_order_ms(r) for r in runs])
            per_order.append(marginal)
            late = [r.late_p95_ms for r in runs if r.late_p95_ms is not None]
            lateness = f" late p95 {median(late):5.0f} ms" if late else ""
            cells.append(f"{achieved:6.1f}/s {marginal:5.2f} ms/order (all-in {all_in:5.2f}){lateness}")
        ratio = per_order[0] / per_order[1] if per_order[1] else float("nan")
        print(f"  {rate:5g}/s  {cells[0]:>34}  {cells[1]:>34}  {ratio:4.2f}x")


# -- the verifier ----------------------------------------------------------------------------------


PRODUCER_TICK_S = 0.01
# One order as the driver leaves it in the ledger: planned and sent (``Ledger.plan_order``), then answered
# (``Ledger.record_api_answer``): the same row, written in one statement.
ORDER_ROW = (
    "INSERT INTO orders (run_id, seq, order_id, planned_at, sent_at, api_at, api_status, api_latency_ms,"
    " api_body) VALUES (?, ?, ?, ?, ?, ?, 201, 5.0, ?)"
)


def produce(
    ledger_path: str, run_id: str, rate: float, count: int, counter: Any, times: Any, start_at: float
) -> None:
    """The driver's ledger rows at ``rate``, the orders due in each 10 ms tick committed together (as a
    master records its workers' batches), in a process of its own: not the verifier's CPU. One commit
    per order, as one Locust process makes it today, tops out near 100 orders/s on this disk."""
    Ledger(ledger_path).close()  # the schema is there
    db = sqlite3.connect(ledger_path, timeout=10, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    seq = 0
    while seq < count:
        now = time.time()
        due = min(count, int((now - start_at) * rate) + 1) if now >= start_at else 0
        if due > seq:
            rows = []
            for n in range(seq, due):
                order_id = bench_order_id(run_id, n)
                body = json.dumps({"orderId": order_id, "status": "CREATED"})
                rows.append((run_id, n, order_id, start_at + n / rate, now, now + 0.005, body))
            db.execute("BEGIN IMMEDIATE")
            db.executemany(ORDER_ROW, rows)
            db.execute("COMMIT")
            for n in range(seq, due):
                times[n] = now
            counter.value = seq = due
        time.sleep(PRODUCER_TICK_S)
    db.close()


@dataclass
class VerifierRun:
    rate: float
    orders: int
    verified: int
    good: int  # chain and delivery good: every order's evidence was there on time
    cpu_s: float  # the verifier thread's, the backends' own work taken out
    backends_cpu_s: float
    wall_s: float
    calls: Counter[str]
    drain_s: float  # from the last send to the last verdict
    hold_s: float  # the earliest the last verdict could come, after the last send
    late_p95_ms: float
    judged: Counter[str] = field(default_factory=Counter)  # good, each failure class, pending

    @property
    def sustained(self) -> bool:
        on_time = self.late_p95_ms < 100 and self.drain_s <= self.hold_s + 4
        return on_time and self.verified == self.good == self.orders


def spec_file(settle: str, folder: Path) -> Path:
    if settle == "reference":
        return SPEC
    data = yaml.safe_load(SPEC.read_text())
    data["event"]["settle_seconds"] = float(settle)
    data["courier"]["settle_seconds"] = float(settle)
    path = folder / f"orders-settle-{settle}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def verifier_run(spec_path: Path, folder: Path, rate: float, seconds: float) -> VerifierRun:
    """One verifier on a run of ``rate`` x ``seconds`` orders (``rate`` 0: idle for ``seconds``)."""
    spec = load_spec(spec_path)
    assert spec.courier is not None
    count = int(rate * seconds)
    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0, lock=False)
    times = context.Array("d", max(1, count), lock=False)
    with Ledger(folder / f"verifier-{rate:g}-{time.time_ns()}.sqlite") as ledger:
        run = ledger.create_run(spec_path=str(spec_path), spec_name="orders", target="memory")
        backends = Backends(run.run_id, counter, times)
        clients = AwsClients(region="us-east-1", endpoint_url="http://127.0.0.1:9")
        calls: Counter[str] = Counter()

        def count_call(event_name: str, **_: Any) -> None:
            calls[event_name.split(".", 1)[1].replace(".", ":")] += 1

        for service in ("dynamodb", "sqs", "events"):
            client = clients.client(service)
            backends.attach(client)
            client.meta.events.register("before-call.*.*", count_call)
        started_cpu, started = time.thread_time(), time.time()
        verifier = RunVerifier(spec=spec, endpoints=MEMORY_ENDPOINTS, clients=clients, ledger=ledger)
        verifier.courier = CourierJournal(
            admin_url=str(MEMORY_ENDPOINTS["courier_url"]),
            method=spec.courier.method,
            url_path=spec.courier.url_path,
            order_id_path=spec.courier.order_id_json_path,
            client=backends.journal_client(),
        )
        if count:
            start_at = time.time() + 3.0  # the producer's imports
            producer = context.Process(
                target=produce, args=(str(ledger.path), run.run_id, rate, count, counter, times, start_at)
            )
            producer.start()
            verifier.verify(run.run_id, sending=lambda: counter.value < count and producer.is_alive())
            verdicts_at = time.time()
            producer.join()
        else:
            until = time.time() + seconds
            verifier.verify(run.run_id, sending=lambda: time.time() < until)
            verdicts_at = time.time()
        verifier.clean_up_items(run.run_id)
        ended = time.time()
        cpu = time.thread_time() - started_cpu - backends.cpu_s
        orders = ledger.orders(run.run_id)
    calls["courier:journal"] = backends.journal_queries
    verified = sum(1 for o in orders if not o.pending)
    good = sum(1 for o in orders if o.chain_verdict is Verdict.GOOD and o.delivery_verdict is Verdict.GOOD)
    last_sent = max((o.sent_at for o in orders if o.sent_at is not None), default=ended)
    late = sorted((o.sent_at - o.planned_at) * 1000 for o in orders if o.sent_at is not None) or [0.0]
    windows = spec.settle_windows()
    hold = max(
        (windows.event or 0) + EVENT_RECEIVE_MARGIN_S if windows.event else EVENT_S,
        (windows.courier or 0) + JOURNAL_MARGIN_S if windows.courier else COURIER_S,
    )
    judged = Counter(judged_as(o) for o in orders)
    return VerifierRun(
        judged=judged,
        rate=rate,
        orders=count,
        verified=verified,
        good=good,
        cpu_s=cpu,
        backends_cpu_s=backends.cpu_s,
        wall_s=ended - started,
        calls=calls,
        drain_s=verdicts_at - last_sent if count else 0.0,
        hold_s=hold,
        late_p95_ms=late[int(0.95 * (len(late) - 1))],
    )


def judged_as(order: Any) -> str:
    """``pending``, the order's failure class (chain's, else delivery's), or ``good``."""
    if order.pending:
        return "pending"
    failure = order.chain_failure or order.delivery_failure
    return failure.value if failure is not None else str(order.chain_verdict.value)


def bench_verifier(rates: list[float], seconds: float, repeats: int, settle: str) -> None:
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="chainprobe-verifier-bench-", dir=shm) as tmp:
        folder = Path(tmp)
        spec_path = spec_file(settle, folder)
        idle = [verifier_run(spec_path, folder, 0, seconds) for _ in range(repeats)]
        idle_ms_per_s = median([1000 * r.cpu_s / r.wall_s for r in idle])
        steps: dict[float, list[VerifierRun]] = {rate: [] for rate in rates}
        for repeat in range(repeats):
            for rate in rates:
                run = verifier_run(spec_path, folder, rate, seconds)
                steps[rate].append(run)
                print(
                    f"  run {repeat + 1} verifier {rate:5g}/s: {run.verified}/{run.orders} verified"
                    f" ({run.good} good),"
                    f" CPU {run.cpu_s:.2f} s (+ backends {run.backends_cpu_s:.2f} s),"
                    f" drain {run.drain_s:.1f} s"
                    f" (hold {run.hold_s:.1f} s), producer late p95 {run.late_p95_ms:.0f} ms,"
                    f" {'sustained' if run.sustained else 'NOT sustained'}"
                )
                print("    judged: " + ", ".join(f"{k} {n}" for k, n in run.judged.most_common()))
    print(
        f"\nVerifier on memory backends (settle windows: {settle}), median of {repeats} runs of {seconds:g} s"
    )
    print(f"  idle {idle_ms_per_s:.1f} CPU-ms/s (no order: a ledger query per 0.5 s pass)")
    for rate, runs in steps.items():
        all_in = median([1000 * r.cpu_s / r.verified for r in runs if r.verified])
        marginal = median(
            [1000 * (r.cpu_s - idle_ms_per_s / 1000 * r.wall_s) / r.verified for r in runs if r.verified]
        )
        aws = median(
            [
                sum(n for k, n in r.calls.items() if k != "courier:journal") / r.verified
                for r in runs
                if r.verified
            ]
        )
        journal = median([r.calls["courier:journal"] / r.verified for r in runs if r.verified])
        sustained = sum(r.sustained for r in runs)
        by_call = Counter[str]()
        for r in runs:
            by_call.update(r.calls)
        per_call = ", ".join(f"{k} {n / sum(r.verified for r in runs):.3f}" for k, n in by_call.most_common())
        print(
            f"  {rate:6g}/s  {all_in:5.2f} CPU-ms/order all-in, {marginal:5.2f} per order beyond idle;"
            f" AWS calls {aws:.3f}/order (+ journal {journal:.3f}); sustained in {sustained}/{len(runs)} runs"
        )
        print(f"           calls per order: {per_call}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--driver-rates", default="25,50,100,200")
    parser.add_argument("--verifier-rates", default="100,300,1000")
    parser.add_argument("--step-seconds", type=float, default=15.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", default="reference", help="'reference' (the spec's windows) or seconds")
    parser.add_argument("--skip-driver", action="store_true")
    parser.add_argument("--skip-verifier", action="store_true")
    args = parser.parse_args()
    if not args.skip_driver:
        rates = [float(r) for r in args.driver_rates.split(",") if r]
        bench_driver(rates, args.step_seconds, args.runs)
    if not args.skip_verifier:
        rates = [float(r) for r in args.verifier_rates.split(",") if r]
        bench_verifier(rates, args.step_seconds, args.runs, args.settle)


if __name__ == "__main__":
    main()
