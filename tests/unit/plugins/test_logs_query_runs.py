"""The logs plugin's query runs: Running until the evaluator answers, Complete after, StopQuery cancels.

A run's events are a sequence whose iteration waits on an event the test sets, so "still running"
is a state the test holds, not a race against the clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from chainprobe_localstack.logs.queries import QueryRuns

from chainprobe.measure.logsinsights import LogEvent, parse

EVENTS = [LogEvent(1_000, '{"status": "START"}', "/g", "s"), LogEvent(2_000, '{"status": "DONE"}', "/g", "s")]
WAIT_S = 30.0


class HeldEvents(Sequence[LogEvent]):
    """The events, handed to the evaluator only once ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __iter__(self) -> Iterator[LogEvent]:
        assert self.release.wait(WAIT_S)
        return iter(EVENTS)

    def __len__(self) -> int:
        return len(EVENTS)

    def __getitem__(self, index: int) -> LogEvent:  # type: ignore[override]
        return EVENTS[index]


def test_a_query_runs_until_the_evaluator_answers_then_completes_with_its_rows() -> None:
    runs, events = QueryRuns(), HeldEvents()
    run = runs.start(parse("stats count(*) as n"), events, None)
    assert runs.get(run.query_id) is run and run.status == "Running" and run.result is None
    events.release.set()
    assert run.done.wait(WAIT_S)
    assert run.status == "Complete"
    assert run.result is not None and run.result.results == [[{"field": "n", "value": "2"}]]
    assert runs.stop(run.query_id) is False  # already ended


def test_stop_cancels_a_running_query_and_its_late_answer_is_dropped() -> None:
    runs, events = QueryRuns(), HeldEvents()
    run = runs.start(parse("fields status"), events, None)
    assert runs.stop(run.query_id) is True
    events.release.set()
    assert run.done.wait(WAIT_S)
    assert (run.status, run.result) == ("Cancelled", None)


def test_an_unknown_query_id_is_none() -> None:
    runs = QueryRuns()
    assert runs.get("nope") is None
    assert runs.stop("nope") is None
