"""The canary: N tagged orders at a steady rate, each written to the ledger before it is sent.

Sending is an open model: order ``seq`` leaves at ``start + seq / rate`` whatever happened to the
ones before (a slow chain does not slow the canary down and hide its own latency). Answers are
recorded as they come; the run's verification goes on beside the sending.

Stopping: ``send`` takes a ``stop`` event (the run lifecycle's). Once it is set no new order leaves —
one planned but not yet on its way stays unsent (judged ``not_sent``) — and ``send`` returns after the
answers in flight are recorded. Any error of the sending, in the pacing loop or in a worker sending
one order (the ledger locked, say), sets ``stop`` too and is raised by ``send`` once the in-flight
answers are recorded: a failed sender never passes for a finished one.

Example::

    canary = Canary(spec=spec, endpoints=endpoints, ledger=ledger, count=20, rate=2.0)
    canary.send(run_id)
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from chainprobe.ledger.model import FailureClass
from chainprobe.ledger.store import Ledger
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.request import OrderRequest, ProbeTag, build_order_request
from chainprobe.spec.template import Scalar

BODY_LIMIT = 2000
MAX_IN_FLIGHT = 32

Sent = Callable[[int], None]


class FaultMarkerError(ValueError):
    """Faults were asked for, but the spec says nowhere to mark them."""


@dataclass(frozen=True)
class FaultPlan:
    """Which orders ask the chain to fire which faults: every ``every``-th order (seq 0, every, …)
    carries ``faults`` in the spec's fault marker field, so the ground truth is known per order."""

    faults: tuple[str, ...] = ()
    every: int = 1

    def for_seq(self, seq: int) -> tuple[str, ...]:
        return self.faults if self.faults and seq % self.every == 0 else ()


def order_id_for(run_id: str, seq: int) -> str:
    """Unique, recognisable, and carrying the run: ``o-<run id>-<seq>-<random>``."""
    return f"o-{run_id}-{seq}-{uuid.uuid4().hex[:6]}"


class Canary:
    def __init__(
        self,
        *,
        spec: ProbeSpec,
        endpoints: dict[str, Scalar],
        ledger: Ledger,
        count: int,
        rate: float,
        client: httpx.Client | None = None,
        fault_plan: FaultPlan | None = None,
    ) -> None:
        self.spec = spec
        self.endpoints = endpoints
        self.ledger = ledger
        self.count = count
        self.rate = rate
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(spec.deadlines.api, connect=min(5.0, spec.deadlines.api)),
            limits=httpx.Limits(max_connections=MAX_IN_FLIGHT),
        )
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        self.fault_plan = fault_plan or FaultPlan()
        if self.fault_plan.faults and spec.send.fault_marker_path is None:
            raise FaultMarkerError(
                f"spec {spec.name} has no send.fault_marker_path: its chain takes no markers"
            )

    def send(self, run_id: str, *, on_sent: Sent | None = None, stop: threading.Event | None = None) -> bool:
        """Sends the run's orders, paced, until all are sent or ``stop`` is set; returns once each order
        that left has an answer or a transport failure: true when every order was sent (the run is then
        marked ``sent``). Raises the sending's first error (see the module docstring)."""
        if stop is not None:
            self.stop = stop
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=min(MAX_IN_FLIGHT, max(1, self.count))) as pool:
            try:
                for seq in range(self.count):
                    delay = start + seq / self.rate - time.monotonic()
                    stopped = self.stop.wait(delay) if delay > 0 else self.stop.is_set()
                    if stopped:
                        break
                    self._plan(pool, run_id, seq, on_sent)
            except BaseException:
                self.stop.set()  # the orders queued behind this one stay unsent
                raise
        if self.failure is not None:
            raise self.failure
        if self.stop.is_set():
            return False
        self.ledger.mark_run_sent(run_id)
        return True

    def _plan(self, pool: ThreadPoolExecutor, run_id: str, seq: int, on_sent: Sent | None) -> None:
        tag = ProbeTag(run_id=run_id, seq=seq, order_id=order_id_for(run_id, seq))
        request = build_order_request(self.spec.send, self.endpoints, tag, self.fault_plan.for_seq(seq))
        with self.lock:
            self.ledger.plan_order(run_id, seq=seq, order_id=tag.order_id, planned_at=time.time())
        pool.submit(self._send_one, run_id, seq, request, on_sent)

    def _send_one(self, run_id: str, seq: int, request: OrderRequest, on_sent: Sent | None) -> None:
        """Sends one order unless the run was stopped first; an error stops the run and is kept."""
        if self.stop.is_set():
            return
        try:
            self._send(run_id, seq, request, on_sent)
        except Exception as error:
            with self.lock:
                if self.failure is None:
                    self.failure = error
            self.stop.set()

    def _send(self, run_id: str, seq: int, request: OrderRequest, on_sent: Sent | None) -> None:
        sent_at = time.time()
        with self.lock:
            self.ledger.mark_order_sent(run_id, seq, sent_at=sent_at)
        started = time.perf_counter()
        try:
            response = self.client.request(
                request.method, request.url, headers=request.headers, json=request.body
            )
        except httpx.TimeoutException:
            self._failure(run_id, seq, sent_at, FailureClass.API_TIMEOUT)
        except httpx.TransportError:
            self._failure(run_id, seq, sent_at, FailureClass.CONNECTION_ERROR)
        else:
            latency_ms = (time.perf_counter() - started) * 1000
            with self.lock:
                self.ledger.record_api_answer(
                    run_id,
                    seq,
                    sent_at=sent_at,
                    status=response.status_code,
                    latency_ms=latency_ms,
                    body=response.text[:BODY_LIMIT],
                    answered_at=sent_at + latency_ms / 1000,
                )
        if on_sent is not None:
            on_sent(seq)

    def _failure(self, run_id: str, seq: int, sent_at: float, failure: FailureClass) -> None:
        latency_ms = (time.time() - sent_at) * 1000
        with self.lock:
            self.ledger.record_api_failure(
                run_id, seq, sent_at=sent_at, failure=failure, latency_ms=latency_ms
            )
