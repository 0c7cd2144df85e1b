"""The capture rule: the harness's eyes on the event bus.

A rule on the chain's bus matching the probe's events (scoped to the probe tag, so user traffic is
never copied), targeting an SQS queue the harness reads. Rule and queue are named from the bus and
pattern (``chainprobe-capture-<bus>-<hash>``, at most 64 characters as EventBridge allows; a long bus
name is shortened and given a hash of its own), tagged ``chainprobe:managed``, created idempotently and
reused across runs, so a scheduled canary does not pay for creating them each time.
``capture_cleanup.py`` finds and deletes them (all, one bus's, or one spec's), by prefix and tag,
including those a killed run left behind.

One queue serves every harness that probes the bus with that pattern (another CI job, a load test from a
laptop), each with its own ledger. So the reader settles each message it receives: it *consumes* (deletes)
what it could place, and *releases* what it could not, at once, so the harness that sent that order gets
it; a message nobody consumed within ``UNCLAIMED_HOLD_SECONDS`` is no one's, and the next reader consumes it.

Example::

    rule = CaptureRule(clients, bus="orders", pattern=spec.event.capture_pattern())
    rule.ensure()
    for batch in rule.receive(wait_seconds=1):
        rule.settle(consumed=[e for e in batch if mine(e)], released=[e for e in batch if not mine(e)])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainprobe.stacks.clients import AwsClients

PREFIX = "chainprobe-capture-"
MANAGED_TAG = "chainprobe:managed"
RECEIVE_BATCH = 10  # SQS's maximum per ReceiveMessage
# Short, so that messages a killed verifier had received come back soon for the one that finishes its run.
VISIBILITY_SECONDS = 5
RETENTION_SECONDS = 4 * 3600
# A message released for its owner comes back this soon: short, so the owner's stage lag is not
# stretched; not zero, so the reader that released it does not receive it again within one drain.
RELEASE_SECONDS = 1
# How long a message no harness consumed is left for its owner: a run killed longer ago than this must be
# finished (``chainprobe verify --run``) before another harness on the same queue consumes its events.
UNCLAIMED_HOLD_SECONDS = 15 * 60
MAX_NAME = 64  # EventBridge rule names (SQS queue names allow 80)
_DIGEST = 10
_BUS_ROOM = MAX_NAME - len(PREFIX) - 1 - _DIGEST


@dataclass(frozen=True)
class CapturedEvent:
    """One event copied to the capture queue; ``delivered_at`` is when EventBridge put it there."""

    event: dict[str, Any]
    delivered_at: float
    message_id: str
    receipt_handle: str = ""

    def unclaimed_too_long(self, now: float) -> bool:
        return now - self.delivered_at > UNCLAIMED_HOLD_SECONDS


def resource_name(bus: str, pattern: Mapping[str, object]) -> str:
    """``chainprobe-capture-<bus>-<hash of the pattern>``: the same for the same bus (name or ARN) and
    pattern, whatever the pattern's key order; at most ``MAX_NAME`` characters."""
    digest = hashlib.sha256(json.dumps(pattern, sort_keys=True).encode()).hexdigest()[:_DIGEST]
    name = bus.split("/")[-1]
    safe_bus = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name)
    if len(safe_bus) > _BUS_ROOM:
        bus_digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        safe_bus = f"{safe_bus[: _BUS_ROOM - 7]}-{bus_digest}"
    return f"{PREFIX}{safe_bus}-{digest}"


def queue_policy(queue_arn: str, rule_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "chainprobe-capture",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
    )


class CaptureRule:
    def __init__(self, clients: AwsClients, *, bus: str, pattern: Mapping[str, object]) -> None:
        self.bus = bus
        self.pattern = dict(pattern)
        self.name = resource_name(bus, pattern)
        self.sqs = clients.client("sqs")
        self.events = clients.client("events")
        self.queue_url: str | None = None
        self.emptied = False  # whether the latest drain (``receive``) emptied the queue

    def ensure(self) -> None:
        """Creates the rule, the queue, its policy and the rule's target when missing; a no-op when present.

        The rule comes first: on a bus that does not exist it fails before any queue is created."""
        tags = {MANAGED_TAG: "true", "chainprobe:bus": self.bus}
        rule_arn = self.events.put_rule(
            Name=self.name,
            EventBusName=self.bus,
            EventPattern=json.dumps(self.pattern),
            State="ENABLED",
            Description="chainprobe capture rule: copies probe events to a queue the harness reads",
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )["RuleArn"]
        self.queue_url = self.sqs.create_queue(
            QueueName=self.name,
            Attributes={"MessageRetentionPeriod": str(RETENTION_SECONDS)},
            tags=tags,
        )["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sqs.set_queue_attributes(
            QueueUrl=self.queue_url, Attributes={"Policy": queue_policy(queue_arn, rule_arn)}
        )
        self.events.put_targets(
            Rule=self.name, EventBusName=self.bus, Targets=[{"Id": "capture-queue", "Arn": queue_arn}]
        )

    def receive(self, *, wait_seconds: int = 1, max_batches: int = 100) -> Iterator[list[CapturedEvent]]:
        """Batches (10 at a time, long polling on the first) of what the queue holds now. Settle each
        batch before asking for the next; what is not settled comes back after ``VISIBILITY_SECONDS``.

        A short batch ends the drain (SQS gave what it had, the next pass asks again), and so does a batch
        of messages all received before in this drain (released ones coming back): then ``emptied`` is
        true, every message visible when the drain began was received. A drain that stops at
        ``max_batches`` leaves ``emptied`` false: the queue may hold more.
        """
        if self.queue_url is None:
            raise RuntimeError("CaptureRule.ensure() must run before receive()")
        self.emptied = False
        received: set[str] = set()
        for _ in range(max_batches):
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=RECEIVE_BATCH,
                WaitTimeSeconds=wait_seconds,
                VisibilityTimeout=VISIBILITY_SECONDS,
                AttributeNames=["SentTimestamp"],
            )
            batch = [_captured(message) for message in answer.get("Messages", [])]
            if not batch:
                self.emptied = True
                return
            yield batch
            if len(batch) < RECEIVE_BATCH or all(event.message_id in received for event in batch):
                self.emptied = True
                return
            received.update(event.message_id for event in batch)
            wait_seconds = 0

    def settle(self, *, consumed: Sequence[CapturedEvent], released: Sequence[CapturedEvent]) -> None:
        """Deletes the consumed messages; makes the released ones visible again in ``RELEASE_SECONDS``.
        Any number of each (SQS takes ``RECEIVE_BATCH`` entries per call: they go in chunks)."""
        for start in range(0, len(consumed), RECEIVE_BATCH):
            chunk = consumed[start : start + RECEIVE_BATCH]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": e.receipt_handle} for i, e in enumerate(chunk)],
            )
        for start in range(0, len(released), RECEIVE_BATCH):
            chunk = released[start : start + RECEIVE_BATCH]
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": e.receipt_handle, "VisibilityTimeout": RELEASE_SECONDS}
                    for i, e in enumerate(chunk)
                ],
            )


def _captured(message: dict[str, Any]) -> CapturedEvent:
    try:
        event = json.loads(message["Body"])
    except ValueError:
        event = {}  # not EventBridge's: the queue policy admits only the rule, but a queue can be written to
    return CapturedEvent(
        event=event if isinstance(event, dict) else {},
        delivered_at=int(message["Attributes"]["SentTimestamp"]) / 1000,
        message_id=message["MessageId"],
        receipt_handle=message["ReceiptHandle"],
    )
