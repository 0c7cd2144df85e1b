"""The source material's courier scenario on a running local stack, flow control on or off (issue 12, item 5).

A measurement by hand beside the command (``chainprobe canary|load --flow-control on|off``). It sets the
DeliveryHandler mapping as the template's flow control has it (on: BatchSize 5, MaximumConcurrency 2) or
without it (off: BatchSize 10, no ScalingConfig), loads the slow courier profile (20% immediate
failures, 0-2 s, 10 requests/s with a burst of 10), sends N ``OrderCreated`` events onto the delivery
queue at R/s, waits until every order is delivered or the deadline passes, and prints the delivery SLO
(delivered within 30 s), the courier's load against its limit (``chainprobe.measure.courier_load``),
retries and the DLQ.

    export CHAINPROBE_LOCALSTACK_PORT=4700 CHAINPROBE_COURIER_PORT=8200
    CHAINPROBE_LAMBDA_CONCURRENCY=24 .venv/bin/chainprobe up
    .venv/bin/python bench/courier_flow_bench.py --flow-control off --orders 200 --rate 40
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid

import boto3
import httpx

from chainprobe.measure.courier_load import courier_load
from chainprobe.stacks import paths
from chainprobe.verify.courier import CourierCall

FLOW_CONTROL = {
    "on": {"BatchSize": 5, "ScalingConfig": {"MaximumConcurrency": 2}},
    "off": {"BatchSize": 10, "ScalingConfig": {}},
}
DELIVERY_DEADLINE_S = 30.0


def journal_calls(courier: str, sent: dict[str, float]) -> list[CourierCall]:
    calls = []
    for event in httpx.get(f"{courier}/__admin/requests", timeout=10).json()["requests"]:
        request = event["request"]
        order_id = (
            json.loads(request["body"] or "{}").get("orderId") if request["url"] == "/deliveries" else None
        )
        if order_id in sent and "totalTime" in event.get("timing", {}):
            at = request["loggedDate"] / 1000
            calls.append(CourierCall(order_id, event["response"]["status"], at, event["timing"]["totalTime"]))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow-control", choices=sorted(FLOW_CONTROL), required=True)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--deadline", type=float, default=240.0)
    args = parser.parse_args()
    endpoint = f"http://127.0.0.1:{os.environ.get('CHAINPROBE_LOCALSTACK_PORT', '4566')}"
    courier = f"http://127.0.0.1:{os.environ.get('CHAINPROBE_COURIER_PORT', '8089')}"
    aws = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    aws |= {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    sqs, lam = boto3.client("sqs", **aws), boto3.client("lambda", **aws)
    [mapping] = lam.list_event_source_mappings(FunctionName="DeliveryHandler")["EventSourceMappings"]
    lam.update_event_source_mapping(UUID=mapping["UUID"], **FLOW_CONTROL[args.flow_control])
    profile = sorted((paths.stubs_dir() / "profiles" / "slow" / "mappings").glob("*.json"))
    stubs = [json.loads(p.read_text()) for p in profile]
    httpx.post(f"{courier}/__admin/mappings/import", json={"mappings": stubs}, timeout=10)
    httpx.post(f"{courier}/__admin/scenarios/reset", timeout=10)
    queue = sqs.get_queue_url(QueueName=mapping["EventSourceArn"].rsplit(":", 1)[1])["QueueUrl"]
    dlq = next(url for url in sqs.list_queues()["QueueUrls"] if "DeliveryDLQ" in url)

    def dlq_depth() -> int:
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    dlq_before = dlq_depth()
    run = uuid.uuid4().hex[:8]
    sent: dict[str, float] = {}
    started = time.time()
    for n in range(args.orders):
        time.sleep(max(0.0, started + n / args.rate - time.time()))
        order_id = f"o-flow-{args.flow_control}-{run}-{n}"
        sent[order_id] = time.time()
        body = {"detail": {"orderId": order_id, "customerId": "c-flow", "items": []}}
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    deadline = started + args.deadline
    while time.time() < deadline:
        calls = journal_calls(courier, sent)
        if len({c.order_id for c in calls if c.status == 201}) == len(sent):
            break
        time.sleep(2)
    calls = sorted(journal_calls(courier, sent), key=lambda c: c.at)
    delivered: dict[str, float] = {}
    for call in calls:
        if call.status == 201 and call.order_id not in delivered:
            delivered[call.order_id] = call.at + call.response_ms / 1000 - sent[call.order_id]
    in_time = sum(1 for seconds in delivered.values() if seconds <= DELIVERY_DEADLINE_S)
    load = courier_load(calls)
    print(f"flow control {args.flow_control}: {args.orders} orders at {args.rate}/s")
    print(f"  delivery SLO: {in_time}/{args.orders} delivered within {DELIVERY_DEADLINE_S:.0f} s")
    print(f"  delivered by the deadline: {len(delivered)}/{args.orders}")
    print(f"  courier: {load.calls} calls, peak {load.peak_per_second}/s against 10/s burst 10,")
    print(f"           {load.refused} refused (429), {load.failed} failed (5xx),")
    print(f"           peak in flight {load.peak_in_flight}")
    print(f"  retries: {load.retries}")
    print(f"  DLQ: +{dlq_depth() - dlq_before}")


if __name__ == "__main__":
    main()
