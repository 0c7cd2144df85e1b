"""Each fault moves the AWS service metrics the way AWS would, by exactly as much as the fault log says.

For each fault, one short run on the session's local stack: a few orders marked with the fault and
a few unmarked ones (with the fault also active at a rate where that is cheap), sent inside a
metric window. The fault log then says what happened: which orders were hit, by how many calls.
``EXPECTED`` says, per fault, what AWS would have counted for that, and the window's totals must be
exactly that.

The window keeps other tests' traffic out: it opens on a whole second (or a 10-second period
start) after the previous test is done, closes on a whole second at least a second after the run's
last answer (rules match events asynchronously), and nothing else is sent meanwhile; datapoints
carry the time of their request, not of their flush, and are read with 1-second periods. The
plugins flush every 5 s: once the window is closed one plain "barrier" order is sent, and when its
datapoints are readable in every namespace, so is everything recorded before it (a flush sends the
whole buffer, one PutMetricData per namespace), so the totals are final. Nothing sleeps blindly.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from chainprobe.spec import load_spec
from chainprobe.stacks.local.faults import FaultRegistryClient, FiredFault
from tests.integration.cloudwatch_window import MetricWindow, sleep_until, wait_for_value
from tests.integration.conftest import CONFIG_TTL_S, RunningStack, fault_order
from tests.integration.test_local_stack import redeploy

ROOT = Path(__file__).resolve().parents[2]
ATTEMPTS = 3  # the OrdersHandler's botocore attempts, and DeliveryHandler's MAX_ATTEMPTS
RULE_LAG_S = 1.0  # EventBridge matches rules after PutEvents answered: kept inside the window

# ------------------------------------------------------------------ what is read


@dataclass(frozen=True)
class Stat:
    """One statistic of one CloudWatch metric, summed over the window's 1-second periods."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    stat: str = "Sum"

    @classmethod
    def of(cls, namespace: str, name: str, stat: str = "Sum", **dimensions: str) -> Stat:
        return cls(namespace, name, tuple(dimensions.items()), stat)

    @property
    def label(self) -> str:
        dims = ",".join(value for _, value in self.dimensions)
        return f"{self.namespace} {self.name}{f'({dims})' if dims else ''} {self.stat}"

    def read(self, window: MetricWindow) -> float:
        return window.total(self.namespace, self.name, self.stat, **dict(self.dimensions))


@dataclass(frozen=True)
class Availability:
    """The source material's availability expression (``probes/orders.yaml`` ``metric_math``).

    Read over a window that is exactly one period: every MetricStat gets that period, so the
    expression has one value for the whole run.
    """

    spec: Path = ROOT / "probes" / "orders.yaml"
    label: str = "metric math: availability (probes/orders.yaml)"

    def read(self, window: MetricWindow) -> float:
        metric_math = load_spec(self.spec).metric_math
        assert metric_math is not None
        period = round(window.seconds)
        assert window.start.timestamp() % period == 0, "the window must be one period"
        queries = metric_math.queries()
        for query in queries:
            if "MetricStat" in query:
                query["MetricStat"]["Period"] = period
        answer = window.cloudwatch.get_metric_data(
            MetricDataQueries=queries, StartTime=window.start, EndTime=window.end()
        )
        results = {r["Id"]: r["Values"] for r in answer["MetricDataResults"]}
        [value] = results[metric_math.availability_id]
        return float(value)


API = {"ApiName": "OrdersAPI"}
API_COUNT = Stat.of("AWS/ApiGateway", "Count", **API)
API_4XX = Stat.of("AWS/ApiGateway", "4XXError", **API)
API_5XX = Stat.of("AWS/ApiGateway", "5XXError", **API)
ORDERS_INVOCATIONS = Stat.of("AWS/Lambda", "Invocations", FunctionName="OrdersHandler")
ORDERS_ERRORS = Stat.of("AWS/Lambda", "Errors", FunctionName="OrdersHandler")
DELIVERY_INVOCATIONS = Stat.of("AWS/Lambda", "Invocations", FunctionName="DeliveryHandler")
DELIVERY_STARTS = Stat.of("AWS/Lambda", "ConcurrentExecutions", "SampleCount", FunctionName="DeliveryHandler")
DELIVERY_ERRORS = Stat.of("AWS/Lambda", "Errors", FunctionName="DeliveryHandler")
PUT_ITEM = {"TableName": "Orders", "Operation": "PutItem"}
THROTTLED = Stat.of("AWS/DynamoDB", "ThrottledRequests", **PUT_ITEM)
PUT_ITEM_OK = Stat.of("AWS/DynamoDB", "SuccessfulRequestLatency", "SampleCount", **PUT_ITEM)
USER_ERRORS = Stat.of("AWS/DynamoDB", "UserErrors")  # account and region: no dimensions
ENTRIES = Stat.of("AWS/Events", "PutEventsEntriesCount")  # PutEvents metrics: no dimensions
FAILED_ENTRIES = Stat.of("AWS/Events", "PutEventsFailedEntriesCount")
RULE_MATCHED = Stat.of(
    "AWS/Events", "MatchedEvents", EventBusName="orders", RuleName="OrderCreatedToDelivery"
)
AVAILABILITY = Availability()
ORDERS_DURATION = {"FunctionName": "OrdersHandler"}

# One datapoint of the barrier order in each namespace read: then all of them are flushed.
BARRIER = (API_COUNT, ORDERS_INVOCATIONS, PUT_ITEM_OK, ENTRIES)

# ------------------------------------------------------------------ what the fault log implies

Basis = Literal["sent", "calls", "hit", "unhit", "failed", "passed", "none", "availability"]


@dataclass(frozen=True)
class Truth:
    """One run's ground truth: the orders sent, and what the fault log says the fault did to them."""

    sent: int  # orders sent: each one API request and one OrdersHandler invocation
    calls: int  # log entries: one per call the fault hit (a throttled PutItem attempt, a failed entry...)
    hit: int  # orders the log names
    failed: int  # orders the API answered 5xx because of the fault

    def count(self, basis: Basis) -> float:
        return {
            "sent": self.sent,
            "calls": self.calls,
            "hit": self.hit,
            "unhit": self.sent - self.hit,
            "failed": self.failed,
            "passed": self.sent - self.failed,
            "none": 0,
            # The expression counts 5XXError + Lambda Errors + FailedInvocations over Count.
            "availability": 1 - self.failed / max(self.sent, 1),
        }[basis]


@dataclass(frozen=True)
class Case:
    """One fault's run, and what AWS would count for it (besides ``COMMON``)."""

    fault: str
    moves: Mapping[Stat | Availability, Basis]
    fails_after: int | None = 1  # logged calls that make the API fail one order; None: it never does
    rate: float = 0.0  # also active at this rate during the run (for the unmarked orders)
    marked: int = 2
    plain: int = 6
    publish_mode: str = "strict"
    period: int = 1  # > 1: the run fits in one period of this many seconds (for an expression)
    min_duration_ms: float | None = None  # hit orders' OrdersHandler Duration is at least this, others' less
    downstream: bool = False  # acts after the API answered: the window stays open until deliveries end


# Every run: each order is one request and one invocation; no run sends an invalid order.
COMMON: Mapping[Stat | Availability, Basis] = {API_COUNT: "sent", API_4XX: "none", ORDERS_INVOCATIONS: "sent"}
# The courier is downstream: the API and OrdersHandler never see its faults, and a record that failed
# is a batch item failure (redelivered by SQS), not a Lambda error.
COURIER: Mapping[Stat | Availability, Basis] = {
    API_5XX: "none",
    ORDERS_ERRORS: "none",
    DELIVERY_ERRORS: "none",
    ENTRIES: "sent",
}

EXPECTED: dict[str, Case] = {
    # Answered 500 by the handler itself: the gateway counts a 5XX, Lambda saw a healthy invocation.
    "handler-500": Case(
        "handler-500", rate=0.5, moves={API_5XX: "failed", ORDERS_ERRORS: "none", ENTRIES: "passed"}
    ),
    # Raised: a Lambda error and a 502 at the gateway.
    "lambda-exception": Case(
        "lambda-exception", rate=0.5, moves={API_5XX: "failed", ORDERS_ERRORS: "calls", ENTRIES: "passed"}
    ),
    # Not a proxy response: the gateway answers 502; the invocation itself succeeded.
    "malformed-response": Case(
        "malformed-response", rate=0.5, moves={API_5XX: "failed", ORDERS_ERRORS: "none", ENTRIES: "passed"}
    ),
    # Slow, not wrong: nothing fails, only the hit invocations' Duration shows it.
    "handler-latency": Case(
        "handler-latency",
        rate=0.5,
        plain=4,  # one order a second (or two, when slow)
        fails_after=None,
        min_duration_ms=1500,
        moves={API_5XX: "none", ORDERS_ERRORS: "none", ENTRIES: "sent"},
    ),
    # One ThrottledRequests per throttled attempt (botocore makes 3); an order fails when all 3 were.
    "dynamodb-throttle": Case(
        "dynamodb-throttle",
        rate=0.3,
        fails_after=ATTEMPTS,
        moves={
            THROTTLED: "calls",
            USER_ERRORS: "none",
            PUT_ITEM_OK: "passed",
            API_5XX: "failed",
            ORDERS_ERRORS: "none",
            ENTRIES: "passed",
        },
    ),
    # Strict publishing: a failed entry is answered 502, so the expression sees it.
    "events-entry-failure": Case(
        "events-entry-failure",
        rate=0.5,
        period=10,
        moves={
            FAILED_ENTRIES: "calls",
            ENTRIES: "sent",
            RULE_MATCHED: "unhit",
            API_5XX: "failed",
            ORDERS_ERRORS: "none",
            AVAILABILITY: "availability",
        },
    ),
    # Naive publishing (the source material's bug): the client gets 201, the event is missing (the rule
    # matched only the unhit orders), and the availability expression does not move: it stays 1.
    "events-entry-failure/naive": Case(
        "events-entry-failure",
        rate=0.5,
        period=10,
        publish_mode="naive",
        fails_after=None,
        moves={
            FAILED_ENTRIES: "calls",
            ENTRIES: "sent",
            RULE_MATCHED: "unhit",
            API_5XX: "none",
            ORDERS_ERRORS: "none",
            AVAILABILITY: "availability",
        },
    ),
    **{
        name: Case(name, marked=1, plain=2, fails_after=None, downstream=True, moves=COURIER)
        for name in ("courier-5xx", "courier-slow", "courier-reset", "courier-429")
    },
}


# ------------------------------------------------------------------ one run


@dataclass(frozen=True)
class Run:
    """What one run sent (order id -> the API's answer) and what the fault log says of those orders."""

    case: Case
    window: MetricWindow
    marked: list[str]
    statuses: dict[str, int]
    entries: list[FiredFault]

    def failed_ids(self) -> set[str]:
        """The orders the fault made the API fail: hit by at least ``fails_after`` logged calls."""
        calls = Counter(entry.order_id for entry in self.entries)
        after = self.case.fails_after
        return set() if after is None else {i for i, n in calls.items() if i is not None and n >= after}

    def truth(self) -> Truth:
        hit = {entry.order_id for entry in self.entries}
        return Truth(
            sent=len(self.statuses), calls=len(self.entries), hit=len(hit), failed=len(self.failed_ids())
        )


def post(running: RunningStack, order: dict[str, Any]) -> tuple[str, int]:
    answer = httpx.post(f"{running.endpoints.api_url}/orders", json=order, timeout=30.0)
    return order["orderId"], answer.status_code


def send(running: RunningStack, orders: list[dict[str, Any]], *, one_per_second: bool) -> dict[str, int]:
    """Order id -> HTTP status; four at a time, or each at the start of a second of its own."""
    if not one_per_second:
        with ThreadPoolExecutor(max_workers=4) as pool:
            return dict(pool.map(lambda order: post(running, order), orders))
    statuses = {}
    for order in orders:
        sleep_until(math.ceil(time.time()))
        order_id, status = post(running, order)
        statuses[order_id] = status
    return statuses


def wait_for_deliveries(faults: FaultRegistryClient, window: MetricWindow, marked: list[str]) -> None:
    """Until each marked order's every courier attempt is logged and the deliveries in the window ended.

    ConcurrentExecutions is recorded when an invocation starts, Invocations when it ended: once the
    window holds as many of the second as of the first, no delivery of this run is still running.
    """
    since = window.start.timestamp()
    attempts = wait_for_value(
        lambda: float(min(Counter(e.order_id for e in faults.log(since=since)).get(i, 0) for i in marked)),
        lambda n: n >= ATTEMPTS,
        timeout=120,
    )
    assert attempts == ATTEMPTS, f"not every courier attempt of {marked} was logged"

    def running() -> float:
        started = DELIVERY_STARTS.read(window)
        return started - DELIVERY_INVOCATIONS.read(window) if started >= 1 else math.inf

    assert wait_for_value(running, lambda n: n <= 0, timeout=60) <= 0, "a delivery did not end"


def wait_for_barrier(running: RunningStack, cloudwatch: Any) -> None:
    """Sends one plain order and waits until its datapoints are readable in every namespace."""
    barrier = MetricWindow.from_next_second(cloudwatch)
    _, status = post(running, fault_order("fm", "barrier"))
    assert status == 201
    for stat in BARRIER:
        assert wait_for_value(lambda stat=stat: stat.read(barrier), lambda n: n >= 1) >= 1, stat.label


@contextmanager
def publish_mode(running: RunningStack, mode: str) -> Iterator[None]:
    """The chain redeployed with ``mode`` for the block, strict again afterwards (even on failure)."""
    if mode == "strict":
        yield
        return
    redeploy(running, mode)
    try:
        yield
    finally:
        redeploy(running, "strict")


def run_case(running: RunningStack, faults: FaultRegistryClient, case: Case) -> Run:
    cloudwatch = running.clients.client("cloudwatch")
    tag = case.fault.replace("-", "")
    marked = [fault_order("fm", tag, [case.fault]) for _ in range(case.marked)]
    plain = [fault_order("fm", tag) for _ in range(case.plain)]
    pairs = range(max(len(plain), len(marked)))
    orders = [order for i in pairs for order in plain[i : i + 1] + marked[i : i + 1]]  # interleaved
    if case.rate:
        faults.set(case.fault, case.rate)
        time.sleep(CONFIG_TTL_S)  # the handlers' fault-config cache, not the metrics

    window = MetricWindow.from_next_boundary(cloudwatch, case.period)
    statuses = send(running, orders, one_per_second=case.min_duration_ms is not None)
    cleared_at = time.time()
    faults.clear()
    marked_ids = [order["orderId"] for order in marked]
    if case.downstream:
        wait_for_deliveries(faults, window, marked_ids)
    window = window.close(after=RULE_LAG_S, every=case.period)
    if case.period > 1:
        assert window.seconds == case.period, "the run did not fit in one period"
    sleep_until(cleared_at + CONFIG_TTL_S)  # no rate-drawn fault may hit the barrier
    wait_for_barrier(running, cloudwatch)

    ids = set(statuses)
    entries = [e for e in faults.log(since=window.start.timestamp()) if e.order_id in ids]
    assert {e.fault for e in entries} <= {case.fault}
    assert all(window.start.timestamp() <= e.at < window.end().timestamp() for e in entries)
    return Run(case, window, marked_ids, statuses, entries)


# ------------------------------------------------------------------ the test


@pytest.mark.parametrize("name", list(EXPECTED))
def test_a_fault_moves_the_metrics_by_what_its_log_says(
    local_stack: RunningStack, faults: FaultRegistryClient, quiet_delivery_queue: None, name: str
) -> None:
    case = EXPECTED[name]
    with publish_mode(local_stack, case.publish_mode):  # everything is read before strict is back
        run = run_case(local_stack, faults, case)
        truth = run.truth()
        readings = {**COMMON, **case.moves}
        expected = {reading.label: truth.count(basis) for reading, basis in readings.items()}
        seen = {reading.label: reading.read(run.window) for reading in readings}
        deliveries = DELIVERY_INVOCATIONS.read(run.window)
        durations = check_durations(run, case.min_duration_ms) if case.min_duration_ms else None

    print(f"\n{name}: {truth}, window {run.window.start:%H:%M:%S} + {run.window.seconds:.0f} s")
    for label in expected:
        print(f"  {label}: expected {expected[label]:g}, seen {seen[label]:g}")
    assert set(run.marked) <= {e.order_id for e in run.entries}, "every marked order was hit"
    failed = run.failed_ids()
    assert {i: s >= 500 for i, s in run.statuses.items()} == {i: i in failed for i in run.statuses}
    # Every order not failed was created (a rate-drawn fault may hit every unmarked order too: at rate
    # 0.5, all six at once one run in 64).
    assert {s for i, s in run.statuses.items() if i not in failed} <= {201}
    assert seen == pytest.approx(expected)
    if case.downstream:
        # Every courier call of the marked order was logged, in this window's deliveries.
        assert Counter(e.order_id for e in run.entries) == dict.fromkeys(run.marked, ATTEMPTS)
        assert deliveries >= 1
    if durations is not None:
        slow, hit = durations
        print(f"  Duration >= {case.min_duration_ms:g} ms in seconds {slow}, hit in seconds {hit}")
        assert slow == hit


def check_durations(run: Run, threshold_ms: float) -> tuple[list[int], list[int]]:
    """Each order was sent in a second of its own, so each second holds one Duration: the seconds
    whose Duration is at least ``threshold_ms``, and the seconds the log says the fault hit.
    """
    window = run.window
    count = window.series("AWS/Lambda", "Duration", "SampleCount", **ORDERS_DURATION)
    minima = window.series("AWS/Lambda", "Duration", "Minimum", **ORDERS_DURATION)
    assert set(count.values()) == {1} and len(count) == len(run.statuses), count
    slow = sorted(int(ts.timestamp()) for ts, value in minima.items() if value >= threshold_ms)
    hit = sorted(math.floor(e.at) for e in run.entries)
    return slow, hit
