"""The courier's ``client_timeout_ms`` rule and network faults: a delivery is an answer the caller got.

- An answer that took longer than the caller's timeout served nobody: ``courier_failed``, whatever
  status WireMock's journal shows. An answer exactly at the timeout is in time.
- A connection reset (a WireMock ``fault``) is no delivery, though the journal records a 200 for it.
- Without ``client_timeout_ms`` any answer with an expected status is a delivery.

Checked at three levels: ``CourierCall.succeeded``, ``OrderJudge`` on calls, and a ``RunVerifier`` reading
a journal served over HTTP on 127.0.0.1 (its courier stage records a delivery only for a good call).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chainprobe.ledger import FailureClass, Ledger, OrderRecord, Verdict
from chainprobe.spec import ProbeSpec, parse_spec
from chainprobe.stacks.clients import AwsClients
from chainprobe.verify.courier import CourierCall
from chainprobe.verify.run_verifier import RunVerifier
from chainprobe.verify.verdict import Evidence, OrderJudge

TIMEOUT_MS = 2000

SPEC_TEXT = """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
courier:
  admin_url: "${courier_url}"
  url_path: /deliveries
  order_id_json_path: $.orderId
  expected_status: [200, 201]
  client_timeout_ms: 2000
deadlines: {api: 10, courier: 30}
slo:
  availability: {objective: 0.99}
  delivery: {objective: 0.99, deadline_seconds: 20}
"""
SPEC = parse_spec(SPEC_TEXT, source="shop.yaml")
NO_TIMEOUT = parse_spec(SPEC_TEXT.replace("  client_timeout_ms: 2000\n", ""), source="shop.yaml")
T0 = 1_000.0
AFTER_SETTLING = T0 + 60  # past the deadlines and the courier's settle window (the delivery deadline)


# -- CourierCall.succeeded ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "response_ms", "timeout_ms", "succeeded"),
    [
        (200, 40.0, TIMEOUT_MS, True),
        (200, 2000.0, TIMEOUT_MS, True),  # exactly at the timeout: the caller got it
        (200, 2000.5, TIMEOUT_MS, False),  # just after: the caller had given up
        (201, 9000.0, TIMEOUT_MS, False),
        (200, 9000.0, None, True),  # no timeout stated: any expected status in any time
        (500, 40.0, TIMEOUT_MS, False),
        (0, 40.0, TIMEOUT_MS, False),  # no answer (a network fault)
        (202, 40.0, TIMEOUT_MS, False),  # a 2xx that is not expected
    ],
)
def test_a_call_succeeded(status: int, response_ms: float, timeout_ms: float | None, succeeded: bool) -> None:
    call = CourierCall(order_id="o-1", status=status, at=T0, response_ms=response_ms)
    assert call.succeeded((200, 201), timeout_ms) is succeeded


# -- OrderJudge -----------------------------------------------------------------------------------


def chain_good() -> OrderRecord:
    return OrderRecord(
        run_id="r-1",
        seq=0,
        order_id="o-1",
        planned_at=T0,
        sent_at=T0,
        api_at=T0 + 0.1,
        api_status=201,
        api_latency_ms=100.0,
        api_body="{}",
        chain_verdict=Verdict.GOOD,
        delivery_verdict=Verdict.PENDING,
    )


@pytest.mark.parametrize(
    ("spec", "calls", "expected"),
    [
        (SPEC, [(200, 2000.0)], (Verdict.GOOD, None)),
        (SPEC, [(200, 2001.0)], (Verdict.BAD, FailureClass.COURIER_FAILED)),
        (SPEC, [(201, 6500.0)], (Verdict.BAD, FailureClass.COURIER_FAILED)),
        (SPEC, [(200, 6500.0), (200, 300.0)], (Verdict.GOOD, None)),  # the retry was answered in time
        (SPEC, [(0, 3.0)], (Verdict.BAD, FailureClass.COURIER_FAILED)),
        (NO_TIMEOUT, [(200, 6500.0)], (Verdict.GOOD, None)),
    ],
    ids=["at-timeout", "just-after", "late-201", "late-then-retried", "reset", "no-timeout-stated"],
)
def test_the_delivery_verdict(
    spec: ProbeSpec, calls: list[tuple[int, float]], expected: tuple[Verdict, FailureClass | None]
) -> None:
    evidence = Evidence(
        courier_calls=[
            CourierCall(order_id="o-1", status=status, at=T0 + 1 + i, response_ms=ms)
            for i, (status, ms) in enumerate(calls)
        ],
        courier_read_at=AFTER_SETTLING,
    )
    outcome = OrderJudge(spec, {}).judge(chain_good(), evidence, AFTER_SETTLING)
    assert outcome is not None
    assert (outcome.delivery_verdict, outcome.delivery_failure) == expected


def test_a_late_answer_says_how_late() -> None:
    evidence = Evidence(
        courier_calls=[CourierCall(order_id="o-1", status=200, at=T0 + 1, response_ms=6500.0)],
        courier_read_at=AFTER_SETTLING,
    )
    outcome = OrderJudge(SPEC, {}).judge(chain_good(), evidence, AFTER_SETTLING)
    assert outcome is not None and outcome.details == "courier answered 200 after 6500 ms"


# -- a RunVerifier reading a WireMock journal over HTTP --------------------------------------------


@dataclass
class Journal:
    """Serves ``GET /__admin/requests`` with ``entries``, as WireMock 3 does."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


def journal_entry(
    order_id: str,
    at: float,
    *,
    total_ms: int | None,
    fault: str | None = None,
    added_delay_ms: int = 0,
    process_ms: int = 0,
) -> dict[str, Any]:
    """A call WireMock logged: it answered 200 (or, with ``fault``, dropped the connection). With
    ``total_ms`` None the timing is what WireMock 3.13 logs when the caller hung up before a delayed
    answer went out: ``{"addedDelay": …, "processTime": 0}``, no ``totalTime`` (seen on a real stub)."""
    definition: dict[str, Any] = {"status": 200}
    if fault is not None:
        definition["fault"] = fault
    return {
        "id": f"id-{order_id}",
        "request": {
            "url": "/deliveries",
            "method": "POST",
            "body": json.dumps({"orderId": order_id}),
            "loggedDate": int(at * 1000),
            "loggedDateString": datetime.fromtimestamp(at, UTC).isoformat(),
        },
        "responseDefinition": definition,
        "response": {"status": 200, "headers": {}},
        "timing": {"totalTime": total_ms, "serveTime": total_ms}
        if total_ms is not None
        else {"addedDelay": added_delay_ms, "processTime": process_ms},
        "wasMatched": True,
    }


@pytest.fixture
def journal() -> Iterator[Journal]:
    served = Journal()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = json.dumps({"requests": served.entries, "meta": {"total": len(served.entries)}})
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield served
    server.shutdown()
    server.server_close()


def verified(journal: Journal, tmp_path: Path, **call: Any) -> OrderRecord:
    """One order answered 201, sent 25 s ago (its delivery deadline passed), with one courier call."""
    sent_at = time.time() - 25
    journal.entries.append(journal_entry("o-1", sent_at + 1, **call))
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="test").run_id
        ledger.plan_order(run_id, seq=0, order_id="o-1", planned_at=sent_at)
        ledger.record_api_answer(run_id, 0, sent_at=sent_at, status=201, latency_ms=80.0, body="{}")
        verifier = RunVerifier(
            spec=SPEC,
            endpoints={"api_url": "http://api.test", "courier_url": journal.url},
            clients=AwsClients(region="us-east-1"),  # no AWS stage in this spec: never called
            ledger=ledger,
            poll_interval=0.01,
        )
        verifier.verify(run_id)
        return ledger.get_order(run_id, 0)


def test_the_verifier_counts_an_answer_in_time_as_delivered(journal: Journal, tmp_path: Path) -> None:
    order = verified(journal, tmp_path, total_ms=TIMEOUT_MS)
    assert (order.delivery_verdict, order.delivery_failure) == (Verdict.GOOD, None)
    assert order.courier_at is not None


def test_the_verifier_fails_an_answer_after_the_callers_timeout(journal: Journal, tmp_path: Path) -> None:
    order = verified(journal, tmp_path, total_ms=TIMEOUT_MS + 1)
    assert order.chain_verdict is Verdict.GOOD
    assert (order.delivery_verdict, order.delivery_failure) == (Verdict.BAD, FailureClass.COURIER_FAILED)
    assert order.courier_at is None  # no delivery was recorded for it


def test_the_verifier_fails_a_connection_reset(journal: Journal, tmp_path: Path) -> None:
    order = verified(journal, tmp_path, total_ms=5, fault="CONNECTION_RESET_BY_PEER")
    assert (order.delivery_verdict, order.delivery_failure) == (Verdict.BAD, FailureClass.COURIER_FAILED)
    assert order.courier_at is None


@pytest.mark.parametrize(("added_delay_ms", "process_ms"), [(6000, 0), (1900, 200)])
def test_the_verifier_fails_an_answer_the_caller_hung_up_on(
    journal: Journal, tmp_path: Path, added_delay_ms: int, process_ms: int
) -> None:
    """No totalTime yet: the delay added plus the time to process is how long the caller waited at least."""
    order = verified(journal, tmp_path, total_ms=None, added_delay_ms=added_delay_ms, process_ms=process_ms)
    assert (order.delivery_verdict, order.delivery_failure) == (Verdict.BAD, FailureClass.COURIER_FAILED)
    assert order.courier_at is None


def test_the_delivery_is_recorded_at_the_first_good_call(journal: Journal, tmp_path: Path) -> None:
    """A retry after a good call (a lost answer) does not move the delivery later; inside the settle
    window it is a second delivery of the order, ``courier_duplicate``."""
    sent_at = time.time() - 25
    journal.entries.append(journal_entry("o-1", sent_at + 3, total_ms=40))
    order = verified(journal, tmp_path, total_ms=40)  # its call at sent_at + 1
    assert (order.delivery_verdict, order.delivery_failure) == (Verdict.BAD, FailureClass.COURIER_DUPLICATE)
    assert order.courier_at is not None and order.courier_at == pytest.approx(sent_at + 1, abs=0.5)
