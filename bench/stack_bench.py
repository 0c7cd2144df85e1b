"""Benchmarks the local stack: cold `up`, `up` on a running stack, and the sustained order rate.

Runs its own stack on free loopback ports in a temporary state directory, and stops it at the end.
The rate test is an open model: orders are sent at a fixed arrival rate (not back to back) for a
fixed time per step, rising step by step; a step "holds" when every order got 201 and the API p95
stayed under the latency objective; after the last step, a step at 4/s shows whether the stack recovers
from overload. CPU is the CPU time of the stack's processes (LocalStack, its
function processes, WireMock) over the step's wall time, in cores.

    .venv/bin/python bench/stack_bench.py [--rates 2,4,6,8,10,12,15] [--step-seconds 20]

Prints its figures; it asserts nothing (speed is measured here, not in tests).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from own_stack import own_stack

LATENCY_OBJECTIVE_MS = 800.0
RECOVERY_RATE = 4.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(children)
        frontier = children
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


@dataclass
class Step:
    rate: float
    sent: int
    created: int
    p50_ms: float
    p95_ms: float
    cpu_cores: float

    @property
    def holds(self) -> bool:
        return self.created == self.sent and self.p95_ms <= LATENCY_OBJECTIVE_MS


def send_order(client: httpx.Client, api_url: str, latencies: list[float], lock: threading.Lock) -> bool:
    order = {
        "orderId": f"o-bench-{uuid.uuid4().hex[:12]}",
        "customerId": "c-bench",
        "items": [{"sku": "w-1", "quantity": 1}],
        "amount": 1.0,
    }
    started = time.perf_counter()
    try:
        response = client.post(f"{api_url}/orders", json=order, timeout=10.0)
    except httpx.HTTPError:
        return False
    with lock:
        latencies.append((time.perf_counter() - started) * 1000)
    return response.status_code == 201


def run_step(api_url: str, rate: float, seconds: float, stack_pids: list[int]) -> Step:
    latencies: list[float] = []
    lock = threading.Lock()
    count = int(rate * seconds)
    cpu_before, wall_before = cpu_seconds(stack_pids), time.monotonic()
    with httpx.Client() as client, ThreadPoolExecutor(max_workers=64) as pool:
        futures = []
        start = time.monotonic()
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(send_order, client, api_url, latencies, lock))
        created = sum(1 for f in futures if f.result())
    cpu = (cpu_seconds(stack_pids) - cpu_before) / (time.monotonic() - wall_before)
    return Step(
        rate=rate,
        sent=count,
        created=created,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p95_ms=percentile(latencies, 0.95) if latencies else float("nan"),
        cpu_cores=cpu,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="2,4,6,8,10,12,15")
    parser.add_argument("--step-seconds", type=float, default=20.0)
    args = parser.parse_args()

    with own_stack("stack-bench", start=False) as own:
        stack = own.stack
        started = time.monotonic()
        endpoints = stack.up()
        cold = time.monotonic() - started
        started = time.monotonic()
        stack.up()
        warm = time.monotonic() - started
        print(f"cold up:             {cold:6.1f} s (tools already installed)")
        print(f"up on running stack: {warm:6.1f} s")

        localstack, wiremock = stack.servers()
        roots = [pid for pid in (localstack.pid(), wiremock.pid()) if pid is not None]
        run_step(endpoints.api_url, 2, 5, [])  # warm the function environments
        print(f"{'rate/s':>7} {'sent':>5} {'201':>5} {'p50 ms':>7} {'p95 ms':>7} {'cpu cores':>9}  holds")
        best = 0.0
        for rate in (float(r) for r in args.rates.split(",")):
            pids = [pid for root in roots for pid in process_tree(root)]
            step = run_step(endpoints.api_url, rate, args.step_seconds, pids)
            print(
                f"{step.rate:7.1f} {step.sent:5d} {step.created:5d} {step.p50_ms:7.0f} "
                f"{step.p95_ms:7.0f} {step.cpu_cores:9.2f}  {'yes' if step.holds else 'no'}"
            )
            if not step.holds:
                break
            best = step.rate
        print(f"sustained rate (all created, API p95 <= {LATENCY_OBJECTIVE_MS:.0f} ms): {best:g}/s")
        # Does the stack come back once the overload stops? (Without a concurrency limit it did not.)
        time.sleep(5)
        after = run_step(endpoints.api_url, RECOVERY_RATE, args.step_seconds, [])
        print(
            f"after the last step, at {RECOVERY_RATE:g}/s: {after.created}/{after.sent} created, "
            f"p95 {after.p95_ms:.0f} ms ({'recovered' if after.holds else 'NOT recovered'})"
        )


if __name__ == "__main__":
    main()
