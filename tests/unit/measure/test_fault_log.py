"""The faults a canary asked for against the fault log: hand-computed cases, and how the report shows them."""

from __future__ import annotations

import pytest

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import OrderRecord
from chainprobe.measure.fault_log import FaultCheck, FaultSummary, summarize_faults
from chainprobe.report.sections import fault_findings, fault_lines
from chainprobe.run_faults import read_fault_summary
from chainprobe.stacks.local.fault_names import FiredFault

RUN = ["o-0", "o-1", "o-2", "o-3", "o-4", "o-5"]
MARKED = ["o-0", "o-3"]


def entry(fault: str, order_id: str | None, trigger: str = "marker") -> FiredFault:
    return FiredFault(fault, order_id, "marker" if trigger == "marker" else "rate", 1.0)


# (faults asked, log) -> per fault: (fault, marked, logged_orders, log_entries, unlogged, unmarked_hits)
CASES = [
    pytest.param(
        ("dynamodb-throttle",),
        [entry("dynamodb-throttle", "o-0"), entry("dynamodb-throttle", "o-3")],
        [("dynamodb-throttle", 2, 2, 2, (), 0)],
        id="every-marked-order-logged-once",
    ),
    pytest.param(
        ("dynamodb-throttle",),
        [entry("dynamodb-throttle", "o-0")] * 3 + [entry("dynamodb-throttle", "o-3")] * 3,
        [("dynamodb-throttle", 2, 2, 6, (), 0)],
        id="retried-throttles-are-entries-not-orders",
    ),
    pytest.param(
        ("handler-500",),
        [entry("handler-500", "o-3")],
        [("handler-500", 2, 1, 1, ("o-0",), 0)],
        id="a-marked-order-missing-from-the-log",
    ),
    pytest.param(
        ("handler-500", "courier-5xx"),
        [entry("handler-500", "o-0"), entry("handler-500", "o-3")],
        [("handler-500", 2, 2, 2, (), 0), ("courier-5xx", 2, 0, 0, ("o-0", "o-3"), 0)],
        id="one-of-two-faults-never-fired",
    ),
    pytest.param(
        ("events-entry-failure",),
        [
            entry("events-entry-failure", "o-0"),
            entry("events-entry-failure", "o-3"),
            entry("events-entry-failure", "o-4", "rate"),
            entry("events-entry-failure", "o-other-run"),  # another run's order: not counted
            entry("events-entry-failure", None, "rate"),  # names no order: not counted
            entry("handler-500", "o-0"),  # a fault not asked for
        ],
        [("events-entry-failure", 2, 2, 2, (), 1)],
        id="unmarked-hits-and-foreign-entries",
    ),
    pytest.param(
        ("dynamodb-throttle",),
        [entry("dynamodb-throttle", None)] * 4,
        [("dynamodb-throttle", 2, 0, 0, ("o-0", "o-3"), 0)],
        id="entries-without-order-ids-prove-nothing",
    ),
]


@pytest.mark.parametrize(("faults", "log", "expected"), CASES)
def test_each_fault_against_the_log(
    faults: tuple[str, ...], log: list[FiredFault], expected: list[tuple[object, ...]]
) -> None:
    summary = summarize_faults(faults, marked=MARKED, run_orders=RUN, log=log, marker_path="chaos")
    assert [
        (c.fault, c.marked, c.logged_orders, c.log_entries, c.unlogged, c.unmarked_hits)
        for c in summary.checks
    ] == expected


def test_findings_name_the_unlogged_orders_and_never_fired_only_when_nothing_fired() -> None:
    partly = summarize_faults(
        ("handler-500", "courier-5xx"),
        marked=MARKED,
        run_orders=RUN,
        log=[entry("handler-500", "o-0")],
        marker_path="chaos",
    )
    assert partly.findings() == [
        "handler-500: 1 of 2 marked orders have no fault-log entry (o-3)",
        "courier-5xx: 2 of 2 marked orders have no fault-log entry (o-0, o-3); 1 of them hit by "
        "handler-500, which may have stopped them before courier-5xx could fire",
    ]
    assert partly.never_fired() is None

    nothing = summarize_faults(
        ("dynamodb-throttle",),
        marked=MARKED,
        run_orders=RUN,
        log=[entry("dynamodb-throttle", "o-9"), entry("handler-500", "o-0")],
        marker_path="chaos",
    )
    problem = nothing.never_fired()
    assert problem is not None
    assert problem.startswith(
        "the chain never fired dynamodb-throttle: 2 orders carried the marker at chaos in"
    )
    assert "\n" not in problem
    assert fault_findings(nothing)[-1] == problem
    assert nothing.to_dict()["never_fired"] == problem


def test_a_fault_that_stopped_an_order_first_is_named_on_the_fault_that_could_not_fire() -> None:
    # Both faults on the same orders: the throttled PutItem ends the request before any PutEvents.
    summary = summarize_faults(
        ("dynamodb-throttle", "events-entry-failure"),
        marked=MARKED,
        run_orders=RUN,
        log=[entry("dynamodb-throttle", "o-0"), entry("dynamodb-throttle", "o-3")],
        marker_path="meta.faults",
    )
    assert [c.hit_by_others for c in summary.checks] == [(), (("dynamodb-throttle", 2),)]
    assert summary.findings() == [
        "events-entry-failure: 2 of 2 marked orders have no fault-log entry (o-0, o-3); 2 of them hit by "
        "dynamodb-throttle, which may have stopped them before events-entry-failure could fire"
    ]
    assert summary.to_dict()["faults"][1]["unlogged_hit_by"] == {"dynamodb-throttle": 2}
    assert summary.never_fired() is None


def test_no_marked_order_or_an_unreadable_log_is_not_a_configuration_error() -> None:
    none_sent = summarize_faults(("handler-500",), marked=[], run_orders=RUN, log=[], marker_path="chaos")
    assert none_sent.never_fired() is None
    # An unreadable log says nothing of what fired: no entry read is not "never fired".
    unreadable = FaultSummary(
        "chaos", checks=(FaultCheck("handler-500", 2, 0, 0, ("o-0", "o-3")),), log_error="registry down"
    )
    assert unreadable.never_fired() is None
    assert fault_findings(unreadable)[-1] == "the fault log could not be read: registry down"


def test_many_unlogged_orders_are_listed_in_full_in_json_and_shortened_in_a_line() -> None:
    marked = [f"o-{n}" for n in range(8)]
    summary = summarize_faults(("handler-500",), marked=marked, run_orders=marked, log=[], marker_path="x")
    assert summary.findings() == [
        "handler-500: 8 of 8 marked orders have no fault-log entry (o-0, o-1, o-2, o-3, o-4, … 3 more)"
    ]
    assert summary.to_dict()["faults"][0]["unlogged_orders"] == marked


def test_report_lines_one_per_fault_then_findings() -> None:
    summary = FaultSummary(
        "meta.faults",
        checks=(
            FaultCheck("dynamodb-throttle", 3, 3, 3),
            FaultCheck("events-entry-failure", 3, 2, 2, unlogged=("o-6",), unmarked_hits=1),
        ),
    )
    assert fault_lines(summary) == [
        ("faults", "dynamodb-throttle: 3 marked, 3 in the fault log (3 entries)"),
        ("faults", "events-entry-failure: 3 marked, 2 in the fault log (2 entries), 1 unmarked hit by rate"),
        ("finding", "events-entry-failure: 1 of 3 marked orders have no fault-log entry (o-6)"),
    ]
    assert fault_lines(None) == []


def order(seq: int, *, sent: bool = True) -> OrderRecord:
    return OrderRecord(
        run_id="r", seq=seq, order_id=f"o-{seq}", planned_at=0.0, sent_at=1.0 if sent else None
    )


def test_only_sent_orders_the_plan_marked_are_counted_and_no_plan_is_no_summary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders = [order(0), order(1), order(2), order(3, sent=False), order(6)]
    assert read_fault_summary(None, orders, aws_endpoint_url="http://x", marker_path="chaos", since=0) is None
    assert (
        read_fault_summary(FaultPlan(), orders, aws_endpoint_url="http://x", marker_path="c", since=0) is None
    )

    asked: list[float | None] = []

    def log(_client: object, since: float | None = None) -> list[FiredFault]:
        asked.append(since)
        return [entry("handler-500", "o-0"), entry("handler-500", "o-3"), entry("handler-500", "o-1")]

    monkeypatch.setattr("chainprobe.run_faults.FaultRegistryClient.log", log)
    plan = FaultPlan(faults=("handler-500",), every=3)
    summary = read_fault_summary(plan, orders, aws_endpoint_url="http://x", marker_path="chaos", since=42.0)
    assert summary is not None and asked == [42.0]
    # o-0 and o-6 were marked and sent; o-3 was planned marked but never left, o-1 was not marked: both
    # are hits the markers do not explain.
    assert summary.checks == (FaultCheck("handler-500", 2, 1, 1, unlogged=("o-6",), unmarked_hits=2),)

    no_log = read_fault_summary(plan, orders, aws_endpoint_url="", marker_path="chaos", since=0)
    assert no_log is not None and no_log.log_error is not None and no_log.never_fired() is None
