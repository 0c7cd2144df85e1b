"""The worker's gate, run in a process of its own (importing Locust monkey-patches with gevent):
``python -m tests.unit.load.remote_recorder_cases`` exits 0 when every case holds.

A ``RemoteRecorder`` on a fake worker runner (it keeps the messages sent; the test plays the master):
``plan_sent`` returns only once the order's intent is acknowledged; it returns false, and reports the
order skipped, when the master has been silent for ``SEND_SILENCE_S`` or the test is stopping.
"""

from __future__ import annotations

import time
from typing import Any

import gevent

from chainprobe.drive.load.order_messages import INTENT_MESSAGE, REPORT_MESSAGE
from chainprobe.drive.load.relay import SEND_SILENCE_S, RemoteRecorder


class FakeWorker:
    client_id = "w-test"

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.last_heartbeat_timestamp: float | None = time.time()

    def send_message(self, message_type: str, data: dict[str, Any]) -> None:
        self.sent.append((message_type, data))

    def of(self, message_type: str) -> list[dict[str, Any]]:
        return [data for kind, data in self.sent if kind == message_type]


def waits_for_the_ack() -> None:
    worker = FakeWorker()
    recorder = RemoteRecorder(worker, stopping=lambda: False)  # type: ignore[arg-type]
    recorder.announce(seq=3, order_id="o-3", planned_at=time.time())
    sending = gevent.spawn(recorder.plan_sent, seq=3, order_id="o-3", planned_at=time.time(), sent_at=0.0)
    gevent.sleep(0.3)
    assert not sending.ready(), "plan_sent returned before the master acknowledged the intent"
    (intent,) = worker.of(INTENT_MESSAGE)
    assert [entry[:2] for entry in intent["orders"]] == [[3, "o-3"]]
    assert worker.of(REPORT_MESSAGE) == []
    worker.last_heartbeat_timestamp = time.time()
    recorder.on_ack(intent["batch"])
    assert sending.get(timeout=2) is True
    gevent.sleep(0.2)
    (report,) = worker.of(REPORT_MESSAGE)
    assert [record["seq"] for record in report["records"]] == [3] and "sent_at" in report["records"][0]


def skips_when_the_master_is_silent() -> None:
    worker = FakeWorker()
    worker.last_heartbeat_timestamp = time.time() - SEND_SILENCE_S - 1
    recorder = RemoteRecorder(worker, stopping=lambda: False)  # type: ignore[arg-type]
    assert recorder.plan_sent(seq=5, order_id="o-5", planned_at=time.time(), sent_at=0.0) is False
    gevent.sleep(0.2)
    records = [r for report in worker.of(REPORT_MESSAGE) for r in report["records"]]
    assert records == [{"seq": 5, "skipped": True}]


def skips_when_the_ack_comes_too_late() -> None:
    worker = FakeWorker()
    recorder = RemoteRecorder(worker, stopping=lambda: False, late_limit=0.2)  # type: ignore[arg-type]
    recorder.announce(seq=4, order_id="o-4", planned_at=time.time())
    sending = gevent.spawn(recorder.plan_sent, seq=4, order_id="o-4", planned_at=time.time(), sent_at=0.0)
    gevent.sleep(0.4)
    worker.last_heartbeat_timestamp = time.time()
    recorder.on_ack(worker.of(INTENT_MESSAGE)[0]["batch"])
    assert sending.get(timeout=2) is False


def skips_when_the_test_stops() -> None:
    worker = FakeWorker()
    stopping = {"now": False}
    recorder = RemoteRecorder(worker, stopping=lambda: stopping["now"])  # type: ignore[arg-type]
    sending = gevent.spawn(recorder.plan_sent, seq=6, order_id="o-6", planned_at=time.time(), sent_at=0.0)
    gevent.sleep(0.2)
    worker.last_heartbeat_timestamp = time.time()
    stopping["now"] = True
    assert sending.get(timeout=2) is False


if __name__ == "__main__":
    waits_for_the_ack()
    skips_when_the_master_is_silent()
    skips_when_the_ack_comes_too_late()
    skips_when_the_test_stops()
    print("ok")
