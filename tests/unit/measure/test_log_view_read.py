"""Reading a run's log view: the one query, run again until the run's orders' logs are in (bounded);
a refused query or an unknown template variable is a note."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from chainprobe.ledger.model import OrderRecord, Verdict
from chainprobe.measure.log_view_read import read_log_view, rendered
from chainprobe.measure.logsinsights import LogEvent, evaluate
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.model import LogsSpec, Milestone

ORDERS, DELIVERY = "/aws/lambda/${orders_function:-OrdersHandler}", "/aws/lambda/DeliveryHandler"
SPEC = LogsSpec(
    log_groups=(ORDERS, DELIVERY),
    correlation_field="correlation_id",
    milestone_field="status",
    first_milestone=Milestone(name="START", log_group=ORDERS),
    last_milestone=Milestone(name="COMPLETED", log_group=DELIVERY),
)


class GrowingLogs:
    """A logs client over the real evaluator whose log events arrive one batch per query."""

    def __init__(self, batches: list[list[LogEvent]], refuse: str | None = None) -> None:
        self.batches, self.events, self.refuse = batches, [], refuse
        self.started: list[Mapping[str, Any]] = []

    def start_query(self, **kwargs: Any) -> Mapping[str, Any]:
        if self.refuse:
            raise ValueError(self.refuse)
        self.started.append(kwargs)
        if self.batches:
            self.events.extend(self.batches.pop(0))
        return {"queryId": str(len(self.started))}

    def get_query_results(self, **kwargs: Any) -> Mapping[str, Any]:
        assert set(self.started[-1]["logGroupNames"]) == {"/aws/lambda/OrdersHandler", DELIVERY}
        result = evaluate(self.started[-1]["queryString"], self.events)
        return {"status": "Complete", "results": result.results, "statistics": {}}

    def stop_query(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}


def event(ms: int, group: str, order_id: str, status: str) -> LogEvent:
    body = json.dumps({"correlation_id": order_id, "status": status})
    return LogEvent(ms, body, group.replace("${orders_function:-OrdersHandler}", "OrdersHandler"), "s")


GOOD = OrderRecord(
    run_id="r", seq=1, order_id="o-1", planned_at=0.0, sent_at=1.0, api_status=201, chain_verdict=Verdict.GOOD
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_query_runs_again_until_the_good_orders_last_milestone_is_in() -> None:
    client = GrowingLogs(
        [[event(1_000, ORDERS, "o-1", "START")], [], [event(3_000, DELIVERY, "o-1", "COMPLETED")], []]
    )
    clock = Clock()
    reading = read_log_view(
        client, SPEC, {}, [GOOD], start=0.0, end=10.0, wait_s=30, clock=clock, sleep=clock.sleep
    )
    assert reading.queries == 3
    assert reading.notes == ()
    assert reading.view is not None and reading.view.availability == 1.0
    assert reading.view.lead_time_ms is not None and reading.view.lead_time_ms.max == 2000.0


def test_logs_that_never_arrive_end_the_wait_with_a_note() -> None:
    client = GrowingLogs([[event(1_000, ORDERS, "o-1", "START")]])
    clock = Clock()
    reading = read_log_view(
        client, SPEC, {}, [GOOD], start=0.0, end=10.0, wait_s=5, clock=clock, sleep=clock.sleep
    )
    assert 5 <= clock.now < 7
    assert reading.view is not None and reading.view.availability == 0.0
    assert reading.notes == ("after 5 s the logs still lacked lines of 1 orders (o-1)",)


def test_a_refused_query_is_a_note_not_an_error() -> None:
    reading = read_log_view(
        GrowingLogs([], refuse="ResourceNotFoundException"), SPEC, {}, [GOOD], start=0, end=1
    )
    assert reading.view is None
    assert "ResourceNotFoundException" in reading.notes[0]


def test_an_unknown_variable_in_a_log_group_is_a_note() -> None:
    spec = LogsSpec(**{**SPEC.__dict__, "log_groups": ("/aws/lambda/${nowhere}",)})
    reading = read_log_view(GrowingLogs([]), spec, {}, [GOOD], start=0, end=1)
    assert reading.view is None and "nowhere" in reading.notes[0]


def test_a_good_order_whose_delivery_logged_its_failure_needs_no_wait() -> None:
    spec = LogsSpec(**{**SPEC.__dict__, "failure_milestone": "FAILED"})
    client = GrowingLogs([[event(1_000, ORDERS, "o-1", "START"), event(9_000, DELIVERY, "o-1", "FAILED")]])
    clock = Clock()
    reading = read_log_view(
        client, spec, {}, [GOOD], start=0.0, end=10.0, wait_s=30, clock=clock, sleep=clock.sleep
    )
    assert (reading.queries, reading.notes, clock.now) == (1, (), 0.0)
    assert reading.view is not None and reading.view.failed == ("o-1",)


def test_an_order_whose_delivery_the_black_box_judged_bad_is_not_waited_for() -> None:
    late = OrderRecord(**{**GOOD.__dict__, "delivery_verdict": Verdict.BAD})
    client = GrowingLogs([[event(1_000, ORDERS, "o-1", "START")]])
    clock = Clock()
    reading = read_log_view(
        client, SPEC, {}, [late], start=0.0, end=10.0, wait_s=30, clock=clock, sleep=clock.sleep
    )
    assert (reading.queries, reading.notes, clock.now) == (1, (), 0.0)


def test_every_milestones_log_group_template_is_filled_in() -> None:
    path = (Milestone(name="PUBLISHED", log_group=ORDERS), Milestone(name="START", log_group=DELIVERY))
    filled = rendered(replace(SPEC, milestones=path), {"orders_function": "Orders-1"})
    assert filled.log_groups == ("/aws/lambda/Orders-1", DELIVERY)
    assert filled.first_milestone.log_group == "/aws/lambda/Orders-1"
    assert [m.log_group for m in filled.milestones] == ["/aws/lambda/Orders-1", DELIVERY]
    assert filled.last_milestone.log_group == DELIVERY
    unknown = (Milestone(name="START", log_group="/aws/lambda/${nope}"),)
    with pytest.raises(SpecError, match=r"logs\.milestones\[0\]"):
        rendered(replace(SPEC, milestones=unknown), {})
