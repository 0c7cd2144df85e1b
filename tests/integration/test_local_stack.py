"""The local stack and the reference chain, on the real LocalStack runtime and the real WireMock."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from chainprobe.stacks.exceptions import DeployError
from chainprobe.stacks.local.process import pid_alive
from chainprobe.stacks.local.smoke import courier_saw
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig
from chainprobe.stacks.reference_chain import ChainParameters, ChainStack
from tests.integration.conftest import RunningStack


def new_order(**extra: Any) -> dict[str, Any]:
    return {
        "orderId": f"o-test-{uuid.uuid4().hex[:12]}",
        "customerId": "c-1",
        "items": [{"sku": "w-1", "quantity": 2}],
        "amount": 25.0,
        "probe": {"runId": "itest", "seq": 1},
        **extra,
    }


def get_item(running: RunningStack, order_id: str) -> dict[str, Any] | None:
    result = running.clients.client("dynamodb").get_item(
        TableName=running.endpoints.table, Key={"orderId": {"S": order_id}}, ConsistentRead=True
    )
    item: dict[str, Any] | None = result.get("Item")
    return item


def wait_for(predicate: Any, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def bus_tap(local_stack: RunningStack) -> Iterator[str]:
    """A rule on the chain's bus that copies every OrderCreated event to a fresh queue."""
    sqs = local_stack.clients.client("sqs")
    events = local_stack.clients.client("events")
    name = f"itest-tap-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=name,
        EventBusName=local_stack.endpoints.bus,
        EventPattern=json.dumps({"source": ["orders.api"], "detail-type": ["OrderCreated"]}),
    )
    events.put_targets(
        Rule=name, EventBusName=local_stack.endpoints.bus, Targets=[{"Id": "q", "Arn": queue_arn}]
    )
    yield queue_url
    events.remove_targets(Rule=name, EventBusName=local_stack.endpoints.bus, Ids=["q"])
    events.delete_rule(Name=name, EventBusName=local_stack.endpoints.bus)
    sqs.delete_queue(QueueUrl=queue_url)


def events_on_tap(running: RunningStack, queue_url: str, order_id: str, timeout: float = 15.0) -> list[Any]:
    sqs = running.clients.client("sqs")
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not found:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in messages.get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail"].get("orderId") == order_id:
                found.append(event)
    return found


def post_order(running: RunningStack, order: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{running.endpoints.api_url}/orders", json=order, timeout=30.0)


def test_an_order_reaches_table_bus_and_courier(local_stack: RunningStack, bus_tap: str) -> None:
    order = new_order()
    response = post_order(local_stack, order)

    assert response.status_code == 201, response.text
    assert response.json() == {"orderId": order["orderId"], "status": "CREATED"}
    item = get_item(local_stack, order["orderId"])
    assert item is not None
    assert item["customerId"] == {"S": "c-1"}
    events = events_on_tap(local_stack, bus_tap, order["orderId"])
    assert len(events) == 1
    assert events[0]["detail"]["probe"] == {"runId": "itest", "seq": 1}
    assert wait_for(lambda: courier_saw(local_stack.endpoints.courier_url, order["orderId"]), timeout=60)


def test_get_order_returns_the_stored_order(local_stack: RunningStack) -> None:
    order = new_order()
    assert post_order(local_stack, order).status_code == 201

    found = httpx.get(f"{local_stack.endpoints.api_url}/orders/{order['orderId']}", timeout=30.0)
    missing = httpx.get(f"{local_stack.endpoints.api_url}/orders/o-does-not-exist", timeout=30.0)

    assert found.status_code == 200
    assert found.json()["orderId"] == order["orderId"]
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"customerId": ""},
        {"items": []},
        {"items": [{"sku": "w-1", "quantity": 0}]},
        {"amount": "lots"},
    ],
    ids=["empty-customer", "no-items", "zero-quantity", "amount-not-a-number"],
)
def test_a_malformed_order_gets_400_and_writes_nothing(
    local_stack: RunningStack, bus_tap: str, change: dict[str, Any]
) -> None:
    order = new_order(**change)
    response = post_order(local_stack, order)

    assert response.status_code == 400
    assert response.json()["message"]
    assert get_item(local_stack, order["orderId"]) is None
    assert events_on_tap(local_stack, bus_tap, order["orderId"], timeout=3.0) == []


def redeploy(running: RunningStack, publish_mode: str) -> None:
    config = LocalStackConfig(
        localstack_port=running.config.localstack_port,
        courier_port=running.config.courier_port,
        state_dir=running.config.state_dir,
        publish_mode=publish_mode,
    )
    LocalStack(config, say=print).up()


def test_strict_fails_the_request_and_naive_hides_a_failed_publish(local_stack: RunningStack) -> None:
    strict_order = new_order(chaos=["events-entry-failure"])
    strict = post_order(local_stack, strict_order)
    redeploy(local_stack, "naive")
    try:
        naive_order = new_order(chaos=["events-entry-failure"])
        naive = post_order(local_stack, naive_order)
    finally:
        redeploy(local_stack, "strict")

    assert strict.status_code >= 500
    assert naive.status_code == 201
    # Both orders were written before the publish failed; only naive tells the client all is well.
    assert get_item(local_stack, naive_order["orderId"]) is not None
    time.sleep(5)
    assert not courier_saw(local_stack.endpoints.courier_url, naive_order["orderId"])


@contextmanager
def sleepy_function(running: RunningStack, *, timeout: int) -> Iterator[str]:
    """A function that prints ``event["say"]`` (when given), sleeps ``event["sleep"]`` seconds and answers
    "awake"; deleted afterwards."""
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr(
            "sleepy.py",
            "import time\n\n"
            "def handler(event, context):\n"
            "    if 'say' in event:\n"
            "        print(event['say'])\n"
            "    time.sleep(event.get('sleep', 0))\n"
            "    return 'awake'\n",
        )
    lam = running.clients.client("lambda")
    name = f"itest-sleepy-{uuid.uuid4().hex[:6]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Handler="sleepy.handler",
        Role="arn:aws:iam::000000000000:role/lambda-role",
        Code={"ZipFile": code.getvalue()},
        Timeout=timeout,
    )
    try:
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
        yield name
    finally:
        lam.delete_function(FunctionName=name)


def test_a_function_past_its_timeout_is_stopped_and_reported(local_stack: RunningStack) -> None:
    lam = local_stack.clients.client("lambda")
    said = f"going to sleep {uuid.uuid4().hex}"
    with sleepy_function(local_stack, timeout=2) as name:
        started = time.monotonic()
        slow = lam.invoke(FunctionName=name, Payload=json.dumps({"say": said, "sleep": 10}))
        elapsed = time.monotonic() - started
        after = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 0}))

    error = json.loads(slow["Payload"].read())
    assert slow.get("FunctionError") == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in error["errorMessage"]
    assert elapsed < 8, f"the invocation was not cut at its timeout ({elapsed:.1f} s)"
    assert "FunctionError" not in after
    assert json.loads(after["Payload"].read()) == "awake"
    # As on AWS, what the handler printed is in its log group, followed by the timeout line.
    logs = local_stack.clients.client("logs")

    def logged() -> list[str]:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [e["message"].rstrip("\n") for e in events]

    assert wait_for(lambda: any("Task timed out after 2.00 seconds" in m for m in logged()), timeout=20)
    messages = logged()
    printed = messages.index(said)
    timed_out = next(i for i, m in enumerate(messages) if "Task timed out after 2.00 seconds" in m)
    assert printed < timed_out, messages
    assert any(m.startswith("REPORT RequestId:") and "Status: timeout" in m for m in messages), messages


def test_past_the_account_concurrency_invocations_are_throttled_at_once_and_the_stack_recovers(
    local_stack: RunningStack,
) -> None:
    """The local account's limit: a burst beyond what the machine can run is refused, not queued."""
    limit = local_stack.config.lambda_concurrency
    extra = 4
    # One attempt each (botocore would retry a throttle), and a connection for every caller.
    lam = boto3.client(
        "lambda",
        endpoint_url=local_stack.config.aws_endpoint_url,
        region_name=local_stack.clients.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=limit + extra),
    )

    def invoke(name: str) -> tuple[str, float]:
        started = time.monotonic()
        try:
            lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 4}))
        except lam.exceptions.TooManyRequestsException:
            return "throttled", time.monotonic() - started
        return "ran", time.monotonic() - started

    with sleepy_function(local_stack, timeout=30) as name:
        with ThreadPoolExecutor(max_workers=limit + extra) as pool:
            outcomes = list(pool.map(invoke, [name] * (limit + extra)))
        after = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 0}))

    throttled = [elapsed for outcome, elapsed in outcomes if outcome == "throttled"]
    # The chain's own functions may hold a slot or two (deliveries of earlier tests).
    assert extra <= len(throttled) <= extra + 2, outcomes
    assert max(throttled) < 3.0, f"a throttled invocation waited: {outcomes}"
    assert "FunctionError" not in after
    assert post_order(local_stack, new_order()).status_code == 201


def test_a_function_can_reserve_concurrency_under_the_local_limit(local_stack: RunningStack) -> None:
    lam = local_stack.clients.client("lambda")
    reserve = local_stack.config.lambda_concurrency // 2
    with sleepy_function(local_stack, timeout=3) as name:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserve)
        answer = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 0}))

    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == "awake"


def test_function_output_reaches_cloudwatch_logs(local_stack: RunningStack) -> None:
    order = new_order()
    assert post_order(local_stack, order).status_code == 201
    logs = local_stack.clients.client("logs")

    def logged() -> bool:
        events = logs.filter_log_events(logGroupName="/aws/lambda/OrdersHandler")["events"]
        return any(order["orderId"] in e["message"] for e in events)

    assert wait_for(logged, timeout=20)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_up_twice_reuses_then_down_stops_everything_then_up_again(local_stack: RunningStack) -> None:
    localstack, wiremock = local_stack.stack.servers()
    pids = [localstack.pid(), wiremock.pid()]
    assert None not in pids

    started = time.monotonic()
    local_stack.stack.up()
    reuse_seconds = time.monotonic() - started
    assert [localstack.pid(), wiremock.pid()] == pids
    function_processes = children_of(pids[0] or 0)
    assert function_processes, "the chain's functions should be running as LocalStack's children"

    local_stack.stack.down()
    left = [pid for pid in [*pids, *function_processes] if pid_alive(pid)]
    assert left == []
    assert local_stack.stack.status()["running"] is False

    local_stack.endpoints = local_stack.stack.up()
    assert local_stack.stack.status()["running"] is True
    print(f"up on a running stack took {reuse_seconds:.1f} s")


CHAINPROBE = str(Path(sys.executable).parent / "chainprobe")


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHAINPROBE, *args], env=env, capture_output=True, text=True, timeout=300)


def test_a_taken_port_is_one_line_and_exit_3(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, CHAINPROBE_STATE_DIR=str(tmp_path))
        result = run_cli("up", "--port", str(port), "--courier-port", str(port), env=env)

    assert result.returncode == 3
    assert result.stderr.strip().splitlines()[-1] == (
        f"chainprobe: localstack: port {port} on 127.0.0.1 is already in use"
    )
    assert "Traceback" not in result.stderr


def test_no_java_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = dict(os.environ, CHAINPROBE_STATE_DIR=str(tmp_path), PATH=str(tmp_path))

    result = run_cli("up", env=env)

    assert result.returncode == 2
    assert result.stderr.strip() == "chainprobe: java not found: WireMock needs a Java 11+ runtime on PATH"


def test_a_failed_deploy_names_the_resource_that_failed(local_stack: RunningStack) -> None:
    # A second copy of the chain under another stack name collides with the first one's named resources.
    copy = ChainStack(local_stack.clients, "chainprobe-itest-broken-copy")

    with pytest.raises(DeployError) as failure:
        copy.deploy(ChainParameters(courier_url=local_stack.endpoints.courier_url), say=print, timeout=120)

    message = str(failure.value)
    assert message.startswith("stack chainprobe-itest-broken-copy ended CREATE_FAILED: ")
    assert "CREATE_FAILED" in message.split(": ", 1)[1]
    assert "already exists" in message
    assert post_order(local_stack, new_order()).status_code == 201


def test_the_compose_path_waits_deploys_and_proves_the_chain_on_running_servers(
    local_stack: RunningStack, tmp_path: Path
) -> None:
    # The host's servers stand in for docker-compose.yml's containers: servers that already answer are used
    # as they are (docker compose is not run), and the functions reach the courier on this host instead of
    # http://wiremock:8080. The real containers: test_containers.py.
    config = LocalStackConfig(
        localstack_port=local_stack.config.localstack_port,
        courier_port=local_stack.config.courier_port,
        state_dir=tmp_path,
        containers=True,
        function_courier_url=local_stack.endpoints.courier_url,
    )
    compose = LocalStack(config, say=print)
    localstack, wiremock = local_stack.stack.servers()
    try:
        endpoints = compose.up()
        assert compose.status()["running"] is True
        assert endpoints.api_url == local_stack.endpoints.api_url
        assert compose.down() == []
        assert localstack.pid() is not None and wiremock.pid() is not None
    finally:
        local_stack.endpoints = local_stack.stack.up()  # the session stack's own fault registry URL again
