"""A run verifier over moto's SQS and EventBridge, with the SQS client wrapped so a test sees (and can
bend) what the verifier does to each message: receive, delete (consume), change visibility (release).

``RecordingSqs`` can lose deletes (the message becomes visible again at once, as SQS redelivers a
message whose delete never landed: the same MessageId, a new receipt handle) and can age messages (their
``SentTimestamp`` set past ``UNCLAIMED_HOLD_SECONDS``). Used by the capture tests of ``RunVerifier``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chainprobe.ledger import Ledger
from chainprobe.spec import parse_spec
from chainprobe.stacks.clients import AwsClients
from chainprobe.verify.capture import PREFIX, UNCLAIMED_HOLD_SECONDS
from chainprobe.verify.run_verifier import RunVerifier

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
event:
  bus: orders
  source: shop.api
  detail_type: OrderCreated
  order_id_path: detail.orderId
  tag_path: detail.probe
deadlines: {api: 30, event: 2}
""",
    source="shop.yaml",
)
ENDPOINTS = {"api_url": "http://api.test"}


def too_many(entries: list[dict[str, Any]], operation: str) -> None:
    """SQS refuses a batch of more than 10 entries (moto does not)."""
    if len(entries) > 10:
        error = {"Code": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Message": str(len(entries))}
        raise ClientError({"Error": error}, operation)


class RecordingSqs:
    """The real (moto) SQS client, recording what the verifier does with each message by MessageId."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.received: Counter[str] = Counter()
        self.deleted: list[str] = []
        self.released: list[tuple[str, int]] = []  # (MessageId, the VisibilityTimeout it was given)
        self.lose_deletes = 0  # the next N delete calls do not land
        self.aged: set[str] = set()  # bodies containing one of these are dated an hour ago
        self._ids: dict[str, str] = {}  # receipt handle -> MessageId
        self._receipts: dict[str, str] = {}  # MessageId -> its latest receipt handle

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.real.receive_message(**kwargs)
        for message in answer.get("Messages", []):
            self.received[message["MessageId"]] += 1
            self._ids[message["ReceiptHandle"]] = message["MessageId"]
            self._receipts[message["MessageId"]] = message["ReceiptHandle"]
            if any(marker in message["Body"] for marker in self.aged):
                long_ago = time.time() - UNCLAIMED_HOLD_SECONDS - 3600
                message["Attributes"]["SentTimestamp"] = str(int(long_ago * 1000))
        return answer

    def come_back_now(self, queue_url: str, message_id: str) -> None:
        """Makes a received (released) message visible again now, as it will be a moment later."""
        receipt = self._receipts[message_id]
        self.real.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)

    def delete_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        too_many(Entries, "DeleteMessageBatch")
        if self.lose_deletes:
            self.lose_deletes -= 1
            visible_now = [{**entry, "VisibilityTimeout": 0} for entry in Entries]
            self.real.change_message_visibility_batch(QueueUrl=QueueUrl, Entries=visible_now)
            return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}
        self.deleted += [self._ids[entry["ReceiptHandle"]] for entry in Entries]
        answer: dict[str, Any] = self.real.delete_message_batch(QueueUrl=QueueUrl, Entries=Entries)
        return answer

    def change_message_visibility_batch(
        self, *, QueueUrl: str, Entries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        too_many(Entries, "ChangeMessageVisibilityBatch")
        self.released += [(self._ids[e["ReceiptHandle"]], e["VisibilityTimeout"]) for e in Entries]
        answer: dict[str, Any] = self.real.change_message_visibility_batch(QueueUrl=QueueUrl, Entries=Entries)
        return answer


@dataclass(frozen=True)
class RecordingClients(AwsClients):
    """moto's clients, SQS wrapped in a ``RecordingSqs``."""

    recording: dict[str, RecordingSqs] = field(default_factory=dict, compare=False)

    def client(self, service: str) -> Any:
        real = super().client(service)
        if service != "sqs":
            return real
        if "sqs" not in self.recording:
            self.recording["sqs"] = RecordingSqs(real)
        return self.recording["sqs"]

    @property
    def sqs(self) -> RecordingSqs:
        recording: RecordingSqs = self.client("sqs")
        return recording


@dataclass
class CaptureWorld:
    """A ledger, the recording clients, and a verifier whose capture queue exists."""

    ledger: Ledger
    clients: RecordingClients
    verifier: RunVerifier
    queue_url: str

    def event(self, order_id: str | None, *, marker: str = "") -> str:
        """Puts an OrderCreated event for ``order_id`` (none: no order id) on the capture queue."""
        detail: dict[str, Any] = {"probe": {"runId": "r-x", "seq": 0}, "marker": marker}
        if order_id is not None:
            detail["orderId"] = order_id
        body = {"version": "0", "source": "shop.api", "detail-type": "OrderCreated", "detail": detail}
        answer = self.clients.sqs.real.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))
        message_id: str = answer["MessageId"]
        return message_id

    def left_in_queue(self) -> int:
        """Messages still in the queue, visible or not (those not deleted)."""
        attributes = self.clients.sqs.real.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )


def sent_order(ledger: Ledger, run_id: str, seq: int, order_id: str) -> float:
    """Plans and sends an order now (no answer yet); returns its send time."""
    now = time.time()
    ledger.plan_order(run_id, seq=seq, order_id=order_id, planned_at=now)
    ledger.mark_order_sent(run_id, seq, sent_at=now)
    return now


def answer_good(ledger: Ledger, run_id: str, seq: int, order_id: str, sent_at: float) -> None:
    body = json.dumps({"orderId": order_id, "status": "CREATED"})
    ledger.record_api_answer(run_id, seq, sent_at=sent_at, status=201, latency_ms=40.0, body=body)


@contextmanager
def capture_world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CaptureWorld]:
    """The world of one test (moto's AWS, a fresh ledger); use as a fixture's body."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws(), Ledger(tmp_path / "ledger.sqlite") as ledger:
        clients = RecordingClients(region="us-east-1")
        clients.client("events").create_event_bus(Name="orders")
        verifier = RunVerifier(
            spec=SPEC, endpoints=dict(ENDPOINTS), clients=clients, ledger=ledger, poll_interval=0.05
        )
        verifier.prepare()
        [queue_url] = clients.sqs.real.list_queues(QueueNamePrefix=PREFIX)["QueueUrls"]
        yield CaptureWorld(ledger=ledger, clients=clients, verifier=verifier, queue_url=queue_url)
