"""The milestone view: per order the milestones reached, the log SLI and the lead time (hand-computed)."""

from __future__ import annotations

import json

import pytest

from chainprobe.measure.log_view import (
    MAX_QUERY_CHARS,
    LeadTime,
    milestone_query,
    order_milestones,
    parse_timestamp,
    summarise,
)
from chainprobe.measure.logsinsights import LogEvent, evaluate
from chainprobe.spec.model import LogsSpec, Milestone

ORDERS, DELIVERY = "/aws/lambda/OrdersHandler", "/aws/lambda/DeliveryHandler"
SPEC = LogsSpec(
    log_groups=(ORDERS, DELIVERY),
    correlation_field="correlation_id",
    milestone_field="status",
    first_milestone=Milestone(name="START", log_group=ORDERS),
    last_milestone=Milestone(name="COMPLETED", log_group=DELIVERY),
    failure_milestone="FAILED",
    exception_fields=("reason",),
)
T0 = "2026-12-05 04:00:00.000"


def row(order: str, status: str, group: str, second: float, **extra: str) -> dict[str, str]:
    whole, millis = int(second), round((second % 1) * 1000)
    stamp = f"2026-12-05 04:00:{whole:02d}.{millis:03d}"
    return {
        "@timestamp": stamp,
        "@log": f"000000000000:{group}",
        "correlation_id": order,
        "status": status,
        **extra,
    }


def full(order: str, start: float, done: float) -> list[dict[str, str]]:
    return [
        row(order, "START", ORDERS, start),
        row(order, "COMPLETED", ORDERS, start + 0.1),
        row(order, "START", DELIVERY, start + 0.2),
        row(order, "COMPLETED", DELIVERY, done),
    ]


# (case, rows, started, completed, failed ids, lead time p50/p95/max in ms)
CASES = [
    ("no rows", [], 0, 0, (), None),
    ("one good order", full("o-1", 1.0, 3.5), 1, 1, (), LeadTime(2500, 2500, 2500)),
    (
        # the orders function's COMPLETED is not the last milestone: it is counted only in the delivery group
        "completed only in the first function",
        [row("o-1", "START", ORDERS, 1.0), row("o-1", "COMPLETED", ORDERS, 1.2)],
        1,
        0,
        ("o-1",),
        None,
    ),
    (
        "three orders, one failed",
        full("o-1", 1.0, 2.0)
        + full("o-2", 1.0, 5.0)
        + [row("o-3", "START", ORDERS, 2.0), row("o-3", "FAILED", ORDERS, 2.1)],
        3,
        2,
        ("o-3",),
        LeadTime(1000, 4000, 4000),
    ),
    (
        # no START in the logs (a request the function never saw): not in the log SLI at all
        "last without first",
        [row("o-1", "COMPLETED", DELIVERY, 2.0)],
        0,
        0,
        (),
        None,
    ),
    (
        "rows out of order are sorted by time",
        list(reversed(full("o-1", 1.0, 1.75))),
        1,
        1,
        (),
        LeadTime(750, 750, 750),
    ),
    (
        "a row without a time or id is skipped",
        [{**row("o-1", "START", ORDERS, 1.0), "@timestamp": "yesterday"}, row("", "START", ORDERS, 1.0)],
        0,
        0,
        (),
        None,
    ),
    (
        "p50 and p95 by nearest rank over four",
        full("a", 0.0, 1.0) + full("b", 0.0, 2.0) + full("c", 0.0, 3.0) + full("d", 0.0, 9.0),
        4,
        4,
        (),
        LeadTime(2000, 9000, 9000),
    ),
]


@pytest.mark.parametrize(
    ("case", "rows", "started", "completed", "failed", "lead"), CASES, ids=[case[0] for case in CASES]
)
def test_log_sli_and_lead_time(
    case: str,
    rows: list[dict[str, str]],
    started: int,
    completed: int,
    failed: tuple[str, ...],
    lead: LeadTime | None,
) -> None:
    view = summarise(SPEC, order_milestones(SPEC, rows))
    assert (view.started, view.completed, view.failed) == (started, completed, failed)
    assert view.lead_time_ms == lead
    assert view.availability == (completed / started if started else None)


def test_per_order_milestones_and_exception() -> None:
    rows = [row("o-1", "START", ORDERS, 1.0), row("o-1", "FAILED", ORDERS, 1.5, reason="InternalFailure: x")]
    order = order_milestones(SPEC, rows)["o-1"]
    assert [(hit.name, hit.log_group) for hit in order.hits] == [("START", ORDERS), ("FAILED", ORDERS)]
    assert order.hits[1].at - order.hits[0].at == pytest.approx(0.5)
    assert order.exception == "InternalFailure: x"
    assert order.failed("FAILED") and not order.failed(None)


def test_a_milestone_without_a_group_counts_in_any_group() -> None:
    spec = LogsSpec(**{**SPEC.__dict__, "last_milestone": Milestone(name="COMPLETED")})
    view = summarise(
        spec, order_milestones(spec, [row("o-1", "START", ORDERS, 1.0), row("o-1", "COMPLETED", ORDERS, 1.2)])
    )
    assert (view.completed, view.lead_time_ms) == (1, LeadTime(200, 200, 200))


def test_parse_timestamp() -> None:
    assert parse_timestamp(T0) == pytest.approx(1796443200.0)
    assert parse_timestamp("2026-12-05T04:00:00Z") is None


def test_the_query_selects_the_run_orders_milestone_lines_oldest_first() -> None:
    """The query, run by the Logs Insights evaluator, gives rows the view reads; other orders and lines
    without a milestone are left out; a quote in an id stays inside its string."""
    lines = [
        (2_000, ORDERS, {"correlation_id": "o-1", "status": "START"}),
        (2_100, ORDERS, {"correlation_id": "o-1", "message": "no milestone"}),
        (1_000, ORDERS, {"correlation_id": "other", "status": "START"}),
        (2_500, ORDERS, {"correlation_id": 'o-"2', "status": "FAILED", "reason": "boom"}),
        (4_000, DELIVERY, {"correlation_id": "o-1", "status": "COMPLETED"}),
    ]
    events = [LogEvent(ms, json.dumps(body), group, "s") for ms, group, body in lines]
    result = evaluate(milestone_query(SPEC, ["o-1", 'o-"2']), events)
    rows = [{field["field"]: field["value"] for field in fields} for fields in result.results]
    assert [(r["correlation_id"], r["status"]) for r in rows] == [
        ("o-1", "START"),
        ('o-"2', "FAILED"),
        ("o-1", "COMPLETED"),
    ]
    orders = order_milestones(SPEC, rows)
    assert orders['o-"2'].exception == "boom"
    assert summarise(SPEC, orders).lead_time_ms == LeadTime(2000, 2000, 2000)


def test_a_run_too_large_to_list_asks_for_its_common_prefix_and_keeps_its_own_ids() -> None:
    ids = [f"o-r-20261205t040000-abcdef-{seq}-{seq:06x}" for seq in range(400)]
    query = milestone_query(SPEC, ids)
    assert len(query) <= MAX_QUERY_CHARS
    assert 'filter correlation_id like "o-r-20261205t040000-abcdef-"' in query
    lines = [
        (1_000, ORDERS, {"correlation_id": ids[0], "status": "START"}),
        (1_500, ORDERS, {"correlation_id": "o-r-20261205t040000-abcdef-999-xxxxxx", "status": "START"}),
        (2_000, ORDERS, {"correlation_id": "o-other-run", "status": "START"}),
    ]
    events = [LogEvent(ms, json.dumps(body), group, "s") for ms, group, body in lines]
    rows = [{f["field"]: f["value"] for f in fields} for fields in evaluate(query, events).results]
    assert len(rows) == 2  # the other run's line is not asked for
    assert list(order_milestones(SPEC, rows, only=set(ids))) == [ids[0]]  # nor kept when it shares the prefix


def test_a_small_run_lists_its_ids() -> None:
    assert 'filter correlation_id in ["o-1", "o-2"] and ispresent(status)' in milestone_query(
        SPEC, ["o-1", "o-2"]
    )
