"""The source material's courier scenario, flow control off then on, on the real local stack (issue 12,
item 5): the same load through both; without flow control the slow courier's limit is exceeded (429s
in its journal) and deliveries fail and retry; with it the courier's peak rate stays within the limit
and nothing is refused.

The margin comes from the scenario's data, not from timing: both runs queue their whole load on the
delivery queue while its event source is disabled, then enable it, so every poller the mapping is
allowed starts at once on a full queue; the test's copy of the slow profile limits the courier to
7 requests/s with a burst of 4 (the shipped profile: 10 and 10); the test's "off" setting has batch
size 2, so 40 orders make 20 batches, more than the stack's concurrent invocations (8 on two cores):
8 warm handlers call together, within tens of milliseconds: 8 calls > 7/s, and 4 of them past the
burst of 4. "On" is the template's (batch 5, maximum concurrency 2): two calls in flight at most,
each a courier answer of 0-2 s or a failure followed by the handler's 3-8 s wait; 8 calls within a
second would need each of the two handlers to be answered three times in a row within a second.
Before the runs the handler's 8 environments are warmed by deliveries the courier holds 1 s each,
so they overlap (a cold start costs about a CPU-second here, which would spread the released
pollers' first calls over seconds). Every wait is for a condition
(the mapping's state, the queue's depth, the warm-up's deliveries in the journal, the run's end).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from chainprobe.stacks import paths
from tests.integration.conftest import RunningStack
from tests.integration.delivery_mapping import restored_delivery_mapping

CHAINPROBE = str(Path(sys.executable).parent / "chainprobe")
ORDERS = 40
RATE = "20"
LIMIT = {"ratePerSecond": 7, "burst": 4}
WARM_UP = 16  # deliveries of one record each, twice the stack's 8 concurrent invocations
WARM_HOLD_MS = 1000  # each held this long by the courier, so that they overlap: one environment each
WARM_STUB_ID = "c0c0a000-0000-4000-8000-0000000f1001"
RUN_TIMEOUT_S = 150.0  # a bound on a hang, never waited for: a run ends at its last courier deadline
SCENARIO = """\
courier_profile: ./slow-8
function: DeliveryHandler
dlq: DeliveryDLQ
"on": {batch_size: 5, maximum_concurrency: 2}
"off": {batch_size: 2}
"""


def scenario_copy(directory: Path) -> Path:
    """The scenario with a copy of the slow profile whose rate-limit stub says 7/s, burst 4."""
    profile = directory / "slow-8"
    shutil.copytree(paths.stubs_dir() / "profiles" / "slow", profile)
    stub_path = profile / "mappings" / "slow-api-rate-limit.json"
    stub = json.loads(stub_path.read_text())
    stub["response"]["jsonBody"].update(LIMIT)
    stub["metadata"]["chainprobeRateLimit"].update(LIMIT)
    stub_path.write_text(json.dumps(stub))
    path = directory / "flow.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture
def delivery_mapping(local_stack: RunningStack) -> Iterator[dict[str, Any]]:
    """The DeliveryHandler mapping, put back to the template's flow control (and enabled) after the test,
    and the deliveries the "on" run left queued purged, so that no later test's batch holds them."""
    with restored_delivery_mapping(local_stack) as mapping:
        try:
            yield mapping
        finally:
            try:
                sqs = local_stack.clients.client("sqs")
                sqs.purge_queue(QueueUrl=delivery_queue_url(local_stack, mapping))
            except ClientError as e:  # PurgeQueueInProgress: purged less than 60 s ago
                print(f"delivery queue not purged: {e}")


def delivery_queue_url(local_stack: RunningStack, mapping: dict[str, Any]) -> str:
    sqs = local_stack.clients.client("sqs")
    return str(sqs.get_queue_url(QueueName=mapping["EventSourceArn"].rsplit(":", 1)[1])["QueueUrl"])


def warm_delivery_handlers(local_stack: RunningStack, mapping: dict[str, Any]) -> None:
    """WARM_UP one-record deliveries with no maximum concurrency, until the courier answered each 201."""
    lam = local_stack.clients.client("lambda")
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True, BatchSize=1, ScalingConfig={})
    queue = delivery_queue_url(local_stack, mapping)
    prefix = f"o-flow-warm-{uuid.uuid4().hex[:8]}-"
    admin = f"{local_stack.endpoints.courier_url}/__admin"
    held = {
        "id": WARM_STUB_ID,
        "priority": 1,
        "request": {
            "method": "POST",
            "urlPath": "/deliveries",
            "bodyPatterns": [{"matchesJsonPath": {"expression": "$.orderId", "matches": f"{prefix}.*"}}],
        },
        "response": {
            "status": 201,
            "fixedDelayMilliseconds": WARM_HOLD_MS,
            "jsonBody": {"deliveryId": "d-warm"},
        },
    }
    httpx.post(f"{admin}/mappings/import", json={"mappings": [held]}, timeout=10).raise_for_status()
    try:
        send_and_wait(local_stack, queue, prefix)
    finally:
        httpx.delete(f"{admin}/mappings/{WARM_STUB_ID}", timeout=10)


def send_and_wait(local_stack: RunningStack, queue: str, prefix: str) -> None:
    sqs = local_stack.clients.client("sqs")
    for n in range(WARM_UP):
        body = {"detail": {"orderId": f"{prefix}{n}", "customerId": "c-flow", "items": []}}
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    journal = f"{local_stack.endpoints.courier_url}/__admin/requests"
    while True:
        delivered = {
            json.loads(event["request"]["body"] or "{}").get("orderId")
            for event in httpx.get(journal, timeout=10).json()["requests"]
            if event["request"]["url"] == "/deliveries" and event["response"]["status"] == 201
        }
        if sum(1 for n in range(WARM_UP) if f"{prefix}{n}" in delivered) == WARM_UP:
            return
        time.sleep(0.5)


def wait_until(condition: Any, what: str, process: subprocess.Popen[str]) -> None:
    """Polls ``condition`` until it holds; fails at once if the run ended first (it cannot hold then)."""
    while not condition():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the run ended (exit {process.returncode}) before {what}:\n{out}\n{err}")
        time.sleep(0.2)


def run_with_backlog(
    local_stack: RunningStack,
    mapping: dict[str, Any],
    env: dict[str, str],
    *,
    choice: str,
    spec: Path,
    scenario: Path,
    report_dir: Path,
) -> dict[str, Any]:
    """One canary of ORDERS orders with ``--flow-control choice``, its deliveries released at once."""
    lam, sqs = local_stack.clients.client("lambda"), local_stack.clients.client("sqs")
    queue = delivery_queue_url(local_stack, mapping)
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    while lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Disabled":
        time.sleep(0.2)
    command = [CHAINPROBE, "canary", "--spec", str(spec)]
    command += ["--count", str(ORDERS), "--rate", RATE, "--no-metric-math", "--report-dir", str(report_dir)]
    command += ["--flow-control", choice, "--flow-scenario", str(scenario)]
    process = subprocess.Popen(
        command, env=env, cwd=paths.project_root(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    def queued() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"]) >= ORDERS

    wait_until(queued, f"{ORDERS} deliveries were queued", process)
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    out, err = process.communicate(timeout=RUN_TIMEOUT_S)
    assert process.returncode in (0, 1), f"exit {process.returncode}:\n{out}\n{err}"
    assert f"flow control  {choice} (batch" in out  # the terminal's flow lines
    assert "## Courier flow control" in (report_dir / "summary.md").read_text()
    flow: dict[str, Any] = json.loads((report_dir / "flow.json").read_text())
    print(choice, json.dumps({k: flow[k] for k in ("delivery", "courier", "retries", "dlq")}))
    return flow


def test_without_flow_control_the_courier_is_overrun_and_with_it_not(
    local_stack: RunningStack,
    quiet_delivery_queue: None,
    delivery_mapping: dict[str, Any],
    cli_env: dict[str, str],
    quick_spec: Path,
    tmp_path: Path,
) -> None:
    scenario = scenario_copy(tmp_path)
    warm_delivery_handlers(local_stack, delivery_mapping)
    runs = {
        choice: run_with_backlog(
            local_stack,
            delivery_mapping,
            cli_env,
            choice=choice,
            spec=quick_spec,
            scenario=scenario,
            report_dir=tmp_path / choice,
        )
        for choice in ("off", "on")
    }
    off, on = runs["off"], runs["on"]
    for choice, flow in runs.items():
        assert flow["flow_control"] == choice
        assert flow["scenario"]["rate_limit"] == {"per_second": 7.0, "burst": 4}
        assert flow["delivery"]["orders"] == ORDERS
    assert (off["scenario"]["batch_size"], off["scenario"]["maximum_concurrency"]) == (2, None)
    assert (on["scenario"]["batch_size"], on["scenario"]["maximum_concurrency"]) == (5, 2)

    # Without flow control: over the limit, refused, and deliveries retried.
    assert off["courier"]["peak_per_second"] > 7 and off["courier"]["over_limit"] is True
    assert off["courier"]["refused"] > 0
    assert off["retries"]["calls"] > 0
    assert off["delivery"]["delivered"] > 0

    # With it: the peak within the limit and nothing refused.
    assert on["courier"]["peak_per_second"] <= 7 and on["courier"]["over_limit"] is False
    assert on["courier"]["refused"] == 0
    assert on["courier"]["calls"] > 0
