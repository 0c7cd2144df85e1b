"""One Logs Insights query through a logs client: rows when it completes, a note otherwise, bounded.

The fake client answers with chainprobe's own evaluator over hand-made events (what the local
stack's plugin does), refuses as CloudWatch does, and can be told to stay Running; time is a fake
clock that the poll's sleep advances, so the bound is tested without waiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chainprobe.measure.logs_query import run_logs_query
from chainprobe.measure.logsinsights import LogEvent, LogsInsightsError, evaluate

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MS = int(T0.timestamp() * 1000)
GROUP = "/aws/lambda/orders"
EVENTS = [
    LogEvent(MS + 0, '{"correlation_id": "o-1", "status": "START"}', GROUP, "s"),
    LogEvent(MS + 1500, '{"correlation_id": "o-1", "status": "COMPLETED"}', GROUP, "s"),
    LogEvent(MS + 120_000, '{"correlation_id": "o-2", "status": "START"}', GROUP, "s"),  # after the range
]


class FakeClientError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


class FakeLogs:
    def __init__(self, *, running_polls: int = 0) -> None:
        self.running_polls = running_polls
        self.requests: list[dict[str, Any]] = []
        self.stopped: list[str] = []
        self.polls = 0

    def start_query(self, **kwargs: Any) -> Mapping[str, Any]:
        self.requests.append(kwargs)
        if kwargs["logGroupNames"] != [GROUP]:
            raise FakeClientError("ResourceNotFoundException", "Log group does not exist")
        try:
            self.result = evaluate(
                kwargs["queryString"],
                [
                    e
                    for e in EVENTS
                    if kwargs["startTime"] * 1000 <= e.timestamp <= kwargs["endTime"] * 1000 + 999
                ],
            )
        except LogsInsightsError as error:
            raise FakeClientError("MalformedQueryException", str(error)) from None
        return {"queryId": "q-1"}

    def get_query_results(self, **kwargs: Any) -> Mapping[str, Any]:
        self.polls += 1
        if self.polls <= self.running_polls:
            return {"status": "Running", "results": [], "statistics": {}}
        rows = [[*row, {"field": "@ptr", "value": "p"}] for row in self.result.results]
        statistics = {
            "recordsMatched": self.result.records_matched,
            "recordsScanned": self.result.records_scanned,
        }
        return {"status": "Complete", "results": rows, "statistics": statistics}

    def stop_query(self, **kwargs: Any) -> Mapping[str, Any]:
        self.stopped.append(kwargs["queryId"])
        return {"success": True}


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def query(client: FakeLogs, text: str, groups: list[str] | None = None, **kwargs: Any) -> Any:
    fake = FakeTime()
    return run_logs_query(
        client,
        query=text,
        log_groups=groups or [GROUP],
        start=T0,
        end=datetime(2026, 1, 1, 12, 1, tzinfo=UTC),
        clock=fake.clock,
        sleep=fake.sleep,
        **kwargs,
    )


def test_a_completed_query_gives_its_rows_and_statistics_after_polling_past_running() -> None:
    client = FakeLogs(running_polls=3)
    answer = query(client, "stats (latest(@timestamp) - earliest(@timestamp))/1000 as lead by correlation_id")
    assert (answer.status, answer.complete, answer.note) == ("Complete", True, None)
    assert answer.rows == ({"correlation_id": "o-1", "lead": "1.5"},)  # @ptr dropped, o-2 out of range
    assert (answer.records_matched, answer.records_scanned) == (2, 2)
    assert client.polls == 4
    assert client.requests[0]["startTime"] == int(T0.timestamp())
    assert client.requests[0]["endTime"] == int(T0.timestamp()) + 60


def test_a_missing_log_group_is_a_note_not_an_error() -> None:
    answer = query(FakeLogs(), "fields @message", ["/aws/lambda/nope"])
    assert (answer.status, answer.rows) == ("NotStarted", ())
    assert answer.note == "the log query was not started: ResourceNotFoundException: Log group does not exist"


def test_a_malformed_query_is_a_note_naming_the_unsupported_part() -> None:
    answer = query(FakeLogs(), "fields @message | dedup status")
    assert answer.status == "NotStarted"
    assert answer.note is not None and "unsupported command 'dedup' at position 18" in answer.note


def test_a_query_still_running_at_the_deadline_is_stopped_and_says_timeout() -> None:
    client = FakeLogs(running_polls=10_000)
    answer = query(client, "fields @message", wait_s=5.0, poll_s=0.5)
    assert (answer.status, answer.complete) == ("Timeout", False)
    assert answer.note == "the log query was still Running after 5 s"
    assert client.stopped == ["q-1"]
    assert client.polls == 11  # polls at 0, 0.5, …, 5.0 s
