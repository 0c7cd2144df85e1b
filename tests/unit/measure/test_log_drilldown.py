"""A bad order's drill-down from its log lines (hand-built rows), and its text: bounded and redacted."""

from __future__ import annotations

import pytest

from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.measure.log_drilldown import (
    BATCH,
    MAX_LINE_CHARS,
    MAX_LINES,
    LoggedException,
    console_query,
    drilldown_query,
    drilldowns,
)
from chainprobe.measure.logsinsights import parse
from chainprobe.report.log_drilldown import render_drilldown
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


def row(
    order: str, second: int, group: str, message: str, status: str = "", reason: str = ""
) -> dict[str, str]:
    line = {"@timestamp": f"2026-12-05 04:00:{second:02d}.000", "@log": f"0:{group}", "@message": message}
    if order:
        line["correlation_id"] = order
    if status:
        line["status"] = status
    if reason:
        line["reason"] = reason
    return line


FAILED_PUBLISH = [
    row("o-1", 1, ORDERS, "order received", "START"),
    row("o-1", 2, ORDERS, "order saved", "SAVED_IN_DATABASE"),
    row("o-1", 3, ORDERS, "a debug line without milestone"),
    row("o-1", 4, ORDERS, "event not published", "FAILED", "InternalFailure: entry not accepted"),
]
DELIVERED = [
    row("o-2", 1, ORDERS, "order received", "START"),
    row("o-2", 5, DELIVERY, "delivered", "COMPLETED"),
]
# lambda-exception: the handler logs FAILED with a reason, then raises; the runtime's error line has no
# correlation field, only the message naming the order (o-3, not o-30 whose id starts the same).
UNHANDLED = [
    row("o-3", 1, ORDERS, "order received", "START"),
    row("o-3", 2, ORDERS, "order failed", "FAILED", "unhandled exception"),
    row("", 2, ORDERS, "[ERROR] InjectedHandlerError: injected fault lambda-exception for order o-3"),
    row("", 2, ORDERS, "Traceback (most recent call last):"),
    row("", 3, ORDERS, "[ERROR] InjectedHandlerError: injected fault lambda-exception for order o-30"),
]
# AWS's JSON log format for the runtime error; Powertools' logger.exception (exception_name, exception).
JSON_ERROR = [
    row("o-4", 1, ORDERS, "order received", "START"),
    row("", 2, ORDERS, '{"errorType": "KeyError", "errorMessage": "\'amount\' (o-4)", "requestId": "r"}'),
]
POWERTOOLS = [
    row("o-5", 1, ORDERS, "order received", "START"),
    row(
        "o-5",
        2,
        ORDERS,
        '{"status": "FAILED", "exception_name": "ValueError", '
        '"exception": "Traceback (most recent call last):\\nValueError: bad amount"}',
        "FAILED",
    ),
]


# (case, rows, order id, milestones passed, missing milestone, functions, lines, exception)
CASES = [
    (
        "failed publish",
        FAILED_PUBLISH + DELIVERED,
        "o-1",
        ["START", "SAVED_IN_DATABASE", "FAILED"],
        f"COMPLETED in {DELIVERY}",
        ("OrdersHandler",),
        4,
        LoggedException(None, "InternalFailure: entry not accepted"),
    ),
    (
        "delivered",
        FAILED_PUBLISH + DELIVERED,
        "o-2",
        ["START", "COMPLETED"],
        None,
        ("OrdersHandler", "DeliveryHandler"),
        2,
        None,
    ),
    ("no line at all", DELIVERED, "o-9", [], f"START in {ORDERS}", (), 0, None),
    (
        "unhandled exception: the runtime's line, found by the id in its message",
        UNHANDLED,
        "o-3",
        ["START", "FAILED"],
        f"COMPLETED in {DELIVERY}",
        ("OrdersHandler",),
        3,  # the traceback line names no order: not its line
        LoggedException("InjectedHandlerError", "injected fault lambda-exception for order o-3"),
    ),
    (
        "the runtime's JSON error line",
        JSON_ERROR,
        "o-4",
        ["START"],
        f"COMPLETED in {DELIVERY}",
        ("OrdersHandler",),
        2,
        LoggedException("KeyError", "'amount' (o-4)"),
    ),
    (
        "Powertools' exception fields",
        POWERTOOLS,
        "o-5",
        ["START", "FAILED"],
        f"COMPLETED in {DELIVERY}",
        ("OrdersHandler",),
        2,
        LoggedException("ValueError", "ValueError: bad amount"),
    ),
    (
        "rows out of order",
        list(reversed(DELIVERED)),
        "o-2",
        ["START", "COMPLETED"],
        None,
        ("OrdersHandler", "DeliveryHandler"),
        2,
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "rows", "order_id", "passed", "missing", "functions", "lines", "exception"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_drilldown(
    case: str,
    rows: list[dict[str, str]],
    order_id: str,
    passed: list[str],
    missing: str | None,
    functions: tuple[str, ...],
    lines: int,
    exception: LoggedException | None,
) -> None:
    (found,) = drilldowns(SPEC, rows, [order_id])
    assert [hit.name for hit in found.milestones] == passed
    assert (found.missing_milestone, found.functions, len(found.log_lines), found.exception) == (
        missing,
        functions,
        lines,
        exception,
    )


def test_log_lines_are_bounded_in_number_and_length() -> None:
    rows = [row("o-1", second, ORDERS, "x" * 1000) for second in range(MAX_LINES + 5)]
    (found,) = drilldowns(SPEC, rows, ["o-1"])
    assert (len(found.log_lines), found.dropped) == (MAX_LINES, 5)
    assert all(len(line) < MAX_LINE_CHARS + 60 for line in found.log_lines)


def test_the_query_parses_and_takes_at_most_a_batch() -> None:
    parse(drilldown_query(SPEC, [f"o-{i}" for i in range(BATCH)]))
    parse(console_query(SPEC, 'o-"quoted"'))
    with pytest.raises(ValueError, match="1 to 10"):
        drilldown_query(SPEC, [f"o-{i}" for i in range(BATCH + 1)])


def test_the_text_names_the_missing_milestone_and_exception_and_redacts_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAINPROBE_API_KEY", "s3cr3t-api-key-value")
    rows = [*FAILED_PUBLISH, row("o-1", 5, ORDERS, "calling with key s3cr3t-api-key-value")]
    (found,) = drilldowns(SPEC, rows, ["o-1"])
    order = OrderRecord(
        run_id="r",
        seq=0,
        order_id="o-1",
        planned_at=0.0,
        chain_verdict=Verdict.BAD,
        chain_failure=FailureClass.EVENT_MISSING,
    )
    text = render_drilldown(found, order)
    assert text.startswith("order o-1 (seq 0): bad, event_missing\n")
    assert f"missing     COMPLETED in {DELIVERY}" in text
    assert "exception   InternalFailure: entry not accepted" in text
    assert "milestones  START OrdersHandler 04:00:01.000 | SAVED_IN_DATABASE" in text
    assert "s3cr3t" not in text and "calling with key ***" in text


PATH_SPEC = LogsSpec(
    log_groups=SPEC.log_groups,
    correlation_field=SPEC.correlation_field,
    milestone_field=SPEC.milestone_field,
    first_milestone=SPEC.first_milestone,
    last_milestone=SPEC.last_milestone,
    milestones=(
        Milestone(name="SAVED_IN_DATABASE"),
        Milestone(name="PUBLISHED"),
        Milestone(name="START", log_group=DELIVERY),
    ),
    failure_milestone=SPEC.failure_milestone,
    exception_fields=SPEC.exception_fields,
)
EARLY_PUBLISHED = [  # a PUBLISHED line logged before the order's START is not the order's path
    row("o-6", 1, ORDERS, "stray", "PUBLISHED"),
    row("o-6", 2, ORDERS, "order received", "START"),
    row("o-6", 3, ORDERS, "order saved", "SAVED_IN_DATABASE"),
]
PUBLISHED_NOT_DELIVERED = [
    row("o-7", 1, ORDERS, "order received", "START"),
    row("o-7", 2, ORDERS, "order saved", "SAVED_IN_DATABASE"),
    row("o-7", 3, ORDERS, "event published", "PUBLISHED"),
    row("o-7", 4, ORDERS, "order created", "COMPLETED"),  # the orders function's own COMPLETED
]
STARTED_IN_DELIVERY = [
    *PUBLISHED_NOT_DELIVERED,
    row("o-7", 6, DELIVERY, "delivery started", "START"),
    row("o-7", 9, DELIVERY, "delivery failed", "FAILED", "courier answered 500"),
]

# With the spec's path between first and last, the missing milestone is the first of the path not
# reached after the one before it; the end reached needs no path.
PATH_CASES = [
    ("saved, publish failed", FAILED_PUBLISH, "o-1", "PUBLISHED"),
    ("never started", DELIVERED, "o-9", f"START in {ORDERS}"),
    ("failed before saving", UNHANDLED, "o-3", "SAVED_IN_DATABASE"),
    ("a milestone before the first does not count", EARLY_PUBLISHED, "o-6", "PUBLISHED"),
    ("published, the delivery never started", PUBLISHED_NOT_DELIVERED, "o-7", f"START in {DELIVERY}"),
    ("delivery started and failed", STARTED_IN_DELIVERY, "o-7", f"COMPLETED in {DELIVERY}"),
    ("delivered: no path needed", DELIVERED, "o-2", None),
    (
        "a path milestone logged before the one before it does not count",
        [
            row("o-8", 1, ORDERS, "order received", "START"),
            row("o-8", 2, ORDERS, "event published", "PUBLISHED"),
            row("o-8", 3, ORDERS, "order saved", "SAVED_IN_DATABASE"),
        ],
        "o-8",
        "PUBLISHED",
    ),
]


@pytest.mark.parametrize(("case", "rows", "order_id", "missing"), PATH_CASES, ids=[c[0] for c in PATH_CASES])
def test_the_missing_milestone_follows_the_specs_path(
    case: str, rows: list[dict[str, str]], order_id: str, missing: str | None
) -> None:
    (found,) = drilldowns(PATH_SPEC, rows, [order_id])
    assert found.missing_milestone == missing
