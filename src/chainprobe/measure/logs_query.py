"""One Logs Insights query through CloudWatch Logs, on AWS or on the local stack alike, bounded.

StartQuery, then GetQueryResults every ``poll_s`` until the query is no longer ``Scheduled`` or
``Running``, for at most ``wait_s`` (then StopQuery, and the answer says ``Timeout``). Anything the
client raises (a missing log group's ResourceNotFoundException, a MalformedQueryException, no
connection) becomes a note on an empty answer: a log query never fails a run. Example::

    answer = run_logs_query(clients.client("logs"), query=LEAD_TIME_QUERY,
                            log_groups=["/aws/lambda/orders"], start=run.started_at, end=now)
    answer.complete, answer.rows[0]["LeadTimeInSeconds"], answer.note

Rows are dicts from field to value (strings, as GetQueryResults gives them); ``@ptr`` is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = ["DEFAULT_POLL_S", "DEFAULT_WAIT_S", "LogsClient", "QueryAnswer", "run_logs_query"]

DEFAULT_WAIT_S = 60.0
DEFAULT_POLL_S = 0.5
_PENDING = ("Scheduled", "Running")


class LogsClient(Protocol):
    """The three calls of a boto3 ``logs`` client this module uses (or a fake's)."""

    def start_query(self, **kwargs: Any) -> Mapping[str, Any]: ...

    def get_query_results(self, **kwargs: Any) -> Mapping[str, Any]: ...

    def stop_query(self, **kwargs: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class QueryAnswer:
    """What a query gave: its rows and statistics, or a note saying why it gave none (or not all)."""

    status: str  # Complete, Failed, Cancelled, Timeout; NotStarted when StartQuery was refused
    rows: tuple[dict[str, str], ...] = ()
    records_matched: float = 0.0
    records_scanned: float = 0.0
    note: str | None = None

    @property
    def complete(self) -> bool:
        return self.status == "Complete"


def run_logs_query(
    client: LogsClient,
    *,
    query: str,
    log_groups: Sequence[str],
    start: datetime,
    end: datetime,
    limit: int | None = None,
    wait_s: float = DEFAULT_WAIT_S,
    poll_s: float = DEFAULT_POLL_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryAnswer:
    request: dict[str, Any] = {
        "logGroupNames": list(log_groups),
        "startTime": int(start.timestamp()),
        "endTime": int(end.timestamp()) + (0 if end.timestamp().is_integer() else 1),
        "queryString": query,
    }
    if limit is not None:
        request["limit"] = limit
    try:
        query_id = str(client.start_query(**request)["queryId"])
    except Exception as error:  # any refusal is a note, never a failed run
        return QueryAnswer("NotStarted", note=f"the log query was not started: {_describe(error)}")
    deadline = clock() + wait_s
    while True:
        try:
            answer = client.get_query_results(queryId=query_id)
        except Exception as error:
            return QueryAnswer(
                "Failed", note=f"the log query's results could not be read: {_describe(error)}"
            )
        status = str(answer.get("status", "Unknown"))
        if status not in _PENDING:
            return _answer(status, answer)
        if clock() >= deadline:
            _stop(client, query_id)
            return _answer("Timeout", answer, note=f"the log query was still {status} after {wait_s:g} s")
        sleep(poll_s)


def _answer(status: str, answer: Mapping[str, Any], *, note: str | None = None) -> QueryAnswer:
    statistics = answer.get("statistics") or {}
    rows = tuple(
        {f["field"]: f.get("value", "") for f in row if f.get("field") != "@ptr"}
        for row in answer.get("results", [])
    )
    if note is None and status != "Complete":
        note = f"the log query ended {status}"
    return QueryAnswer(
        status,
        rows,
        float(statistics.get("recordsMatched", 0.0)),
        float(statistics.get("recordsScanned", 0.0)),
        note,
    )


def _stop(client: LogsClient, query_id: str) -> None:
    try:
        client.stop_query(queryId=query_id)
    except Exception:  # the query ends on its own on AWS; nothing more to do
        return


def _describe(error: Exception) -> str:
    """``Code: message`` of a botocore ClientError, else the exception's type and text."""
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        details = response.get("Error") or {}
        return f"{details.get('Code', type(error).__name__)}: {details.get('Message', '')}".rstrip(": ")
    return f"{type(error).__name__}: {error}"
