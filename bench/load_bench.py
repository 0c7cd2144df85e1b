"""Benchmarks the Locust driver: the arrival rate one process sustains against two workers, with CPU use.

Runs its own stack on free loopback ports in a temporary state directory (and ledger), and stops it at
the end. Each step is a constant-rate shape (``--step-seconds`` long) driven exactly as ``chainprobe
load`` drives it (``DriverProcesses``: every order recorded in the ledger before it is sent, its answer
after), without the verifier, so the figures are the client side's:

- *client capacity*: against a WireMock stub on the stack (201 and the order id back, templated):
  the server is fast, so the driver's own limit shows;
- *the chain*: against the reference chain's API (API Gateway, Lambda, DynamoDB, EventBridge), where
  the 2-core machine's stack saturates first.

A rate is *sustained* when at least 98% of the planned orders left and the lateness p95 (send time
minus due time) stayed under 100 ms. CPU is the Locust processes' user + system time over the step's
wall time, their start and stop included (100% = one core); the stack's (LocalStack, the function
processes it reaped, WireMock) is shown next to it.

    .venv/bin/python bench/load_bench.py [--client-rates 50,100,200,400] [--chain-rates 5,10,15,20]
        [--step-seconds 12]

Prints its figures; it asserts nothing (speed is measured here, not in tests).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from own_stack import own_stack
from steady_step import ORDER_STUB, steady_step

from chainprobe.drive.load import LoadSummary
from chainprobe.ledger.store import Ledger
from chainprobe.spec.variables import endpoint_variables
from chainprobe.stacks.local.stack import LocalStack

COOLDOWN_S = 5.0


@dataclass
class Step:
    target: str
    workers: int
    rate: float
    summary: LoadSummary
    client_cpu: float
    stack_cpu: float

    @property
    def answered(self) -> bool:
        """Whether the target kept up too: API p95 within 800 ms and under 1% of requests failed."""
        stats = self.summary.locust
        return stats is not None and (stats.p95_ms or 0) <= 800 and stats.failure_ratio < 0.01

    @property
    def sustained(self) -> bool:
        late = self.summary.lateness_ms
        return self.summary.achieved_ratio >= 0.98 and late is not None and late["p95"] < 100

    def row(self) -> str:
        s, late, stats = self.summary, self.summary.lateness_ms or {}, self.summary.locust
        p95 = f"{stats.p95_ms:6.0f}" if stats is not None and stats.p95_ms is not None else "     -"
        failures = f"{stats.failure_ratio:6.1%}" if stats is not None else "     -"
        processes = "1 process" if self.workers == 0 else f"{self.workers} workers"
        return (
            f"  {processes:<10} {self.rate:6g}/s  sent {s.achieved_rate:7.1f}/s ({s.achieved_ratio:6.1%})"
            f"  late p95 {late.get('p95', float('nan')):7.0f} ms  API p95 {p95} ms  failed {failures}"
            f"  client CPU {self.client_cpu:5.0f}%  stack CPU {self.stack_cpu:5.0f}%"
            f"  {'sustained' if self.sustained else 'NOT sustained'}"
        )


class CpuMeter:
    """Sums user + system CPU seconds of processes, sampled until they exit."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = {}

    def sample(self, pids: list[int]) -> None:
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            self.seconds[pid] = times.user + times.system + times.children_user + times.children_system

    def total(self) -> float:
        return sum(self.seconds.values())


def stack_pids(stack: LocalStack) -> list[int]:
    """LocalStack's and WireMock's processes (their CPU includes the function processes they reaped)."""
    pids = []
    for name in ("localstack", "wiremock"):
        try:
            pids.append(int((stack.config.state_dir / f"{name}.pid").read_text().strip()))
        except (OSError, ValueError):
            continue
    return pids


def run_step(
    *,
    stack: LocalStack,
    endpoints: dict[str, str | int | float],
    target: str,
    workers: int,
    rate: float,
    seconds: float,
    ledger: Ledger,
    folder: Path,
    users_per_rate: float,
) -> Step:
    step = steady_step(
        endpoints=endpoints,
        ledger=ledger,
        folder=folder,
        target=target,
        rate=rate,
        seconds=seconds,
        users_per_rate=users_per_rate,
        workers=workers,
    )
    drivers = step.drivers
    client, server = CpuMeter(), CpuMeter()
    server_pids = stack_pids(stack)
    server.sample(server_pids)
    server_before = server.total()
    drivers.start()
    started = time.monotonic()
    while drivers.running():
        client.sample(list(drivers.pids().values()))
        server.sample(server_pids)
        time.sleep(0.5)
    wall = time.monotonic() - started
    ended = drivers.wait()
    summary = LoadSummary.build(shape=step.shape, orders=ledger.orders(step.run_id), result=ended.result)
    time.sleep(COOLDOWN_S)
    return Step(
        target=target,
        workers=workers,
        rate=rate,
        summary=summary,
        client_cpu=100 * client.total() / wall,
        stack_cpu=100 * (server.total() - server_before) / wall,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--client-rates", default="50,100,200,400")
    parser.add_argument("--chain-rates", default="5,10,15,20")
    parser.add_argument("--step-seconds", type=float, default=12.0)
    args = parser.parse_args()
    client_rates = [float(r) for r in args.client_rates.split(",") if r]
    chain_rates = [float(r) for r in args.chain_rates.split(",") if r]

    steps: list[Step] = []
    with own_stack("load-bench") as own:
        stack, state = own.stack, own.state
        endpoints = endpoint_variables(stack.status())
        courier = str(endpoints["courier_url"])
        httpx.post(f"{courier}/__admin/mappings", json=ORDER_STUB, timeout=10).raise_for_status()
        stub = {**endpoints, "api_url": f"{courier}/bench"}
        with Ledger(Path(state) / "ledger.sqlite") as ledger:
            folder = Path(state) / "load"
            # The stub answers at once: 2 s of answer time per user is plenty. The chain may take
            # up to its API deadline: users for 10 s each, as the shipped shapes have.
            plan = (("stub", client_rates, stub, 2.0), ("chain", chain_rates, endpoints, 10.0))
            for target, rates, where, users_per_rate in plan:
                if target == "chain":  # warm the functions up first: no cold start in the figures
                    run_step(
                        stack=stack,
                        endpoints=where,
                        target="warm-up",
                        workers=0,
                        rate=min(rates),
                        seconds=args.step_seconds,
                        ledger=ledger,
                        folder=folder,
                        users_per_rate=users_per_rate,
                    )
                for workers in (0, 2):
                    for rate in rates:
                        step = run_step(
                            stack=stack,
                            endpoints=where,
                            target=target,
                            workers=workers,
                            rate=rate,
                            seconds=args.step_seconds,
                            ledger=ledger,
                            folder=folder,
                            users_per_rate=users_per_rate,
                        )
                        steps.append(step)
                        print(f"{target:<5}{step.row()}", flush=True)

    print()
    print(f"load bench: constant-rate steps of {args.step_seconds:g} s, {os.cpu_count()} CPUs, Locust driver")
    for target, title in (("stub", "client capacity (WireMock stub)"), ("chain", "against the chain (API)")):
        mine = [s for s in steps if s.target == target]
        if not mine:
            continue
        print(f"{title}:")
        for step in mine:
            print(step.row())
        for workers in (0, 2):
            label = "1 process" if workers == 0 else f"{workers} workers"
            held = [s.rate for s in mine if s.workers == workers and s.sustained]
            print(
                f"  max rate sent on schedule, {label}: {max(held):g}/s"
                if held
                else f"  {label}: none on schedule"
            )
            answered = [s.rate for s in mine if s.workers == workers and s.answered]
            if answered:
                print(f"  max rate answered (API p95 <= 800 ms, < 1% failed), {label}: {max(answered):g}/s")
    print(
        json.dumps(
            {
                "steps": [
                    {
                        "target": s.target,
                        "workers": s.workers,
                        "rate": s.rate,
                        "achieved": round(s.summary.achieved_rate, 2),
                        "sustained": s.sustained,
                        "client_cpu": round(s.client_cpu),
                        "stack_cpu": round(s.stack_cpu),
                    }
                    for s in steps
                ]
            }
        )
    )


if __name__ == "__main__":
    main()
