"""OrderJudge: one table of (record, evidence, now) -> outcome, over every verdict and failure class.

Times are seconds after ``T0``, when the order was sent (planned 10 ms before). The spec's deadlines:
api 10 s, dynamodb 5 s, event 10 s, courier 30 s; the delivery SLO's own deadline is 20 s. Settle
windows are 0 here (what was seen when the timeline completed counts, nothing is waited for);
``test_settle.py`` judges with windows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.spec import ProbeSpec, parse_spec
from chainprobe.verify.courier import CourierCall
from chainprobe.verify.verdict import Evidence, OrderJudge

T0 = 1_000.0
ORDER_ID = "o-r-1-0-abc123"
ENDPOINTS = {"api_url": "http://api", "courier_url": "http://courier"}

SPEC_TEXT = """
name: shop
send:
  endpoint: "${api_url}/orders"
  payload: {customerId: c-1}
  order_id_path: orderId
api:
  expected_status: [201]
  checks:
    - {path: $.status, equals: CREATED}
    - {path: $.orderId, equals: "${order_id}"}
dynamodb:
  table: Orders
  key: {orderId: "${order_id}"}
  checks:
    - {path: customerId, equals: c-1}
event:
  bus: orders
  source: shop.api
  detail_type: OrderCreated
  order_id_path: detail.orderId
  settle_seconds: 0
courier:
  admin_url: "${courier_url}"
  url_path: /deliveries
  order_id_json_path: $.orderId
  expected_status: [200, 201]
  settle_seconds: 0
deadlines: {api: 10, dynamodb: 5, event: 10, courier: 30}
slo:
  availability: {objective: 0.995}
  delivery: {objective: 0.99, deadline_seconds: 20}
"""
SPEC = parse_spec(SPEC_TEXT, source="shop.yaml")
GOOD_BODY = json.dumps({"orderId": ORDER_ID, "status": "CREATED"})
ITEM = {"orderId": ORDER_ID, "customerId": "c-1"}


def record(**fields: Any) -> OrderRecord:
    """An order answered 201 with a good body 120 ms after it was sent at T0, nothing else seen yet."""
    values: dict[str, Any] = {
        "sent_at": T0,
        "api_at": T0 + 0.12,
        "api_status": 201,
        "api_latency_ms": 120.0,
        "api_body": GOOD_BODY,
    }
    values.update(fields)
    return OrderRecord(run_id="r-1", seq=0, order_id=ORDER_ID, planned_at=T0 - 0.01, **values)


def unanswered(**fields: Any) -> OrderRecord:
    """An order with no API outcome (sent, unless ``sent_at=None``)."""
    return record(api_at=None, api_status=None, api_latency_ms=None, api_body=None, **fields)


def chain_good(**fields: Any) -> OrderRecord:
    """An order whose chain verdict is recorded good, its delivery still pending."""
    values: dict[str, Any] = {
        "dynamodb_at": T0 + 0.4,
        "event_at": T0 + 1.0,
        "chain_verdict": Verdict.GOOD,
        "delivery_verdict": Verdict.PENDING,
    }
    values.update(fields)
    return record(**values)


def call(status: int, at: float, response_ms: float = 50.0) -> CourierCall:
    return CourierCall(order_id=ORDER_ID, status=status, at=T0 + at, response_ms=response_ms)


def seen(**fields: Any) -> Evidence:
    """Evidence of an item that passes its checks and one captured event, plus ``fields``."""
    values: dict[str, Any] = {"item": dict(ITEM), "event_times": [T0 + 0.5]}
    values.update(fields)
    return Evidence(**values)


@dataclass(frozen=True)
class Case:
    name: str
    record: OrderRecord
    evidence: Evidence
    at: float  # seconds after T0
    expected: tuple[Verdict, FailureClass | None, Verdict | None, FailureClass | None] | None
    not_before: float = 0.0  # seconds after T0; 0 means no grace
    spec: ProbeSpec = field(default=SPEC)


G, B, P, NS = Verdict.GOOD, Verdict.BAD, Verdict.PENDING, Verdict.NOT_SENT
FC = FailureClass

CASES = [
    # -- the whole chain, and the delivery verdict set in the same outcome ---------------------------
    Case("all good, delivered", record(), seen(courier_calls=[call(200, 3.0)]), 3.5, (G, None, G, None)),
    Case("chain good, delivery pending", record(), seen(), 1.0, (G, None, P, None)),
    Case(
        "chain good via the ledger's stages",
        record(dynamodb_at=T0 + 0.4, event_at=T0 + 1),
        Evidence(),
        1.5,
        (G, None, P, None),
    ),
    # -- the API stage ----------------------------------------------------------------------------------
    Case(
        "http_5xx",
        record(api_status=502, api_body="Bad Gateway"),
        Evidence(),
        0.2,
        (B, FC.HTTP_5XX, None, None),
    ),
    Case(
        "http_4xx",
        record(api_status=400, api_body='{"message":"bad"}'),
        Evidence(),
        0.2,
        (B, FC.HTTP_4XX, None, None),
    ),
    Case("2xx not expected", record(api_status=200), seen(), 0.2, (B, FC.HTTP_2XX_ERROR_BODY, None, None)),
    Case(
        "2xx with an error body",
        record(api_body=json.dumps({"orderId": ORDER_ID, "status": "FAILED"})),
        seen(),
        0.2,
        (B, FC.HTTP_2XX_ERROR_BODY, None, None),
    ),
    Case(
        "2xx, body not JSON", record(api_body="<html>"), seen(), 0.2, (B, FC.HTTP_2XX_ERROR_BODY, None, None)
    ),
    Case(
        "transport timeout",
        unanswered(api_failure=FC.API_TIMEOUT),
        Evidence(),
        10.5,
        (B, FC.API_TIMEOUT, None, None),
    ),
    Case(
        "connection error",
        unanswered(api_failure=FC.CONNECTION_ERROR),
        Evidence(),
        0.1,
        (B, FC.CONNECTION_ERROR, None, None),
    ),
    Case(
        "sent, no answer, no trace: api_timeout",
        unanswered(),
        Evidence(),
        10.0,
        (B, FC.API_TIMEOUT, None, None),
    ),
    Case("sent, no answer yet", unanswered(), Evidence(), 9.9, None),
    Case("sent, no answer, but processed", unanswered(), seen(), 10.0, (G, None, P, None)),
    Case(
        "sent, no answer, event in the ledger",
        unanswered(event_at=T0 + 1),
        Evidence(),
        10.0,
        (B, FC.DB_MISSING, None, None),
    ),
    # -- never sent -------------------------------------------------------------------------------------
    Case("planned, never sent", unanswered(sent_at=None), Evidence(), 10.0, (NS, None, None, None)),
    Case("planned, not sent yet", unanswered(sent_at=None), Evidence(), 9.9, None),
    Case(
        "planned, no send recorded, but processed", unanswered(sent_at=None), seen(), 10.0, (G, None, P, None)
    ),
    Case(
        "planned, courier called",
        unanswered(sent_at=None),
        Evidence(courier_calls=[call(200, 4)]),
        10.0,
        (B, FC.DB_MISSING, None, None),
    ),
    # -- DynamoDB ---------------------------------------------------------------------------------------
    Case("db_missing", record(), Evidence(event_times=[T0 + 0.5]), 5.0, (B, FC.DB_MISSING, None, None)),
    Case("no item yet", record(), Evidence(event_times=[T0 + 0.5]), 4.9, None),
    Case(
        "no item in a read that began before the deadline, judged after it",
        record(),
        Evidence(event_times=[T0 + 0.5], item_read_at=T0 + 4.9),
        6.5,
        None,
    ),
    Case(
        "no item in a read that began exactly at the deadline",
        record(),
        Evidence(event_times=[T0 + 0.5], item_read_at=T0 + 5.0),
        6.5,
        (B, FC.DB_MISSING, None, None),
    ),
    Case(
        "db_mismatch",
        record(),
        seen(item={**ITEM, "customerId": "c-2"}, item_problems=["customerId: expected 'c-1', got 'c-2'"]),
        5.0,
        (B, FC.DB_MISMATCH, None, None),
    ),
    Case("wrong item, before the deadline", record(), seen(item_problems=["customerId differs"]), 4.0, None),
    Case(
        "item recorded by an earlier verifier",
        record(dynamodb_at=T0 + 0.3),
        Evidence(event_times=[T0 + 0.5]),
        6.0,
        (G, None, P, None),
    ),
    # -- the event --------------------------------------------------------------------------------------
    Case(
        "event_missing: an emptying drain began after the deadline and its margin",
        record(),
        seen(event_times=[], events_drained_at=T0 + 12.0),
        12.5,
        (B, FC.EVENT_MISSING, None, None),
    ),
    Case("no event yet", record(), seen(event_times=[], events_drained_at=T0 + 9.9), 9.9, None),
    Case(
        "no event yet, within the receive margin",
        record(),
        seen(event_times=[], events_drained_at=T0 + 11.9),
        11.9,
        None,
    ),
    # The verifier's pace never fails an order: missing needs an emptying drain that began at or after
    # the deadline plus the receive margin (12 s); a capped drain leaves events_drained_at as it was.
    Case("no event, no emptying drain yet", record(), seen(event_times=[]), 60.0, None),
    Case(
        "no event, the last emptying drain began before the deadline (a capped one since)",
        record(),
        seen(event_times=[], events_drained_at=T0 + 9.5),
        60.0,
        None,
    ),
    Case(
        "no event, a drain began before the deadline and ended after it",
        record(),
        seen(event_times=[], events_drained_at=T0 + 11.5),
        14.0,
        None,
    ),
    Case(
        "an event delivered on time, received long after the deadline (a verifier behind)",
        record(),
        seen(event_times=[T0 + 9.0], events_drained_at=T0 + 40.0),
        40.5,
        (G, None, P, None),
    ),
    Case(
        "grace: an emptying drain after the deadline but before not_before",
        record(),
        seen(event_times=[], events_drained_at=T0 + 14.0),
        20.0,
        None,
        not_before=15.0,
    ),
    Case(
        "an on-time event received past the deadline",
        record(),
        seen(event_times=[T0 + 9.8]),
        11.5,
        (G, None, P, None),
    ),
    Case(
        "an event delivered after its deadline is missing",
        record(),
        seen(event_times=[T0 + 10.5]),
        10.6,
        (B, FC.EVENT_MISSING, None, None),
    ),
    Case(
        "event_duplicate",
        record(),
        seen(event_times=[T0 + 0.5, T0 + 0.6]),
        1.0,
        (B, FC.EVENT_DUPLICATE, None, None),
    ),
    Case(
        "event recorded by an earlier verifier",
        record(event_at=T0 + 1),
        seen(event_times=[]),
        12.0,
        (G, None, P, None),
    ),
    Case(
        "the same event seen again after a restart",
        record(event_at=T0 + 1),
        seen(event_times=[T0 + 1]),
        12.0,
        (G, None, P, None),
    ),
    # -- the not_before grace (a restarted verifier) ----------------------------------------------------
    Case(
        "grace: no item, deadline passed",
        record(),
        Evidence(event_times=[T0 + 0.5]),
        8.0,
        None,
        not_before=9.0,
    ),
    Case(
        "grace over: db_missing",
        record(),
        Evidence(event_times=[T0 + 0.5]),
        9.0,
        (B, FC.DB_MISSING, None, None),
        not_before=9.0,
    ),
    Case("grace: never sent", unanswered(sent_at=None), Evidence(), 12.0, None, not_before=15.0),
    Case(
        "grace over: never sent",
        unanswered(sent_at=None),
        Evidence(),
        15.0,
        (NS, None, None, None),
        not_before=15.0,
    ),
    Case("grace does not hold a good chain", record(), seen(), 1.0, (G, None, P, None), not_before=15.0),
    # -- chain-bad orders get no delivery verdict -------------------------------------------------------
    Case(
        "rejected, courier called: courier_unexpected",
        record(api_status=500),
        seen(courier_calls=[call(200, 3)]),
        25.0,
        (B, FC.HTTP_5XX, B, FC.COURIER_UNEXPECTED),
    ),
    Case(
        "no answer, courier called: not a rejection",
        unanswered(api_failure=FC.API_TIMEOUT),
        seen(courier_calls=[call(200, 3)]),
        25.0,
        (B, FC.API_TIMEOUT, None, None),
    ),
    Case(
        "bad event, courier called",
        record(),
        seen(event_times=[T0 + 0.5, T0 + 0.6], courier_calls=[call(200, 3)]),
        25.0,
        (B, FC.EVENT_DUPLICATE, None, None),
    ),
    # -- delivery ---------------------------------------------------------------------------------------
    Case("delivered", chain_good(), Evidence(courier_calls=[call(201, 4)]), 5.0, (G, None, G, None)),
    Case(
        "delivered after a retry",
        chain_good(),
        Evidence(courier_calls=[call(500, 3), call(200, 9)]),
        10.0,
        (G, None, G, None),
    ),
    Case("not delivered yet", chain_good(), Evidence(courier_calls=[call(500, 3)]), 19.9, None),
    Case(
        "courier_failed",
        chain_good(),
        Evidence(courier_calls=[call(500, 3), call(503, 9)], courier_read_at=T0 + 21.0),
        21.0,
        (G, None, B, FC.COURIER_FAILED),
    ),
    Case(
        "courier_missing: a journal read began at the deadline plus the journal margin",
        chain_good(),
        Evidence(courier_read_at=T0 + 21.0),
        21.0,
        (G, None, B, FC.COURIER_MISSING),
    ),
    # Missing or failed needs a journal read that began at or after the deadline plus its margin (21 s).
    Case("no call, no journal read yet", chain_good(), Evidence(), 60.0, None),
    Case(
        "no call, the last journal read began within the margin",
        chain_good(),
        Evidence(courier_read_at=T0 + 20.9),
        60.0,
        None,
    ),
    Case(
        "a failed call, the last journal read began before the deadline",
        chain_good(),
        Evidence(courier_calls=[call(500, 3)], courier_read_at=T0 + 15.0),
        60.0,
        None,
    ),
    Case(
        "courier_duplicate: called again after the delivery",
        chain_good(),
        Evidence(courier_calls=[call(201, 4), call(201, 4.5)]),
        5.0,
        (G, None, B, FC.COURIER_DUPLICATE),
    ),
    Case(
        "late good call does not count",
        chain_good(),
        Evidence(courier_calls=[call(200, 20.5)], courier_read_at=T0 + 21.0),
        21.0,
        (G, None, B, FC.COURIER_MISSING),
    ),
    Case(
        "late good call after a failed one",
        chain_good(),
        Evidence(courier_calls=[call(500, 5), call(200, 25)], courier_read_at=T0 + 26.0),
        26.0,
        (G, None, B, FC.COURIER_FAILED),
    ),
    Case(
        "delivery recorded by an earlier verifier",
        chain_good(courier_at=T0 + 6),
        Evidence(),
        25.0,
        (G, None, G, None),
    ),
    Case(
        "ledger's delivery after the deadline",
        chain_good(courier_at=T0 + 21),
        Evidence(courier_read_at=T0 + 25.0),
        25.0,
        (G, None, B, FC.COURIER_MISSING),
    ),
    Case(
        "the SLO deadline, not deadlines.courier",
        chain_good(),
        Evidence(courier_read_at=T0 + 25.0),
        25.0,
        (G, None, B, FC.COURIER_MISSING),
    ),
    # -- nothing to change ------------------------------------------------------------------------------
    Case("already judged", chain_good(delivery_verdict=G), Evidence(), 40.0, None),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_judge(case: Case) -> None:
    judge = OrderJudge(case.spec, ENDPOINTS)
    if case.not_before:
        judge.not_before = T0 + case.not_before

    outcome = judge.judge(case.record, case.evidence, T0 + case.at)

    if case.expected is None:
        assert outcome is None
    else:
        assert outcome is not None
        got = (
            outcome.chain_verdict,
            outcome.chain_failure,
            outcome.delivery_verdict,
            outcome.delivery_failure,
        )
        assert got == case.expected
        assert outcome.seq == case.record.seq


def test_every_failure_class_is_in_the_table() -> None:
    produced = {case.expected[1] for case in CASES if case.expected} | {
        case.expected[3] for case in CASES if case.expected
    }
    assert set(FailureClass) <= produced


def test_details_say_why() -> None:
    judge = OrderJudge(SPEC, ENDPOINTS)
    mismatch = seen(item_problems=["customerId: expected 'c-1', got 'c-2'"])
    db = judge.judge(record(), mismatch, T0 + 5)
    assert db is not None and db.details == "customerId: expected 'c-1', got 'c-2'"
    api = judge.judge(record(api_status=503, api_body=None), Evidence(), T0 + 1)
    assert api is not None and api.details == "API answered 503"
    failed = judge.judge(
        chain_good(), Evidence(courier_calls=[call(500, 3)], courier_read_at=T0 + 21), T0 + 21
    )
    assert failed is not None and failed.details is not None and "500" in failed.details
    never = judge.judge(unanswered(sent_at=None), Evidence(), T0 + 10)
    assert never is not None and never.details is None


def test_without_a_courier_section_a_good_chain_has_no_delivery_verdict() -> None:
    spec = parse_spec(SPEC_TEXT.split("courier:")[0] + "deadlines: {api: 10, dynamodb: 5, event: 10}\n")
    outcome = OrderJudge(spec, ENDPOINTS).judge(record(), seen(), T0 + 1)
    assert outcome is not None
    assert (outcome.chain_verdict, outcome.delivery_verdict) == (Verdict.GOOD, None)


def test_an_api_only_spec_is_good_on_a_good_answer() -> None:
    spec = parse_spec(SPEC_TEXT.split("dynamodb:")[0])
    outcome = OrderJudge(spec, ENDPOINTS).judge(record(), Evidence(), T0 + 0.2)
    assert outcome is not None and outcome.chain_verdict is Verdict.GOOD
    assert outcome.delivery_verdict is None


def test_delivery_deadline_falls_back_to_deadlines_courier() -> None:
    spec = parse_spec(SPEC_TEXT.replace(", deadline_seconds: 20", ""))
    judge = OrderJudge(spec, ENDPOINTS)
    assert judge.judge(chain_good(), Evidence(courier_read_at=T0 + 25), T0 + 25) is None  # 30 s, not 20 s
    late = judge.judge(chain_good(), Evidence(courier_read_at=T0 + 31), T0 + 31)
    assert late is not None and late.delivery_failure is FailureClass.COURIER_MISSING
