"""The courier stub's admin API through the ``wiremock`` client, against a fake WireMock on loopback.

The fake is a real HTTP server (the client's own transport runs), serving ``/__admin/requests`` and
``/__admin/requests/find`` as WireMock 3 does, and recording what it was asked.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chainprobe.stacks.courier_admin import CourierAdmin, CourierAdminError
from chainprobe.stacks.exceptions import StackError
from chainprobe.target import TargetError, check_courier_journal

ENTRY = {
    "id": "e-1",
    "request": {
        "url": "/deliveries",
        "method": "POST",
        "body": json.dumps({"orderId": "o-1"}),
        "loggedDate": 1_700_000_000_000,
    },
    "responseDefinition": {"status": 201},
    "response": {"status": 201},
}


@dataclass
class FakeWireMock:
    """What the fake answers (status, body) and what it was asked (method, path, query, JSON body)."""

    status: int = 200
    body: bytes = json.dumps({"requests": [ENTRY], "meta": {"total": 1}}).encode()
    asked: list[tuple[str, str, dict[str, list[str]], Any]] = field(default_factory=list)
    url: str = ""


def handler_for(fake: FakeWireMock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            sent = json.loads(self.rfile.read(length)) if length else None
            fake.asked.append((self.command, parts.path, parse_qs(parts.query), sent))
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(fake.body)))
            self.end_headers()
            self.wfile.write(fake.body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(fake: FakeWireMock) -> FakeWireMock:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(fake))
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        fake.url = f"http://127.0.0.1:{server.server_address[1]}"
        return fake

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_journal_check_asks_for_one_entry_and_a_later_read_asks_for_all(serve: Any) -> None:
    fake = serve(FakeWireMock())
    admin = CourierAdmin(fake.url + "/", timeout=5.0)

    admin.check_journal()
    [entry] = admin.received()

    # The package's resource methods share one mutable default between calls: without a fresh
    # ``parameters`` each time, the check's limit=1 would stay on every later journal read.
    assert [(m, p, q) for m, p, q, _ in fake.asked] == [
        ("GET", "/__admin/requests", {"limit": ["1"]}),
        ("GET", "/__admin/requests", {}),
    ]
    assert entry.request is not None
    assert (entry.request.url, entry.request.logged_date) == ("/deliveries", 1_700_000_000_000)
    assert json.loads(entry.request.body or "") == {"orderId": "o-1"}


def test_find_sends_the_request_pattern_wiremock_matches_on(serve: Any) -> None:
    fake = serve(FakeWireMock(body=json.dumps({"requests": [ENTRY["request"]]}).encode()))

    found = CourierAdmin(fake.url, timeout=5.0).find(
        method="POST", url="/deliveries", json_path="$[?(@.orderId == 'o-1')]"
    )

    assert [r.url for r in found] == ["/deliveries"]
    assert fake.asked == [
        (
            "POST",
            "/__admin/requests/find",
            {},
            {
                "method": "POST",
                "url": "/deliveries",
                "bodyPatterns": [{"matchesJsonPath": "$[?(@.orderId == 'o-1')]"}],
            },
        )
    ]


def test_two_couriers_in_one_process_each_get_their_own_calls(serve: Any) -> None:
    first, second = serve(FakeWireMock()), serve(FakeWireMock(body=b'{"requests": []}'))

    one, other = CourierAdmin(first.url, timeout=5.0), CourierAdmin(second.url, timeout=5.0)

    assert len(one.received()) == 1
    assert other.received() == []
    assert len(one.received()) == 1
    assert (len(first.asked), len(second.asked)) == (2, 1)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (404, b'{"message": "no admin API here"}', "it answered 404"),
        (503, b"<html>down</html>", "it answered 503"),
        (200, b"<html>a web page</html>", "not WireMock's answer: Expecting value"),
        (200, b"[]", "not WireMock's answer"),
        (200, b'{"mappings": []}', "it answered no request journal"),
    ],
    ids=["404", "503", "not-json", "a-list", "no-journal"],
)
def test_an_answer_that_is_not_wiremocks_is_one_line_naming_the_url(
    serve: Any, status: int, body: bytes, reason: str
) -> None:
    fake = serve(FakeWireMock(status=status, body=body))

    with pytest.raises(CourierAdminError) as raised:
        CourierAdmin(fake.url, timeout=5.0).check_journal()

    message = str(raised.value)
    assert isinstance(raised.value, StackError)  # the CLI's exit 3
    assert message.startswith(f"courier admin API at {fake.url}/__admin") and reason in message
    assert "\n" not in message and "<html>" not in message


def test_a_refused_connection_is_its_root_cause_not_the_clients_wrapping() -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    with pytest.raises(CourierAdminError) as raised:
        CourierAdmin(url, timeout=2.0).received()

    assert raised.value.reason.endswith("Connection refused")
    assert "HTTPConnectionPool" not in str(raised.value)


def test_a_courier_that_accepts_but_never_answers_is_bounded_by_the_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepted by the kernel, never read nor answered
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(CourierAdminError) as raised:
            CourierAdmin(url, timeout=0.3).find(method="POST", url="/deliveries", json_path="$")
        waited = time.monotonic() - started

    assert raised.value.reason == "no answer within 0.3 s"
    assert waited < 10.0  # the client's own default would be 30 s


def test_the_preflight_names_the_journal_url_and_why(serve: Any) -> None:
    fake = serve(FakeWireMock(status=404, body=b"{}"))

    with pytest.raises(TargetError) as raised:
        check_courier_journal(fake.url, timeout=2.0)

    journal = f"{fake.url}/__admin/requests"
    assert str(raised.value) == f"cannot read the courier journal at {journal} (it answered 404)"
