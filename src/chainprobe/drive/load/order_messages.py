"""The messages a Locust worker and its master exchange about a run's orders (Locust custom messages).

Worker -> master, batched (one message per flush, every ``FLUSH_S`` or ``MAX_BATCH`` items):

- ``chainprobe:intent`` ``{"batch": "w3-17", "orders": [[seq, order_id, planned_at, leave_at], ...]}``:
  orders this worker means to send, none before ``leave_at`` (its due time, or now when the worker is
  late). The master records them (``sent_at`` = ``leave_at``: from then on they may have left) and
  acknowledges; the worker sends none of them before that acknowledgement (write before send).
- ``chainprobe:report`` ``{"batch": "w3-18", "records": [...]}``: what happened to announced orders, one
  record each: ``{"seq", "sent_at"}`` (it leaves now), ``{"seq", "sent_at", "status", "latency_ms",
  "body"}`` (answered), ``{"seq", "sent_at", "failure", "latency_ms", "details"}`` (no HTTP answer) or
  ``{"seq", "skipped": true}`` (never sent: the test stopped, the master went silent, or the ack came
  too late; the master clears its ``sent_at``).

Master -> worker: ``chainprobe:ack`` ``{"batch": "w3-17"}`` once the batch is committed to the ledger.

Batch ids are unique per worker process (its Locust client id and a counter), so a batch sent twice (a
retry whose first copy was not lost after all) is applied twice to the same effect: the master dedupes
intents by order id and every report record sets values, never adds.

Sizes (msgpack, as Locust frames its messages; measured with ``probes/orders.yaml``'s 38-character order
ids and its 74-byte answer body): an intent entry is 62 bytes, a "sent" record 25, an answer record 135
(the body is kept up to ``BODY_LIMIT``), so one order costs about 220 bytes of payload. A message adds
about 55 bytes (batch id, keys) plus Locust's frame (type and client id, about 60); an ack is about 110
bytes in all. A worker sends at most ``2 / FLUSH_S`` = 40 messages/s whatever its rate (an intent batch
and a report batch per flush, each only when something is queued), and gets as many acks: at 10
orders/s that is at most about 30 messages and 3 KB/s each way; at 1,000 orders/s per worker, 40
messages/s carrying about 220 KB/s to the master. The master commits one ledger transaction per intent
batch and one per report record (synchronous=FULL: an fsync each), which bounds it before the messaging
does.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ACK_MESSAGE",
    "FLUSH_S",
    "INTENT_MESSAGE",
    "MAX_BATCH",
    "REPORT_MESSAGE",
    "RETRY_S",
    "Intent",
    "Record",
]

INTENT_MESSAGE = "chainprobe:intent"
REPORT_MESSAGE = "chainprobe:report"
ACK_MESSAGE = "chainprobe:ack"

FLUSH_S = 0.05  # a worker sends what it queued at most this long ago
MAX_BATCH = 200  # items per message, so one message stays well under 64 KiB
RETRY_S = 1.0  # a batch not acknowledged this long after it was sent is sent again

Intent = tuple[int, str, float, float]  # seq, order id, planned at, may leave at (epoch seconds)
Record = dict[str, Any]  # one report record, as above
