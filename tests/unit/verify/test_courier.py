"""CourierJournal: WireMock's request journal read through a fake transport (httpx.MockTransport)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from chainprobe.spec.paths import FieldPath
from chainprobe.verify.courier import CURSOR_OVERLAP_SECONDS, CourierCall, CourierJournal, CourierJournalError

ADMIN = "http://courier.test:8089"
T = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def served(
    order_id: object,
    *,
    status: int | None = 200,
    at: float = T,
    method: str = "POST",
    url: str = "/deliveries",
    body: str | None = None,
    total_ms: int | None = 40,
    definition_status: int | None = None,
) -> dict[str, Any]:
    """One journal entry as WireMock 3 serves it from GET /__admin/requests."""
    entry: dict[str, Any] = {
        "id": f"id-{order_id}-{at}",
        "request": {
            "url": url,
            "absoluteUrl": f"http://127.0.0.1:8089{url}",
            "method": method,
            "body": body if body is not None else json.dumps({"orderId": order_id, "amount": 25.0}),
            "loggedDate": int(at * 1000),
            "loggedDateString": datetime.fromtimestamp(at, UTC).isoformat(),
        },
        "responseDefinition": {"status": definition_status or status or 200},
        "wasMatched": True,
    }
    if status is not None:
        entry["response"] = {"status": status, "headers": {}}
    if total_ms is not None:
        entry["timing"] = {"totalTime": total_ms, "serveTime": total_ms}
    return entry


class FakeWireMock:
    """Answers the journal query with ``entries`` (or ``reply``) and remembers every request."""

    def __init__(self, entries: list[dict[str, Any]], reply: httpx.Response | None = None) -> None:
        self.entries = entries
        self.reply = reply
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.reply is not None:
            return self.reply
        return httpx.Response(200, json={"requests": self.entries, "meta": {"total": len(self.entries)}})

    def journal(self, **overrides: Any) -> CourierJournal:
        options: dict[str, Any] = {
            "admin_url": ADMIN + "/",
            "method": "post",
            "url_path": "/deliveries",
            "order_id_path": FieldPath.parse("$.orderId"),
            "client": httpx.Client(transport=httpx.MockTransport(self)),
        }
        options.update(overrides)
        return CourierJournal(**options)


def test_calls_are_matched_by_method_path_and_order_id() -> None:
    fake = FakeWireMock(
        [
            served("o-1", at=T + 1),
            served("o-1", method="GET", at=T + 1.1),  # another method
            served("o-1", url="/refunds", at=T + 1.2),  # another path
            served("o-1", url="/deliveries/o-1", at=T + 1.3),  # a longer path is another path
            served("o-2", url="/deliveries?attempt=2", at=T + 2),  # the query string is not the path
            served("o-3", at=T + 3),  # not asked for
            served("o-1", body="not json", at=T + 4),
            served("o-1", body=json.dumps({"order": "o-1"}), at=T + 5),  # no order id where the spec says
            served(42, at=T + 6),  # an order id that is not a string
        ]
    )

    calls = fake.journal().calls_since(T, {"o-1", "o-2"})

    assert calls == {
        "o-1": [CourierCall(order_id="o-1", status=200, at=T + 1, response_ms=40.0)],
        "o-2": [CourierCall(order_id="o-2", status=200, at=T + 2, response_ms=40.0)],
    }


def test_retries_are_kept_in_order_with_what_the_stub_answered() -> None:
    fake = FakeWireMock(
        [
            served("o-1", status=500, at=T + 1, total_ms=3),
            served("o-1", status=201, at=T + 6, total_ms=1800),
        ]
    )

    calls = fake.journal().calls_since(T, {"o-1"})["o-1"]

    assert [(c.status, c.at, c.response_ms) for c in calls] == [(500, T + 1, 3.0), (201, T + 6, 1800.0)]


def test_status_comes_from_the_response_served() -> None:
    fake = FakeWireMock(
        [
            served("o-1", status=503, definition_status=200, at=T + 1),  # a fault or scenario changed it
            served("o-2", status=None, at=T + 2),  # no response recorded (connection dropped)
            served("o-3", total_ms=None, at=T + 3),  # no timing block
        ]
    )

    calls = fake.journal().calls_since(T, {"o-1", "o-2", "o-3"})

    assert calls["o-1"][0].status == 503
    assert calls["o-2"][0].status == 0
    assert calls["o-3"][0].response_ms == 0.0


def test_since_is_sent_as_a_utc_stamp_with_the_overlap() -> None:
    fake = FakeWireMock([])
    since = T + 12.3456

    assert fake.journal().calls_since(since, {"o-1"}) == {}

    (request,) = fake.requests
    assert request.method == "GET"
    assert request.url.copy_with(query=None) == httpx.URL(f"{ADMIN}/__admin/requests")
    stamp = request.url.params["since"]
    assert stamp == "2026-01-01T00:00:10.345Z"
    parsed = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
    assert parsed == pytest.approx(since - CURSOR_OVERLAP_SECONDS, abs=0.001)
    assert int(request.url.params["limit"]) >= 10_000


def test_since_never_goes_before_the_epoch() -> None:
    fake = FakeWireMock([])
    fake.journal().calls_since(1.0, set())
    assert fake.requests[0].url.params["since"] == "1970-01-01T00:00:00.000Z"


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(500, text="boom"),
        httpx.Response(404, json={"message": "no admin API here"}),
        httpx.Response(200, text="<html>not json</html>"),
        httpx.Response(200, json={"mappings": []}),
    ],
    ids=["5xx", "404", "not-json", "no-requests-key"],
)
def test_an_answer_that_is_not_a_journal_is_an_error(reply: httpx.Response) -> None:
    fake = FakeWireMock([], reply=reply)
    with pytest.raises(CourierJournalError, match=r"courier journal at http://courier\.test:8089"):
        fake.journal().calls_since(T, {"o-1"})


def test_a_transport_failure_is_an_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    journal = CourierJournal(
        admin_url=ADMIN,
        method="POST",
        url_path="/deliveries",
        order_id_path=FieldPath.parse("$.orderId"),
        client=httpx.Client(transport=httpx.MockTransport(refuse)),
    )
    with pytest.raises(CourierJournalError, match="connection refused"):
        journal.calls_since(T, {"o-1"})


def test_the_order_id_path_comes_from_the_spec() -> None:
    body = json.dumps({"delivery": {"ref": "o-9"}})
    fake = FakeWireMock([served("ignored", body=body, at=T + 1)])
    journal = fake.journal(order_id_path=FieldPath.parse("delivery.ref"))
    assert list(journal.calls_since(T, {"o-9"})) == ["o-9"]
