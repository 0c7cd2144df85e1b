"""Fault injection on the real local stack: every fault hits exactly the orders the log names.

Ground truth per order: the API's answer, the DynamoDB item, the OrderCreated event (a tap rule on
the bus), the courier's request journal (WireMock) and the fault log (``/_chainprobe/faults/log``).
Every test clears the faults it set; the log is shared by the session, so each test reads only the
entries of its own order ids (or of its own time window).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from chainprobe.stacks.local.faults import FaultRegistryClient, FiredFault
from tests.integration.conftest import CONFIG_TTL_S, RunningStack, fault_order, free_port

ROOT = Path(__file__).resolve().parents[2]
CHAINPROBE = str(Path(sys.executable).parent / "chainprobe")
LATENCY_S = 1.5  # HANDLER_LATENCY_MS default in chain/functions/orders/app.py
ATTEMPTS = 3  # DeliveryHandler MAX_ATTEMPTS, and the OrdersHandler's botocore attempts
DEFAULT_STUB = "c0c0a000-0000-4000-8000-000000000001"
COURIER_STUBS = {
    "courier-5xx": ("c0c0a000-0000-4000-8000-000000000011", 503),
    "courier-slow": ("c0c0a000-0000-4000-8000-000000000012", 201),  # after 6 s: past the 5 s timeout
    "courier-reset": ("c0c0a000-0000-4000-8000-000000000013", None),  # connection reset, no status
    "courier-429": ("c0c0a000-0000-4000-8000-000000000014", 429),
}


# ------------------------------------------------------------------ fixtures and helpers


def new_order(tag: str, chaos: list[str] | None = None) -> dict[str, Any]:
    return fault_order("fault", tag, chaos)


@dataclass
class Answer:
    status: int
    seconds: float
    body: str


def send(running: RunningStack, orders: Iterable[dict[str, Any]], workers: int = 4) -> dict[str, Answer]:
    """POSTs the orders concurrently; order id -> the API's answer."""

    def post(order: dict[str, Any]) -> tuple[str, Answer]:
        started = time.monotonic()
        response = httpx.post(f"{running.endpoints.api_url}/orders", json=order, timeout=30.0)
        return order["orderId"], Answer(response.status_code, time.monotonic() - started, response.text)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(post, list(orders)))


def has_item(running: RunningStack, order_id: str) -> bool:
    answer = running.clients.client("dynamodb").get_item(
        TableName=running.endpoints.table, Key={"orderId": {"S": order_id}}, ConsistentRead=True
    )
    return "Item" in answer


def logged(registry: FaultRegistryClient, order_ids: Iterable[str], since: float) -> list[FiredFault]:
    ids = set(order_ids)
    return [entry for entry in registry.log(since=since) if entry.order_id in ids]


def wait_for(predicate: Any, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@dataclass
class BusTap:
    """A rule on the chain's bus copying every OrderCreated event to a queue; counts them per order."""

    running: RunningStack
    queue_url: str
    seen: Counter[str] = field(default_factory=Counter)

    def drain(self, expect: Iterable[str] = (), timeout: float = 15.0, settle: float = 2.0) -> Counter[str]:
        """Reads the queue until every ``expect`` id was seen, then ``settle`` seconds more."""
        sqs = self.running.clients.client("sqs")
        wanted = set(expect)
        deadline = time.monotonic() + timeout
        settled_at: float | None = None
        while time.monotonic() < deadline:
            answer = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in answer.get("Messages", []):
                self.seen[json.loads(message["Body"])["detail"].get("orderId")] += 1
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            if wanted <= set(self.seen):
                settled_at = settled_at or time.monotonic()
                if time.monotonic() - settled_at >= settle:
                    break
        return self.seen


@pytest.fixture(scope="module")
def bus_tap(local_stack: RunningStack) -> Iterator[BusTap]:
    sqs = local_stack.clients.client("sqs")
    events = local_stack.clients.client("events")
    bus = local_stack.endpoints.bus
    name = f"itest-faults-tap-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=name,
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["orders.api"], "detail-type": ["OrderCreated"]}),
    )
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    try:
        yield BusTap(local_stack, queue_url)
    finally:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=["q"])
        events.delete_rule(Name=name, EventBusName=bus)
        sqs.delete_queue(QueueUrl=queue_url)


@dataclass(frozen=True)
class CourierCall:
    """One request in WireMock's journal and what the courier answered it."""

    order_id: str
    chaos: tuple[str, ...]
    stub_id: str | None
    status: int | None
    fault: str | None


def courier_calls(running: RunningStack, order_ids: Iterable[str]) -> dict[str, list[CourierCall]]:
    """The courier's journal for these orders: order id -> its POST /deliveries, oldest first.

    Read with httpx, not the wiremock client (stacks/courier_admin.py): its journal model drops each
    entry's ``response`` and ``stubMapping``, which say what the stub answered and which stub did."""
    ids = set(order_ids)
    answer = httpx.get(f"{running.endpoints.courier_url}/__admin/requests", timeout=10.0)
    answer.raise_for_status()
    calls: dict[str, list[CourierCall]] = {order_id: [] for order_id in ids}
    for event in answer.json()["requests"]:
        request = event["request"]
        if request.get("url") != "/deliveries":
            continue
        try:
            body = json.loads(request.get("body") or "{}")
        except ValueError:
            continue
        if body.get("orderId") not in ids:
            continue
        response = event.get("response") or {}
        calls[body["orderId"]].append(
            CourierCall(
                order_id=body["orderId"],
                chaos=tuple(body.get("chaos") or ()),
                stub_id=(event.get("stubMapping") or {}).get("id"),
                status=None if response.get("fault") else response.get("status"),
                fault=response.get("fault"),
            )
        )
    for found in calls.values():
        found.reverse()  # the journal lists the newest first
    return calls


def summary(entries: Iterable[FiredFault]) -> Counter[tuple[str, str | None, str]]:
    return Counter((e.fault, e.order_id, e.trigger) for e in entries)


# ------------------------------------------------------------------ faults by marker: API, table, bus

# fault -> (API status, item written, event published, log entries per marked order)
MARKER_OUTCOMES = {
    "lambda-exception": (502, False, False, 1),
    "handler-500": (500, False, False, 1),
    "malformed-response": (502, False, False, 1),
    "handler-latency": (201, True, True, 1),
    "dynamodb-throttle": (503, False, False, ATTEMPTS),  # one throttle per botocore attempt
    "events-entry-failure": (502, True, False, 1),  # strict mode; the item was written first
}


@pytest.mark.parametrize("fault", list(MARKER_OUTCOMES))
def test_a_marked_fault_hits_exactly_the_marked_orders(
    local_stack: RunningStack, faults: FaultRegistryClient, bus_tap: BusTap, fault: str
) -> None:
    status, item_written, published, per_order = MARKER_OUTCOMES[fault]
    tag = fault.replace("-", "")
    marked = [new_order(tag, [fault]) for _ in range(2)]
    # Unmarked orders, one carrying another layer's marker: it must pass this layer untouched.
    unmarked = [new_order(tag), new_order(tag, ["not-a-fault"]), new_order(tag)]
    orders = [unmarked[0], marked[0], unmarked[1], marked[1], unmarked[2]]
    since = time.time()

    answers = send(local_stack, orders)

    marked_ids = [o["orderId"] for o in marked]
    unmarked_ids = [o["orderId"] for o in unmarked]
    assert {i: answers[i].status for i in marked_ids} == dict.fromkeys(marked_ids, status)
    assert {i: answers[i].status for i in unmarked_ids} == dict.fromkeys(unmarked_ids, 201)
    assert {i: has_item(local_stack, i) for i in marked_ids} == dict.fromkeys(marked_ids, item_written)
    assert all(has_item(local_stack, i) for i in unmarked_ids)
    seen = bus_tap.drain(expect=unmarked_ids + (marked_ids if published else []))
    assert {i: seen[i] for i in marked_ids} == dict.fromkeys(marked_ids, 1 if published else 0)
    assert {i: seen[i] for i in unmarked_ids} == dict.fromkeys(unmarked_ids, 1)
    if fault == "handler-latency":
        assert min(answers[i].seconds for i in marked_ids) >= LATENCY_S
        assert max(answers[i].seconds for i in unmarked_ids) < LATENCY_S

    entries = logged(faults, marked_ids + unmarked_ids, since)
    assert summary(entries) == Counter({(fault, i, "marker"): per_order for i in marked_ids})
    assert all(since <= e.at <= time.time() for e in entries)


# ------------------------------------------------------------------ courier faults by marker


@pytest.mark.parametrize("fault", list(COURIER_STUBS))
def test_a_marked_courier_fault_hits_every_attempt_of_the_marked_order_only(
    local_stack: RunningStack, faults: FaultRegistryClient, quiet_delivery_queue: None, fault: str
) -> None:
    stub_id, status = COURIER_STUBS[fault]
    tag = fault.replace("-", "")
    marked = new_order(tag, [fault])
    unmarked = [new_order(tag), new_order(tag)]
    since = time.time()

    answers = send(local_stack, [unmarked[0], marked, unmarked[1]])

    assert {a.status for a in answers.values()} == {201}
    ids = [marked["orderId"]] + [o["orderId"] for o in unmarked]
    expected_calls = {marked["orderId"]: [((fault,), stub_id, status)] * ATTEMPTS} | {
        o["orderId"]: [((), DEFAULT_STUB, 201)] for o in unmarked
    }

    def journal() -> dict[str, list[tuple[tuple[str, ...], str | None, int | None]]]:
        return {
            i: [(c.chaos, c.stub_id, c.status) for c in calls]
            for i, calls in courier_calls(local_stack, ids).items()
        }

    # A batch holds this one marked record at most, so all of its attempts fit in one invocation.
    assert wait_for(lambda: len(logged(faults, ids, since)) >= ATTEMPTS, timeout=90)
    wait_for(lambda: journal() == expected_calls, timeout=30)
    time.sleep(2)  # nothing more may come: the failed record is redelivered only after 360 s

    entries = logged(faults, ids, since)
    assert summary(entries) == Counter({(fault, marked["orderId"], "marker"): ATTEMPTS})
    assert [e.detail.get("attempt") for e in entries] == [1, 2, 3]
    # The courier's journal agrees call for call: each logged attempt got the fault's answer, and
    # the unmarked orders were answered by the plain stub, once.
    assert journal() == expected_calls
    if fault == "courier-reset":
        calls = courier_calls(local_stack, ids)[marked["orderId"]]
        assert {c.fault for c in calls} == {"CONNECTION_RESET_BY_PEER"}


# ------------------------------------------------------------------ faults by rate


def test_handler_500_at_rate_half_fires_on_exactly_the_logged_orders(
    local_stack: RunningStack, faults: FaultRegistryClient
) -> None:
    faults.set("handler-500", 0.5)
    time.sleep(CONFIG_TTL_S)
    orders = [new_order("rate500") for _ in range(20)]
    since = time.time()

    answers = send(local_stack, orders)

    ids = [o["orderId"] for o in orders]
    answered_500 = {i for i in ids if answers[i].status == 500}
    assert {answers[i].status for i in ids} <= {201, 500}
    entries = logged(faults, ids, since)
    assert summary(entries) == Counter({("handler-500", i, "rate"): 1 for i in answered_500})
    assert 0 < len(answered_500) < 20  # P(all or none) = 2 x 0.5^20
    assert not any(has_item(local_stack, i) for i in answered_500)
    assert all(has_item(local_stack, i) for i in set(ids) - answered_500)


def test_dynamodb_throttle_at_rate_half_fails_exactly_the_orders_throttled_three_times(
    local_stack: RunningStack, faults: FaultRegistryClient
) -> None:
    faults.set("dynamodb-throttle", 0.5)
    orders = [new_order("ratethrottle") for _ in range(16)]
    since = time.time()

    answers = send(local_stack, orders)

    ids = [o["orderId"] for o in orders]
    entries = logged(faults, ids, since)
    throttles = Counter(e.order_id for e in entries)
    assert {e.trigger for e in entries} == {"rate"}
    assert sum(throttles.values()) > 0
    for order_id in ids:
        # botocore retries a throttled PutItem: the order fails only when all 3 attempts were throttled.
        expected = 503 if throttles[order_id] == ATTEMPTS else 201
        assert (order_id, answers[order_id].status) == (order_id, expected)
        assert throttles[order_id] <= ATTEMPTS
        assert has_item(local_stack, order_id) is (expected == 201)


def test_events_entry_failure_at_rate_half_fails_exactly_the_logged_orders(
    local_stack: RunningStack, faults: FaultRegistryClient, bus_tap: BusTap
) -> None:
    faults.set("events-entry-failure", 0.5)
    orders = [new_order("rateevents") for _ in range(12)]
    since = time.time()

    answers = send(local_stack, orders)

    ids = [o["orderId"] for o in orders]
    failed = {i for i in ids if answers[i].status == 502}
    assert {answers[i].status for i in ids} <= {201, 502}
    assert summary(logged(faults, ids, since)) == Counter(
        {("events-entry-failure", i, "rate"): 1 for i in failed}
    )
    seen = bus_tap.drain(expect=set(ids) - failed)
    assert {i: seen[i] for i in ids} == {i: 0 if i in failed else 1 for i in ids}


def test_a_courier_fault_by_rate_is_logged_per_attempt_as_the_courier_saw_it(
    local_stack: RunningStack, faults: FaultRegistryClient, quiet_delivery_queue: None
) -> None:
    faults.set("courier-5xx", 1.0)
    time.sleep(CONFIG_TTL_S)
    order = new_order("ratecourier")
    since = time.time()

    assert send(local_stack, [order])[order["orderId"]].status == 201
    assert wait_for(lambda: len(logged(faults, [order["orderId"]], since)) >= ATTEMPTS, timeout=60)
    faults.clear()
    assert wait_for(lambda: len(courier_calls(local_stack, [order["orderId"]])[order["orderId"]]) >= 3, 15)

    entries = logged(faults, [order["orderId"]], since)
    assert summary(entries) == Counter({("courier-5xx", order["orderId"], "rate"): ATTEMPTS})
    calls = courier_calls(local_stack, [order["orderId"]])[order["orderId"]]
    assert [(c.chaos, c.stub_id, c.status) for c in calls] == [
        (("courier-5xx",), COURIER_STUBS["courier-5xx"][0], 503)
    ] * ATTEMPTS


def test_clearing_a_fault_stops_it(local_stack: RunningStack, faults: FaultRegistryClient) -> None:
    faults.set("handler-500", 1.0)
    time.sleep(CONFIG_TTL_S)
    before = [new_order("clear") for _ in range(3)]
    after = [new_order("clear") for _ in range(3)]
    since = time.time()

    first = send(local_stack, before)
    assert faults.clear("handler-500") == {}
    time.sleep(CONFIG_TTL_S)
    second = send(local_stack, after)

    assert {a.status for a in first.values()} == {500}
    assert {a.status for a in second.values()} == {201}
    entries = logged(faults, [o["orderId"] for o in before + after], since)
    assert summary(entries) == Counter({("handler-500", o["orderId"], "rate"): 1 for o in before})


# ------------------------------------------------------------------ the registry's HTTP face


def test_the_registry_answers_the_shape_the_handlers_read_and_refuses_unknown_names(
    local_stack: RunningStack, faults: FaultRegistryClient
) -> None:
    base = f"{local_stack.config.aws_endpoint_url}/_chainprobe/faults"

    assert httpx.put(base, json={"faults": {"courier-429": {"rate": 0.25}, "courier-slow": {}}}).json() == {
        "faults": {"courier-429": {"rate": 0.25}, "courier-slow": {"rate": 1.0}}
    }
    assert httpx.put(f"{base}/handler-latency", json={"rate": 0}).json() == {
        "fault": "handler-latency",
        "rate": 0.0,
    }
    assert httpx.get(base).json() == {
        "faults": {
            "courier-429": {"rate": 0.25},
            "courier-slow": {"rate": 1.0},
            "handler-latency": {"rate": 0.0},
        }
    }
    unknown = httpx.put(f"{base}/handler-5000", json={"rate": 0.5})
    assert unknown.status_code == 400
    assert unknown.json()["message"].startswith("unknown fault 'handler-5000'; known faults: ")
    out_of_range = httpx.put(f"{base}/handler-500", json={"rate": 1.5})
    assert (out_of_range.status_code, out_of_range.json()["message"]) == (
        400,
        "rate must be between 0 and 1, got 1.5",
    )
    assert httpx.put(base, json={"faults": {"nope": {}}}).status_code == 400
    assert httpx.delete(f"{base}/courier-429").json() == {
        "faults": {"courier-slow": {"rate": 1.0}, "handler-latency": {"rate": 0.0}}
    }
    assert httpx.delete(base).json() == {"faults": {}}

    since = time.time()
    entry = {"fault": "courier-5xx", "orderId": f"o-fault-api-{uuid.uuid4().hex[:8]}", "trigger": "rate"}
    posted = httpx.post(f"{base}/log", json=entry)
    assert posted.status_code == 201
    assert posted.json() | {"at": 0} == entry | {"at": 0, "detail": {}}
    assert httpx.post(f"{base}/log", json=entry | {"fault": "bogus"}).status_code == 400
    assert httpx.get(f"{base}/log", params={"since": "yesterday"}).status_code == 400
    drained = httpx.delete(f"{base}/log", params={"since": repr(since)}).json()["log"]
    assert [e["orderId"] for e in drained] == [entry["orderId"]]
    assert faults.log(since=since) == []


# ------------------------------------------------------------------ the command line


def chainprobe(
    running: RunningStack, *args: str, port: int | None = None, state_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINPROBE_")}
    env["CHAINPROBE_STATE_DIR"] = str(state_dir or running.config.state_dir)
    port_args = ["--port", str(port or running.config.localstack_port)]
    return subprocess.run(
        [CHAINPROBE, "fault", *args, *port_args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_fault_command(local_stack: RunningStack, faults: FaultRegistryClient) -> None:
    set_ = chainprobe(local_stack, "set", "handler-500", "--rate", "0.25")
    assert (set_.returncode, set_.stdout.split()) == (0, ["handler-500", "rate", "0.25"])
    assert chainprobe(local_stack, "set", "lambda-exception").returncode == 0
    listed = chainprobe(local_stack, "list", "--json")
    assert json.loads(listed.stdout) == {
        "faults": {"handler-500": {"rate": 0.25}, "lambda-exception": {"rate": 1.0}}
    }
    assert faults.document() == json.loads(listed.stdout)

    cleared = chainprobe(local_stack, "clear", "lambda-exception")
    assert (cleared.returncode, cleared.stdout.split()) == (0, ["handler-500", "rate", "0.25"])
    cleared = chainprobe(local_stack, "clear")
    assert (cleared.returncode, cleared.stdout.strip()) == (0, "no active faults")
    assert faults.active() == {}


def test_the_fault_log_command_shows_and_clears_what_fired(
    local_stack: RunningStack, faults: FaultRegistryClient
) -> None:
    since = time.time()
    order = new_order("cli", ["handler-500"])
    assert send(local_stack, [order])[order["orderId"]].status == 500

    shown = chainprobe(local_stack, "log", "--json", "--since", repr(since))
    assert shown.returncode == 0
    [entry] = [e for e in json.loads(shown.stdout) if e["orderId"] == order["orderId"]]
    assert entry["fault"] == "handler-500" and entry["trigger"] == "marker"
    assert set(entry) == {"fault", "orderId", "trigger", "at", "detail"}
    text = chainprobe(local_stack, "log", "--since", repr(since))
    assert any("handler-500" in line and order["orderId"] in line for line in text.stdout.splitlines())

    drained = chainprobe(local_stack, "log", "--json", "--since", repr(since), "--clear")
    assert order["orderId"] in {e["orderId"] for e in json.loads(drained.stdout)}
    assert json.loads(chainprobe(local_stack, "log", "--json", "--since", repr(since)).stdout) == []


@pytest.mark.parametrize(
    ("args", "code", "starts"),
    [
        (["set", "handler-5000"], 2, "chainprobe: unknown fault 'handler-5000'; known faults: "),
        (["clear", "courier-404"], 2, "chainprobe: unknown fault 'courier-404'; known faults: "),
        (["set", "courier-5xx", "--rate", "1.5"], 2, "chainprobe: rate must be between 0 and 1, got 1.5"),
        (["set", "courier-5xx", "--rate", "-0.5"], 2, "chainprobe: rate must be between 0 and 1, got -0.5"),
        (["set", "courier-5xx", "--rate", "lots"], 2, "chainprobe: argument --rate: invalid float value"),
    ],
)
def test_the_fault_command_refuses_bad_usage_in_one_line(
    local_stack: RunningStack, faults: FaultRegistryClient, args: list[str], code: int, starts: str
) -> None:
    result = chainprobe(local_stack, *args)

    assert result.returncode == code
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(starts)
    assert faults.active() == {}


def test_the_fault_command_without_a_running_stack_exits_3(local_stack: RunningStack, tmp_path: Path) -> None:
    # A state dir of its own: the session stack's state would refuse another port (exit 2).
    result = chainprobe(local_stack, "list", port=free_port(), state_dir=tmp_path)

    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("chainprobe: the local stack is not running")
