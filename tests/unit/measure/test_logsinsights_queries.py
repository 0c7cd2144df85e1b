"""The Logs Insights evaluator against a table of queries and hand-computed results.

Eight events in two log groups (the orders and delivery functions): order o-1 passes START,
SAVED_IN_DATABASE, PUBLISHED (orders) and COMPLETED (delivery, 1.75 s after START); order o-2 starts
and FAILED with a nested error; two plain Lambda lines (START/REPORT) 6 min 40 s later.
"""

import json
from typing import Any

import pytest

from chainprobe.measure.logsinsights import LogEvent, evaluate

T0 = 1_767_268_800_000  # 2026-01-01 12:00:00.000 UTC
ORDERS, DELIVERY = "/aws/lambda/orders", "/aws/lambda/delivery"


def _event(offset_ms: int, body: dict[str, Any] | str, group: str = ORDERS, stream: str = "s-a") -> LogEvent:
    message = body if isinstance(body, str) else json.dumps(body)
    return LogEvent(T0 + offset_ms, message, group, stream)


EVENTS = [
    _event(0, {"correlation_id": "o-1", "status": "START", "level": "INFO", "latency": 10}),
    _event(100, {"correlation_id": "o-1", "status": "SAVED_IN_DATABASE", "level": "INFO", "latency": 30}),
    _event(250, {"correlation_id": "o-1", "status": "PUBLISHED", "level": "INFO", "latency": 20}),
    _event(400, {"correlation_id": "o-2", "status": "START", "level": "INFO", "latency": 40}, stream="s-b"),
    _event(
        450,
        {
            "correlation_id": "o-2",
            "status": "FAILED",
            "level": "ERROR",
            "error": {"type": "ClientError", "message": "InternalFailure"},
        },
        stream="s-b",
    ),
    _event(
        1750,
        {"correlation_id": "o-1", "status": "COMPLETED", "level": "INFO", "latency": 50},
        DELIVERY,
        "s-c",
    ),
    _event(400_000, "START RequestId: r-7 Version: $LATEST"),
    _event(400_500, "REPORT RequestId: r-7\tDuration: 12.50 ms\tBilled Duration: 13 ms"),
]

Rows = list[list[tuple[str, str]]]

CASES: list[tuple[str, Rows]] = [
    (
        'fields @timestamp, status | filter correlation_id = "o-1" | sort @timestamp asc',
        [
            [("@timestamp", "2026-01-01 12:00:00.000"), ("status", "START")],
            [("@timestamp", "2026-01-01 12:00:00.100"), ("status", "SAVED_IN_DATABASE")],
            [("@timestamp", "2026-01-01 12:00:00.250"), ("status", "PUBLISHED")],
            [("@timestamp", "2026-01-01 12:00:01.750"), ("status", "COMPLETED")],
        ],
    ),
    (
        "stats (latest(@timestamp) - earliest(@timestamp))/1000 as LeadTimeInSeconds by correlation_id"
        " | sort LeadTimeInSeconds desc | limit 10",
        [
            [("correlation_id", "o-1"), ("LeadTimeInSeconds", "1.75")],
            [("LeadTimeInSeconds", "0.5")],  # the two lines without a correlation id
            [("correlation_id", "o-2"), ("LeadTimeInSeconds", "0.05")],
        ],
    ),
    (
        "filter ispresent(correlation_id) | stats count(*) as n, count_distinct(correlation_id) as orders",
        [[("n", "6"), ("orders", "2")]],
    ),
    (
        "stats count(*) by status | sort status asc",
        [
            [("status", "COMPLETED"), ("count(*)", "1")],
            [("status", "FAILED"), ("count(*)", "1")],
            [("status", "PUBLISHED"), ("count(*)", "1")],
            [("status", "SAVED_IN_DATABASE"), ("count(*)", "1")],
            [("status", "START"), ("count(*)", "2")],
            [("count(*)", "2")],
        ],
    ),
    (
        "stats sum(latency) as s, avg(latency) as a, min(latency) as lo, max(latency) as hi,"
        " pct(latency, 50) as p50, pct(latency, 95) as p95, count(latency) as n",
        [[("s", "150"), ("a", "30"), ("lo", "10"), ("hi", "50"), ("p50", "30"), ("p95", "50"), ("n", "5")]],
    ),
    (
        "filter ispresent(status) | stats count(*) as n by @log, level | sort n desc, level asc",
        [
            [("@log", ORDERS), ("level", "INFO"), ("n", "4")],
            [("@log", ORDERS), ("level", "ERROR"), ("n", "1")],
            [("@log", DELIVERY), ("level", "INFO"), ("n", "1")],
        ],
    ),
    (
        "stats count(*) as n by bin(5m)",
        [
            [("bin(5m)", "2026-01-01 12:00:00.000"), ("n", "6")],
            [("bin(5m)", "2026-01-01 12:05:00.000"), ("n", "2")],
        ],
    ),
    (
        'filter @message like "RequestId" | fields @message',
        [
            [("@message", "REPORT RequestId: r-7\tDuration: 12.50 ms\tBilled Duration: 13 ms")],
            [("@message", "START RequestId: r-7 Version: $LATEST")],
        ],
    ),
    (
        r"filter @message like /requestid: r-\d/i | display @logStream, @timestamp",
        [
            [("@logStream", "s-a"), ("@timestamp", "2026-01-01 12:06:40.500")],
            [("@logStream", "s-a"), ("@timestamp", "2026-01-01 12:06:40.000")],
        ],
    ),
    (
        'filter @message =~ /^START/ and @message not like "COMPLETED" | fields @timestamp',
        [[("@timestamp", "2026-01-01 12:06:40.000")]],
    ),
    (
        'filter status in ["START", "FAILED"] and not correlation_id = "o-1" | fields status',
        [[("status", "FAILED")], [("status", "START")]],
    ),
    (
        'filter status not in ["START", "FAILED"] | stats count(*) as n',
        [[("n", "3")]],
    ),
    (
        'filter latency >= 40 or level = "ERROR" | sort @timestamp asc | fields correlation_id, latency',
        [
            [("correlation_id", "o-2"), ("latency", "40")],
            [("correlation_id", "o-2")],
            [("correlation_id", "o-1"), ("latency", "50")],
        ],
    ),
    (
        "filter ispresent(error.type) | fields error.type, error.message",
        [[("error.type", "ClientError"), ("error.message", "InternalFailure")]],
    ),
    (
        'parse @message "REPORT RequestId: *\\tDuration: * ms" as rid, dur'
        " | filter ispresent(rid) | display rid, dur",
        [[("rid", "r-7"), ("dur", "12.50")]],
    ),
    (
        'parse @message "Duration: * ms" as dur | filter ispresent(dur) | stats sum(dur * 2) as d',
        [[("d", "25")]],
    ),
    (
        r"parse @message /RequestId: (?<rid>\S+) Version/ | filter ispresent(rid) | display rid",
        [[("rid", "r-7")]],
    ),
    (
        'filter correlation_id = "o-1" | fields latency * 2 + 1 as x, latency / 4 as q, latency % 7 as m'
        " | sort x asc | display x, q, m",
        [
            [("x", "21"), ("q", "2.5"), ("m", "3")],
            [("x", "41"), ("q", "5"), ("m", "6")],
            [("x", "61"), ("q", "7.5"), ("m", "2")],
            [("x", "101"), ("q", "12.5"), ("m", "1")],
        ],
    ),
    (
        "fields @timestamp | limit 2",
        [[("@timestamp", "2026-01-01 12:06:40.500")], [("@timestamp", "2026-01-01 12:06:40.000")]],
    ),
    (
        "filter ispresent(correlation_id)"
        " | stats earliest(status) as first, latest(status) as last by correlation_id",
        [
            [("correlation_id", "o-1"), ("first", "START"), ("last", "COMPLETED")],
            [("correlation_id", "o-2"), ("first", "START"), ("last", "FAILED")],
        ],
    ),
    (
        'filter status != "START" and ispresent(latency) | stats count(*) as n',
        [[("n", "3")]],
    ),
    (
        'filter correlation_id = "o-1" and status = "START" | fields latency / 0 as z, latency',
        [[("latency", "10")]],  # division by zero: absent
    ),
    (
        'filter status = "FAILED"',
        [
            [
                ("@timestamp", "2026-01-01 12:00:00.450"),
                ("@message", EVENTS[4].message),
                ("@logStream", "s-b"),
                ("@log", ORDERS),
            ]
        ],
    ),
    (
        "stats max(@timestamp) - min(@timestamp) as span_ms, latest(@timestamp) as last",
        [[("span_ms", "400500"), ("last", "2026-01-01 12:06:40.500")]],
    ),
    (
        "# the Lambda lines only\nfilter @message like /^(START|REPORT) /"
        " | stats count(*) as n by @logStream",
        [[("@logStream", "s-a"), ("n", "2")]],
    ),
    (
        "filter ispresent(`correlation_id`) | stats count(*) as n by correlation_id"
        " | stats avg(n) as per_order",
        [[("per_order", "3")]],  # o-1: 4 lines, o-2: 2
    ),
    (
        'filter correlation_id = "o-2" | fields concat(status, "/", level) as s, strlen(status) as len'
        " | sort @timestamp asc | display s, len",
        [[("s", "START/INFO"), ("len", "5")], [("s", "FAILED/ERROR"), ("len", "6")]],
    ),
    (
        'FIELDS status | FILTER level = "ERROR" OR NOT isPresent(level) | SORT @timestamp ASC',
        [[("status", "FAILED")], [], []],
    ),
]


def _rows(query: str, **kwargs: Any) -> Rows:
    result = evaluate(query, EVENTS, **kwargs)
    return [[(f["field"], f["value"]) for f in row] for row in result.results]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_query_table(query: str, expected: Rows) -> None:
    assert _rows(query) == expected


def test_statistics_count_scanned_events_and_the_rows_the_filters_kept() -> None:
    result = evaluate('filter correlation_id = "o-1"', EVENTS)
    assert (result.records_scanned, result.records_matched) == (8, 4)
    assert result.bytes_scanned == sum(len(e.message.encode()) for e in EVENTS)
    stats = evaluate('filter level = "INFO" | stats count(*) by correlation_id', EVENTS)
    assert stats.records_matched == 5  # rows entering stats, not groups


def test_the_start_query_limit_caps_rows_and_the_default_is_ten_thousand() -> None:
    assert len(_rows("fields @timestamp", limit=3)) == 3
    many = [LogEvent(T0 + i, "x", ORDERS, "s") for i in range(10_005)]
    assert len(evaluate("fields @message", many).results) == 10_000
    assert len(evaluate("fields @message | limit 10005", many).results) == 10_000  # AWS's maximum


def test_the_log_field_names_the_account_when_given() -> None:
    event = LogEvent(T0, "hello", ORDERS, "s", account="000000000000")
    assert evaluate("display @log", [event]).results == [
        [{"field": "@log", "value": f"000000000000:{ORDERS}"}]
    ]


def test_a_lambda_line_with_a_json_tail_has_its_fields_discovered() -> None:
    event = LogEvent(T0, '2026-01-01T12:00:00Z\treq-1\tINFO\t{"status": "START"}', ORDERS, "s")
    assert evaluate("display status", [event]).results == [[{"field": "status", "value": "START"}]]


def test_stats_without_rows_gives_one_row_of_zero_count() -> None:
    assert _rows('filter status = "NOPE" | stats count(*) as n') == [[("n", "0")]]
