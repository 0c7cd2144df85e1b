"""Queries the Logs Insights evaluator refuses: a MalformedQueryException naming the culprit and where."""

import pytest

from chainprobe.measure.logsinsights import (
    ArgumentError,
    LogEvent,
    LogsInsightsError,
    QuerySyntaxError,
    UnsupportedCommandError,
    UnsupportedFunctionError,
    evaluate,
    parse,
)

CASES: list[tuple[str, type[LogsInsightsError], str]] = [
    ("fields a | dedup a", UnsupportedCommandError, "unsupported command 'dedup' at position 11"),
    ("pattern @message", UnsupportedCommandError, "unsupported command 'pattern' at position 0"),
    ("stats foo(x)", UnsupportedFunctionError, "unsupported function 'foo' at position 6"),
    (
        "filter count(*) > 1",
        UnsupportedFunctionError,
        "aggregate function used outside stats: 'count' at position 7",
    ),
    ("fields a |", QuerySyntaxError, "expected a command, found end of query at position 10"),
    ('filter a = "x', QuerySyntaxError, "unterminated string at position 11"),
    ("limit 0", QuerySyntaxError, "limit needs a positive whole number, found '0' at position 6"),
    ('parse @message "a*b*" as x', ArgumentError, "parse pattern has 2 '*' but 1 names follow 'as'"),
    ("stats latency by x", ArgumentError, "stats expression 'latency' needs an aggregate function"),
    ("stats pct(latency)", ArgumentError, "wrong number of arguments to 'pct' in 'pct(latency)'"),
    ("filter a like /(/", QuerySyntaxError, "invalid regular expression /(/"),
    ("filter a = 1 b", QuerySyntaxError, "expected '|' or end of query, found 'b' at position 13"),
    ("stats sum(max(a))", ArgumentError, "aggregate inside aggregate in 'sum(max(a))'"),
]


@pytest.mark.parametrize(("query", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_malformed_queries_name_the_culprit(query: str, error: type[LogsInsightsError], message: str) -> None:
    with pytest.raises(error) as raised:
        parse(query)
    assert str(raised.value).startswith(message)
    assert raised.value.code == "MalformedQueryException"


def test_the_error_carries_the_offsets_of_the_unsupported_command() -> None:
    with pytest.raises(UnsupportedCommandError) as raised:
        evaluate("fields a | dedup a", [LogEvent(0, "m", "g", "s")])
    assert (raised.value.command, raised.value.start, raised.value.end) == ("dedup", 11, 16)
