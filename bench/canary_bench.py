"""Benchmarks the canary: time to verdict, and AWS API calls per verified order against a naive loop.

Runs its own stack on free loopback ports in a temporary state directory (and ledger), and stops it
at the end. After a small warm-up canary:

- time to verdict: ``run_canary`` with 20 orders at 2/s (the default canary), end to end and after
  the last order left, the median of ``--runs`` runs;
- calls per verified order: every AWS API call the run's clients make, counted with a botocore
  ``before-call.*.*`` hook (preflight, capture rule, reads, deletes; retries are not separate calls),
  plus the courier journal's HTTP queries;
- a naive loop next to it: the same canary, each order verified on its own as soon as it was
  answered, with its own calls at the same 0.5 s cadence: GetItem polled until the item is there,
  ReceiveMessage (10 at a time, long polling, other orders' events left in the queue) until its
  event came, one journal query per order (``GET /__admin/requests?since=`` its send time) polled
  until its delivery succeeded. The ratio compares verification calls (reads, receives, deletes,
  journal queries) per verified order.

    .venv/bin/python bench/canary_bench.py [--count 20] [--rate 2] [--runs 3]

Prints its figures; it asserts nothing (speed is measured here, not in tests).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from own_stack import own_stack

from chainprobe.drive.canary import Canary
from chainprobe.ledger.model import OrderRecord, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import open_ledger, run_canary, verifier_for
from chainprobe.spec import load_spec
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import render
from chainprobe.target import Target
from chainprobe.verify.courier import CourierJournal
from chainprobe.verify.verdict import OrderJudge

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "probes" / "orders.yaml"
AWS_SERVICES = ("sts", "dynamodb", "sqs", "events", "cloudwatch")
JOURNAL = "courier:journal"
POLL_INTERVAL = 0.5  # RunVerifier's default pause between passes


class CallCounter:
    """AWS API calls (``service:Operation``) and courier journal queries, counted as they are made."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def on_call(self, event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.add(f"{service}:{operation}")

    def add(self, name: str) -> None:
        with self.lock:
            self.calls[name] += 1

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        """Counts from zero inside the block; the counts are in the yielded Counter afterwards."""
        with self.lock:
            self.calls.clear()
        result: Counter[str] = Counter()
        try:
            yield result
        finally:
            with self.lock:
                result.update(self.calls)

    def hook(self, target: Target) -> None:
        """Registers on every client of the target (they are cached: the run uses these very ones)."""
        for service in AWS_SERVICES:
            target.clients.client(service).meta.events.register("before-call.*.*", self.on_call)
        calls_since = CourierJournal.calls_since
        counter = self

        def counted(journal: CourierJournal, since: float, order_ids: set[str]) -> Any:
            counter.add(JOURNAL)
            return calls_since(journal, since, order_ids)

        CourierJournal.calls_since = counted  # type: ignore[method-assign,assignment]


VERIFICATION = {
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessageBatch",
    "sqs:DeleteMessage",
    JOURNAL,
}


@dataclass
class Measured:
    label: str
    wall_s: float
    after_last_send_s: float
    verified: int
    calls: Counter[str]
    good: int = 0

    def aws(self, only_verification: bool = False) -> int:
        return sum(
            n
            for name, n in self.calls.items()
            if name != JOURNAL and (not only_verification or name in VERIFICATION)
        )

    def verification(self) -> int:
        return sum(n for name, n in self.calls.items() if name in VERIFICATION)

    def per_order(self, calls: int) -> float:
        return calls / self.verified if self.verified else float("nan")


def canary_run(target: Target, spec_path: Path, count: int, rate: float, counter: CallCounter) -> Measured:
    with counter.counting() as calls:
        started = time.time()
        outcome = run_canary(
            spec_path=spec_path, count=count, rate=rate, report_dir=None, say=lambda _m: None, target=target
        )
        ended = time.time()
    orders = outcome.report.orders
    last_sent = max(o.sent_at for o in orders if o.sent_at is not None)
    verified = sum(1 for o in orders if not o.pending and o.chain_verdict is not Verdict.NOT_SENT)
    good = sum(1 for o in orders if o.chain_verdict is Verdict.GOOD and o.delivery_verdict is Verdict.GOOD)
    return Measured("batched", ended - started, ended - last_sent, verified, calls, good)


# -- the naive loop --------------------------------------------------------------------------------


class NaiveVerifier:
    """Verifies one order, each stage with its own calls, polled at the batched verifier's interval
    until seen or overdue: GetItem; ReceiveMessage (10 at a time, long polling, other orders' events
    left visible); one journal query for this order alone (``GET /__admin/requests?since=`` its send
    time, as WireMock's ``/requests/find`` does not say what the stub answered)."""

    def __init__(self, spec: ProbeSpec, target: Target, ledger: Ledger, pause: float) -> None:
        self.spec = spec
        self.pause = pause
        self.judge = OrderJudge(spec, target.endpoints)
        verifier = verifier_for(spec, target, ledger)
        verifier.prepare()  # the same capture rule and queue as the canary's
        assert verifier.capture is not None and verifier.capture.queue_url is not None
        assert verifier.courier is not None and verifier.table is not None
        self.queue_url = verifier.capture.queue_url
        self.table = verifier.table.table
        self.journal = verifier.courier
        self.dynamodb = target.clients.client("dynamodb")
        self.sqs = target.clients.client("sqs")

    def verify(self, record: OrderRecord) -> bool:
        """Whether the order passed every stage (and its delivery succeeded) by the deadlines."""
        sent = record.sent_at or record.planned_at
        deadlines = self.spec.deadlines
        item = self._poll(sent + deadlines.dynamodb, lambda: self._item(record))
        event = self._poll(sent + deadlines.event, lambda: self._event(record.order_id))
        delivered = self._poll(sent + deadlines.courier, lambda: self._delivered(record.order_id, sent))
        return item and event and delivered

    def _poll(self, deadline: float, check: Callable[[], bool]) -> bool:
        while True:
            if check():
                return True
            if time.time() >= deadline:
                return False
            time.sleep(self.pause)

    def _item(self, record: OrderRecord) -> bool:
        assert self.spec.dynamodb is not None
        variables = self.judge.variables(record)
        key = {name: {"S": render(t, variables)} for name, t in self.spec.dynamodb.key.items()}
        return "Item" in self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)

    def _event(self, order_id: str) -> bool:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0
        )
        for message in answer.get("Messages", []):
            if json.loads(message["Body"]).get("detail", {}).get("orderId") == order_id:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                return True
        return False

    def _delivered(self, order_id: str, sent: float) -> bool:
        courier = self.spec.courier
        assert courier is not None
        calls = self.journal.calls_since(sent, {order_id}).get(order_id, [])
        return any(call.succeeded(courier.expected_status, courier.client_timeout_ms) for call in calls)


def naive_run(
    target: Target, spec_path: Path, count: int, rate: float, counter: CallCounter
) -> tuple[Measured, int]:
    """The same canary, each order verified by its own naive loop started when its answer came."""
    spec = load_spec(spec_path)
    with open_ledger() as ledger:
        naive = NaiveVerifier(spec, target, ledger, pause=POLL_INTERVAL)
        run = ledger.create_run(spec_path=str(spec_path), spec_name=spec.name, target=target.name)
        canary = Canary(spec=spec, endpoints=target.endpoints, ledger=ledger, count=count, rate=rate)
        verdicts: list[Future[bool]] = []
        with counter.counting() as calls, ThreadPoolExecutor(max_workers=count) as pool:
            started = time.time()

            def on_sent(seq: int) -> None:
                verdicts.append(pool.submit(naive.verify, ledger.get_order(run.run_id, seq)))

            canary.send(run.run_id, on_sent=on_sent)
            good = sum(1 for verdict in verdicts if verdict.result())
            ended = time.time()
        orders = ledger.orders(run.run_id)
    last_sent = max(o.sent_at for o in orders if o.sent_at is not None)
    return Measured("naive", ended - started, ended - last_sent, len(orders), calls), good


# -- main ------------------------------------------------------------------------------------------


def breakdown(calls: Counter[str], runs: int) -> str:
    return ", ".join(f"{name} {n / runs:g}" for name, n in sorted(calls.items()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with own_stack("canary-bench") as own:
        target = own.target()
        counter = CallCounter()
        counter.hook(target)
        canary_run(target, SPEC, 4, 4.0, counter)  # warm-up: function environments, capture rule

        runs = [canary_run(target, SPEC, args.count, args.rate, counter) for _ in range(args.runs)]
        naive, naive_good = naive_run(target, SPEC, args.count, args.rate, counter)

    total = sum((r.calls for r in runs), Counter())
    verified = sum(r.verified for r in runs)
    aws = sum(r.aws() for r in runs) / verified
    verification = sum(r.verification() for r in runs) / verified
    journal = total[JOURNAL] / verified
    naive_verification = naive.per_order(naive.verification())
    print(f"canary: {args.count} orders at {args.rate:g}/s, {args.runs} run(s) on a running local stack")
    print(
        f"time to verdict (median):   {statistics.median(r.wall_s for r in runs):6.1f} s end to end, "
        f"{statistics.median(r.after_last_send_s for r in runs):5.1f} s after the last order was sent"
        f"   (runs: {', '.join(f'{r.wall_s:.1f}' for r in runs)} s)"
    )
    print(
        f"naive loop:                 {naive.wall_s:6.1f} s end to end, "
        f"{naive.after_last_send_s:5.1f} s after the last order was sent"
    )
    good = sum(r.good for r in runs)
    print(
        f"verified orders:            {verified} batched ({args.runs} run(s), {good} good), "
        f"{naive.verified} naive ({naive_good} good)"
    )
    print("calls per verified order (AWS API + courier journal queries):")
    print(
        f"  batched, verification:    {verification:6.2f}"
        f"   (AWS {verification - journal:.2f} + journal {journal:.2f})"
    )
    print(
        f"  batched, whole run:       {aws + journal:6.2f}"
        "   (adds preflight, capture rule upkeep, item cleanup)"
    )
    print(
        f"  naive, verification:      {naive_verification:6.2f}"
        f"   (AWS {naive.per_order(naive.aws(True)):.2f}"
        f" + journal {naive.per_order(naive.calls[JOURNAL]):.2f})"
    )
    print(f"  ratio naive / batched:    {naive_verification / verification:6.1f}x")
    print(f"  batched calls per run:    {breakdown(total, args.runs)}")
    print(f"  naive calls:              {breakdown(naive.calls, 1)}")


if __name__ == "__main__":
    main()
