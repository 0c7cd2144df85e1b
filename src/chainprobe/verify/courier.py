"""The courier stage, read from a WireMock stub's request journal.

One journal query per verification pass (``GET /__admin/requests?since=…``) returns every call the stub
served since the cursor; calls are matched to orders by the order id in their JSON body. A call
carries what the stub answered, so retries show up as several calls for one order, the successful one
deciding the delivery.

The journal is read here with httpx, not with the ``wiremock`` client (``stacks/courier_admin.py``): that
client's journal model keeps only an entry's ``request`` and ``responseDefinition``, and drops the
``response`` (what the stub really answered), the ``timing`` and the fault this verifier judges by.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from chainprobe.spec.paths import MISSING, FieldPath

JOURNAL_LIMIT = 50_000
CURSOR_OVERLAP_SECONDS = 2.0


@dataclass(frozen=True)
class CourierCall:
    """One call the stub served: what it answered, when the call came, how long the answer took."""

    order_id: str
    status: int
    at: float
    response_ms: float = 0.0

    def succeeded(self, expected_status: tuple[int, ...], client_timeout_ms: float | None) -> bool:
        in_time = client_timeout_ms is None or self.response_ms <= client_timeout_ms
        return self.status in expected_status and in_time


class CourierJournalError(Exception):
    """The courier stub's admin API did not answer as WireMock does."""


class CourierJournal:
    """Reads the calls a WireMock stub received for a set of orders."""

    def __init__(
        self,
        *,
        admin_url: str,
        method: str,
        url_path: str,
        order_id_path: FieldPath,
        client: httpx.Client | None = None,
    ) -> None:
        self.admin_url = admin_url.rstrip("/")
        self.method = method.upper()
        self.url_path = url_path
        self.order_id_path = order_id_path
        self.client = client or httpx.Client(timeout=10.0)

    def calls_since(self, since: float, order_ids: set[str]) -> dict[str, list[CourierCall]]:
        """Calls for ``order_ids`` logged at or after ``since`` (epoch seconds), grouped by order."""
        stamp = datetime.fromtimestamp(max(0.0, since - CURSOR_OVERLAP_SECONDS), UTC)
        params = {"since": stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "limit": str(JOURNAL_LIMIT)}
        try:
            response = self.client.get(f"{self.admin_url}/__admin/requests", params=params)
            response.raise_for_status()
            events = response.json()["requests"]
        except (httpx.HTTPError, ValueError, KeyError) as e:
            raise CourierJournalError(f"courier journal at {self.admin_url}: {e}") from e
        calls: dict[str, list[CourierCall]] = defaultdict(list)
        for event in events:
            call = self._call(event)
            if call is not None and call.order_id in order_ids:
                calls[call.order_id].append(call)
        return dict(calls)

    def _call(self, event: dict[str, object]) -> CourierCall | None:
        request = event.get("request")
        if not isinstance(request, dict) or request.get("method") != self.method:
            return None
        if str(request.get("url", "")).split("?", 1)[0] != self.url_path:
            return None
        try:
            body = json.loads(str(request.get("body") or ""))
        except ValueError:
            return None
        order_id = self.order_id_path.get(body)
        if order_id is MISSING or not isinstance(order_id, str):
            return None
        response = event.get("response")
        status = response.get("status", 0) if isinstance(response, dict) else 0
        definition = event.get("responseDefinition")
        if isinstance(definition, dict) and definition.get("fault"):
            status = 0  # a network fault (reset, garbage): the journal says 200, the caller got no answer
        raw_timing = event.get("timing")
        timing = raw_timing if isinstance(raw_timing, dict) else {}
        # A call still being answered has no totalTime yet; its added delay is a lower bound.
        total_ms = timing.get("totalTime")
        if total_ms is None:
            total_ms = (timing.get("addedDelay") or 0) + (timing.get("processTime") or 0)
        return CourierCall(
            order_id=order_id,
            status=int(status),
            at=float(request["loggedDate"]) / 1000,
            response_ms=float(total_ms or 0),
        )

    def close(self) -> None:
        self.client.close()
