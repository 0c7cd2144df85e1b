"""Backends answering the verifier from memory, for ``harness_bench.py``: the chain's evidence at any rate.

The local chain saturates near 12 orders/s on two cores, so the verifier cannot be measured at 100 or
1,000 orders/s against it. Here the evidence of every order the producer process has sent appears in
memory after fixed delays (item ``ITEM_S``, event ``EVENT_S``, courier call ``COURIER_S`` after the
send) and is read through the verifier's own clients:

- DynamoDB, SQS and EventBridge: each boto3 client of the verifier gets a ``before-send`` handler that
  answers the already serialised request (AWS JSON protocol) with a JSON body, which botocore then
  parses: request building, signing, retries and response parsing are the verifier's real work; only
  the socket and the server are left out. ``BatchGetItem`` returns the items whose time has come;
  the capture queue gives each event once (10 per ``ReceiveMessage``, long polling until the next
  event is due), takes ``DeleteMessageBatch`` and gives back released messages when their visibility
  ends; ``PutRule``/``CreateQueue``/... answer as AWS does.
- The courier journal: an ``httpx.MockTransport`` answering ``GET /__admin/requests?since=`` with the
  calls logged since then, newest first, each a full WireMock journal entry (~2.8 kB, as the real
  stub writes: the verifier parses all of it).

The CPU these backends spend answering (they run in the verifier's thread) is measured
(``Backends.cpu_s``, thread time) so that it can be taken out of the verifier's figure.

Order ids are ``o-<run id>-<seq>-bench`` so that a backend knows an order's seq from its key; the
producer's shared counter and array say how many orders have been sent, and when (``SentClock``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

ITEM_S = 0.05
EVENT_S = 0.3
COURIER_S = 1.0
ACCOUNT = "000000000000"
REGION = "us-east-1"


def bench_order_id(run_id: str, seq: int) -> str:
    return f"o-{run_id}-{seq}-bench"


def seq_of(order_id: str) -> int:
    return int(order_id.rsplit("-", 2)[1])


class Counter(Protocol):
    value: int


class SentClock:
    """When each order was sent: the producer's shared counter (orders sent so far) and send times."""

    def __init__(self, counter: Counter, times: Sequence[float]) -> None:
        self.counter = counter
        self.times = times
        self.at: list[float] = []

    def sync(self, now: float) -> int:
        sent = self.counter.value
        while len(self.at) < sent:
            self.at.append(self.times[len(self.at)])
        return len(self.at)

    def due(self, delay: float, now: float) -> int:
        """How many orders (seq 0 .. n-1) have had their evidence for ``delay`` seconds by ``now``."""
        self.sync(now)
        low, high = 0, len(self.at)
        while low < high:  # the first seq whose time has not come
            mid = (low + high) // 2
            if self.at[mid] + delay <= now:
                low = mid + 1
            else:
                high = mid
        return low


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


class Backends:
    """The chain's evidence for one run, answered from memory; see the module docstring."""

    def __init__(self, run_id: str, counter: Counter, times: Sequence[float]) -> None:
        self.run_id = run_id
        self.clock = SentClock(counter, times)
        self.cpu_s = 0.0
        self.next_event = 0  # the next seq whose event was never received
        self.in_flight: dict[str, tuple[int, float]] = {}  # receipt handle -> (seq, visible again at)
        self.released: deque[str] = deque()
        self.deleted = 0
        self.journal_queries = 0

    # -- wiring --------------------------------------------------------------------------------------

    def attach(self, client: Any) -> None:
        """Answers every call of this boto3 client from memory."""
        client.meta.events.register("before-send", self._answer)

    def journal_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self._journal), timeout=10.0)

    def _timed(self, answer: Callable[[], bytes]) -> bytes:
        started = time.thread_time()
        try:
            return answer()
        finally:
            self.cpu_s += time.thread_time() - started

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        operation = target.rsplit(".", 1)[-1]
        started = time.thread_time()
        body = json.loads(request.body or b"{}")
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            raise NotImplementedError(f"the memory backends do not answer {target}")
        self.cpu_s += time.thread_time() - started
        answer = self._timed(lambda: json.dumps(handler(body)).encode())
        headers = {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, 200, HTTPHeaders.from_dict(headers), _Raw(answer))

    # -- DynamoDB ------------------------------------------------------------------------------------

    def _BatchGetItem(self, body: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        responses: dict[str, list[dict[str, Any]]] = {}
        for table, request in body["RequestItems"].items():
            stored = self.clock.due(ITEM_S, now)
            found = responses.setdefault(table, [])
            for key in request["Keys"]:
                order_id = key["orderId"]["S"]
                if seq_of(order_id) < stored:
                    found.append(self._item(order_id))
        return {"Responses": responses, "UnprocessedKeys": {}}

    def _item(self, order_id: str) -> dict[str, Any]:
        seq = seq_of(order_id)
        return {
            "orderId": {"S": order_id},
            "customerId": {"S": "c-1"},
            "items": {"L": [{"M": {"sku": {"S": "w-1"}, "quantity": {"N": "2"}}}]},
            "amount": {"N": "25.0"},
            "status": {"S": "CREATED"},
            "probe": {"M": {"runId": {"S": self.run_id}, "seq": {"N": str(seq)}}},
            "createdAt": {"S": datetime.now(UTC).isoformat()},
        }

    def _BatchWriteItem(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"UnprocessedItems": {}}

    # -- EventBridge and the capture queue's creation -------------------------------------------------

    def _PutRule(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"RuleArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{body['EventBusName']}/{body['Name']}"}

    def _PutTargets(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def _CreateQueue(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{body['QueueName']}"}

    def _GetQueueAttributes(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["QueueUrl"].rsplit("/", 1)[1]
        return {"Attributes": {"QueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"}}

    def _SetQueueAttributes(self, body: dict[str, Any]) -> dict[str, Any]:
        return {}

    # -- SQS: the capture queue ---------------------------------------------------------------------------

    def _ReceiveMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = int(body.get("MaxNumberOfMessages", 1))
        messages = self._receive(wanted, float(body.get("VisibilityTimeout", 30)))
        wait_until = time.time() + float(body.get("WaitTimeSeconds", 0))
        while not messages and time.time() < wait_until:  # long polling: not CPU
            time.sleep(min(0.05, max(0.0, wait_until - time.time())))
            messages = self._receive(wanted, float(body.get("VisibilityTimeout", 30)))
        return {"Messages": messages} if messages else {}

    def _receive(self, wanted: int, visibility: float) -> list[dict[str, Any]]:
        now = time.time()
        seqs: list[int] = []
        for _ in range(len(self.released)):
            if len(seqs) == wanted:
                break
            handle = self.released.popleft()
            seq, visible_at = self.in_flight.get(handle, (-1, 0.0))
            if seq < 0:
                continue
            if visible_at > now:
                self.released.append(handle)
                continue
            del self.in_flight[handle]
            seqs.append(seq)
        delivered = self.clock.due(EVENT_S, now)
        while len(seqs) < wanted and self.next_event < delivered:
            seqs.append(self.next_event)
            self.next_event += 1
        messages = []
        for seq in seqs:
            handle = f"rh-{seq}-{uuid.uuid4().hex[:8]}"
            self.in_flight[handle] = (seq, now + visibility)
            self.released.append(handle)  # back once its visibility ends, unless deleted
            messages.append(self._message(seq, handle))
        return messages

    def _message(self, seq: int, handle: str) -> dict[str, Any]:
        order_id = bench_order_id(self.run_id, seq)
        sent = self.clock.at[seq] + EVENT_S
        event = {
            "version": "0",
            "id": str(uuid.UUID(int=seq)),
            "detail-type": "OrderCreated",
            "source": "orders.api",
            "account": ACCOUNT,
            "time": datetime.fromtimestamp(sent, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [],
            "detail": {
                "orderId": order_id,
                "customerId": "c-1",
                "items": [{"sku": "w-1", "quantity": 2}],
                "amount": 25.0,
                "status": "CREATED",
                "probe": {"runId": self.run_id, "seq": seq},
            },
        }
        text = json.dumps(event)
        return {
            "MessageId": f"m-{self.run_id}-{seq}",
            "ReceiptHandle": handle,
            "MD5OfBody": hashlib.md5(text.encode()).hexdigest(),
            "Body": text,
            "Attributes": {"SentTimestamp": str(int(sent * 1000))},
        }

    def _DeleteMessageBatch(self, body: dict[str, Any]) -> dict[str, Any]:
        for entry in body["Entries"]:
            if self.in_flight.pop(entry["ReceiptHandle"], None) is not None:
                self.deleted += 1
        return {"Successful": [{"Id": e["Id"]} for e in body["Entries"]], "Failed": []}

    def _ChangeMessageVisibilityBatch(self, body: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        for entry in body["Entries"]:
            handle = entry["ReceiptHandle"]
            if handle in self.in_flight:
                self.in_flight[handle] = (self.in_flight[handle][0], now + float(entry["VisibilityTimeout"]))
        return {"Successful": [{"Id": e["Id"]} for e in body["Entries"]], "Failed": []}

    # -- the courier journal ------------------------------------------------------------------------------

    def _journal(self, request: httpx.Request) -> httpx.Response:
        self.journal_queries += 1
        return httpx.Response(200, content=self._timed(lambda: self._journal_page(request)))

    def _journal_page(self, request: httpx.Request) -> bytes:
        since = datetime.strptime(request.url.params["since"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        start = since.timestamp()
        now = time.time()
        called = self.clock.due(COURIER_S, now)
        at = self.clock.at
        low, high = 0, called  # the first call logged at or after ``since``
        while low < high:
            mid = (low + high) // 2
            if at[mid] + COURIER_S < start:
                low = mid + 1
            else:
                high = mid
        entries = [self._journal_entry(seq, at[seq] + COURIER_S) for seq in range(called - 1, low - 1, -1)]
        return json.dumps({"requests": entries, "meta": {"total": len(entries)}}).encode()

    def _journal_entry(self, seq: int, logged: float) -> dict[str, Any]:
        """A WireMock 3 journal entry as the real courier stub logs a delivery (fields and sizes)."""
        order_id = bench_order_id(self.run_id, seq)
        body = json.dumps(
            {
                "orderId": order_id,
                "customerId": "c-1",
                "items": [{"sku": "w-1", "quantity": 2}],
                "probe": {"runId": self.run_id, "seq": seq},
            }
        )
        answer = json.dumps({"deliveryId": f"d-{uuid.UUID(int=seq)}", "orderId": order_id})
        millis = int(logged * 1000)
        return {
            "id": str(uuid.UUID(int=seq)),
            "request": {
                "url": "/deliveries",
                "absoluteUrl": "http://127.0.0.1:8089/deliveries",
                "method": "POST",
                "clientIp": "127.0.0.1",
                "headers": {
                    "Accept-Encoding": "identity",
                    "Content-Length": str(len(body)),
                    "Host": "127.0.0.1:8089",
                    "User-Agent": "Python-urllib/3.12",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "Connection": "close",
                },
                "cookies": {},
                "browserProxyRequest": False,
                "loggedDate": millis,
                "bodyAsBase64": base64.b64encode(body.encode()).decode(),
                "body": body,
                "protocol": "HTTP/1.1",
                "scheme": "http",
                "host": "127.0.0.1",
                "port": 8089,
                "loggedDateString": datetime.fromtimestamp(logged, UTC).isoformat(),
                "queryParams": {},
                "formParams": {},
            },
            "responseDefinition": {
                "status": 201,
                "jsonBody": {"deliveryId": f"d-{uuid.UUID(int=seq)}", "orderId": order_id},
                "headers": {"Content-Type": "application/json"},
                "transformers": ["response-template"],
            },
            "response": {
                "status": 201,
                "headers": {"Content-Type": "application/json", "Matched-Stub-Id": "c0c0a000"},
                "bodyAsBase64": base64.b64encode(answer.encode()).decode(),
                "body": answer,
            },
            "wasMatched": True,
            "timing": {
                "addedDelay": 0,
                "processTime": 1,
                "responseSendTime": 0,
                "serveTime": 1,
                "totalTime": 1,
            },
            "stubMapping": {
                "id": "c0c0a000-0000-4000-8000-000000000001",
                "name": "courier: accept a delivery (201, echoes the order id)",
                "request": {"urlPath": "/deliveries", "method": "POST"},
                "response": {
                    "status": 201,
                    "jsonBody": {
                        "deliveryId": "d-{{randomValue type='UUID'}}",
                        "orderId": "{{jsonPath request.body '$.orderId'}}",
                    },
                    "headers": {"Content-Type": "application/json"},
                    "transformers": ["response-template"],
                },
                "uuid": "c0c0a000-0000-4000-8000-000000000001",
                "priority": 5,
            },
        }
