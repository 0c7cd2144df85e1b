"""The courier stub's admin API (WireMock's ``/__admin``), read through the ``wiremock`` client.

Example::

    admin = CourierAdmin("http://127.0.0.1:8089", timeout=5.0)
    admin.check_journal()                                    # CourierAdminError unless it answers as WireMock
    admin.find(method="POST", url="/deliveries", json_path="$[?(@.orderId == 'o-1')]")  # matching requests
    admin.received()                                         # the whole journal, oldest last

Each ``CourierAdmin`` has a client of its own, bounded by ``timeout`` (per connect and per read, as httpx's
is): the package's default is one process-wide base URL and a 30 s timeout. Every call passes its own
query parameters, because the package's resource methods share a mutable default between calls (a
``limit`` given once would stay for every later journal read of the process).

Raises ``CourierAdminError`` (a ``StackError``: the CLI's exit 3) with one line naming the URL and why:
refused, no answer in time, an HTTP status, or an answer that is not WireMock's.

Limitation: the package's journal model keeps an entry's ``request`` and ``responseDefinition`` only, not
``response`` (what the stub really answered, after a scenario or a fault), ``timing`` or ``stubMapping``.
The courier verifier (``verify/courier.py``) judges deliveries by those, so it reads the journal itself.
"""

from __future__ import annotations

from collections.abc import Callable

import requests
from wiremock.base.base_resource import RestClient
from wiremock.exceptions import ApiException, ApiUnavailableException, TimeoutException
from wiremock.resources.near_misses import NearMissMatchPatternRequest
from wiremock.resources.requests import RequestResponse, RequestResponseRequest
from wiremock.resources.requests.resource import Requests

from chainprobe.stacks.exceptions import StackError

__all__ = ["ADMIN_PATH", "CourierAdmin", "CourierAdminError"]

ADMIN_PATH = "/__admin"


class CourierAdminError(StackError):
    """The courier stub's admin API did not answer, or not as WireMock does."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"courier admin API at {url}: {reason}")
        self.url = url
        self.reason = reason


class CourierAdmin:
    """The admin API of the WireMock serving ``courier_url``, every call bounded by ``timeout`` seconds."""

    def __init__(self, courier_url: str, *, timeout: float) -> None:
        self.base_url = f"{courier_url.rstrip('/')}{ADMIN_PATH}"
        self.timeout = timeout
        client = RestClient(timeout=timeout, base_url=self.base_url)
        # The package's resources are classes reading their client from a class attribute: a subclass
        # of our own carries this client, so no process-wide setting changes.
        self._requests: type[Requests] = type("CourierRequests", (Requests,), {"REST_CLIENT": client})

    @property
    def journal_url(self) -> str:
        return f"{self.base_url}/requests"

    def check_journal(self) -> None:
        """Returns when the request journal answers as WireMock's does (one entry asked for)."""
        journal = self._call(lambda: self._requests.get_all_received_requests(limit=1, parameters={}))
        if not isinstance(journal.requests, list):
            raise CourierAdminError(self.journal_url, "it answered no request journal")

    def received(self) -> list[RequestResponse]:
        """Every entry of the request journal (WireMock lists the newest first)."""
        journal = self._call(lambda: self._requests.get_all_received_requests(parameters={}))
        return list(journal.requests or [])

    def find(self, *, method: str, url: str, json_path: str) -> list[RequestResponseRequest]:
        """The requests in the journal to ``method url`` whose JSON body matches ``json_path``."""
        pattern = NearMissMatchPatternRequest(
            method=method, url=url, body_patterns=[{"matchesJsonPath": json_path}]
        )
        found = self._call(lambda: self._requests.get_matching_requests(pattern, parameters={}))
        return list(found.requests or [])

    def _call[T](self, call: Callable[[], T]) -> T:
        try:
            return call()
        except TimeoutException as e:
            raise CourierAdminError(self.base_url, f"no answer within {self.timeout:g} s") from e
        except ApiUnavailableException as e:
            raise CourierAdminError(self.base_url, root_cause(e)) from e
        except ApiException as e:
            raise CourierAdminError(self.base_url, f"it answered {e.status_code}") from e
        except (requests.RequestException, ValueError, TypeError) as e:
            # A connection broken mid-answer, or an answer that is not WireMock's JSON.
            raise CourierAdminError(self.base_url, f"not WireMock's answer: {root_cause(e)}") from e


def root_cause(error: BaseException) -> str:
    """The innermost I/O error of an error chain: ``[Errno 111] Connection refused``, not the wrapping
    requests and urllib3 put around it (``HTTPConnectionPool(...): Max retries exceeded ...``)."""
    reason: BaseException = error
    while (inner := error.__cause__ or error.__context__) is not None:
        error = inner
        if isinstance(error, OSError):
            reason = error
    return str(reason) or type(reason).__name__
