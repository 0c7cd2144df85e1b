"""Benchmarks the HTML report: its size and render time as a run grows.

Builds synthetic runs (20 orders/s, log-normal latencies, 2% bad of three classes, 1% pending
delivery) of each ``--sizes`` count, and for each prints the time ``build_report`` takes, the time
``render_html`` takes (best of ``--repeat``), and the size of the page. The page stays small because
no chart or table grows with the run: the histogram has ~40 bins, the run is cut into <= 40 buckets,
the timeline shows at most 60 orders and the worst-orders table 10.

    .venv/bin/python bench/html_bench.py [--sizes 1000,10000,100000] [--repeat 3] [--out DIR]

Prints its figures; it asserts nothing (speed is measured here, not in tests). ``--out`` keeps each
page (``report-<count>.html``) to look at.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

from chainprobe.ledger import FailureClass, OrderRecord, Run, RunState, Verdict
from chainprobe.report import build_report, render_html
from chainprobe.spec import parse_spec

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
dynamodb: {table: Orders, key: {orderId: "${order_id}"}}
event: {bus: orders, source: shop.api, detail_type: OrderCreated, order_id_path: detail.orderId}
courier: {admin_url: "${courier_url}", url_path: /deliveries, order_id_json_path: $.orderId}
slo:
  window: 30d
  availability: {objective: 0.995}
  latency: {threshold_ms: 800, percentile: 95}
  delivery: {objective: 0.99, deadline_seconds: 30}
"""
)
CLASSES = (FailureClass.HTTP_5XX, FailureClass.DB_MISSING, FailureClass.EVENT_MISSING)


def synthetic_orders(count: int, seed: int = 7) -> list[OrderRecord]:
    rng = random.Random(seed)
    orders = []
    for seq in range(count):
        sent = 1000.0 + seq / 20
        latency = rng.lognormvariate(5.0, 0.5)
        answered = sent + latency / 1000
        fields: dict[str, Any] = {
            "sent_at": sent,
            "api_at": answered,
            "api_status": 201,
            "api_latency_ms": latency,
            "dynamodb_at": answered + 0.2,
            "event_at": answered + 0.8,
            "courier_at": answered + 2.5,
            "chain_verdict": Verdict.GOOD,
            "delivery_verdict": Verdict.GOOD,
        }
        roll = rng.random()
        if roll < 0.02:
            failure = CLASSES[seq % len(CLASSES)]
            fields.update(chain_verdict=Verdict.BAD, chain_failure=failure, details=f"{failure.value}")
            fields.update(api_status=502 if failure is FailureClass.HTTP_5XX else 201)
        elif roll < 0.03:
            fields.update(courier_at=None, delivery_verdict=Verdict.PENDING)
        orders.append(
            OrderRecord(run_id="r-bench", seq=seq, order_id=f"o-{seq:06d}", planned_at=sent, **fields)
        )
    return orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    print(f"{'orders':>8}  {'build_report':>12}  {'render_html':>11}  {'size':>8}")
    for count in (int(item) for item in args.sizes.split(",")):
        orders = synthetic_orders(count)
        run = Run(
            run_id="r-bench",
            spec_path="bench.yaml",
            spec_name="shop",
            target="local",
            started_at=1000.0,
            ended_at=1000.0 + count / 20 + 30,
            state=RunState.VERIFIED,
        )
        started = time.perf_counter()
        report = build_report(run=run, orders=orders, spec=SPEC)
        built = time.perf_counter() - started
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            page = render_html(report)
            timings.append(time.perf_counter() - started)
        size = len(page.encode("utf-8"))
        print(f"{count:>8}  {built * 1000:>9.0f} ms  {min(timings) * 1000:>8.0f} ms  {size / 1024:>5.0f} KiB")
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"report-{count}.html").write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
