"""Composite alarm rules: CloudWatch's grammar, precedence and refusals (``cloudwatch/alarm_rule.py``)."""

from __future__ import annotations

import pytest
from chainprobe_localstack.cloudwatch.alarm_rule import AlarmRuleError, parse_alarm_rule

LONG = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cp-sli-page-fast-long-1h"
SHORT = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cp-sli-page-fast-short-5m"


def judge(rule: str, **states: str) -> bool:
    return parse_alarm_rule(rule).evaluate(lambda name: states.get(name, "INSUFFICIENT_DATA"))


@pytest.mark.parametrize(
    ("long", "short", "expected"),
    [
        ("ALARM", "ALARM", True),
        ("ALARM", "OK", False),
        ("OK", "ALARM", False),
        ("INSUFFICIENT_DATA", "ALARM", False),
    ],
)
def test_a_burn_rate_rule_needs_both_windows(long: str, short: str, expected: bool) -> None:
    rule = parse_alarm_rule(f'ALARM("{LONG}") AND ALARM("{SHORT}")')
    assert rule.evaluate({LONG: long, SHORT: short}.__getitem__) is expected
    assert rule.alarms() == (LONG, SHORT)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("ALARM(a) OR ALARM(b) AND ALARM(c)", True),  # AND binds tighter: a OR (b AND c)
        ("(ALARM(a) OR ALARM(b)) AND ALARM(c)", False),
        ("NOT ALARM(c) AND ALARM(a)", True),  # NOT binds tightest
        ("NOT (ALARM(c) OR ALARM(b))", True),
        ("OK(b)", True),
        ("INSUFFICIENT_DATA(nobody)", True),
        ("TRUE AND NOT FALSE", True),
        ("FALSE OR (TRUE AND FALSE)", False),
        ('ALARM( "a" ) AND OK(  b  )', True),
        ("ALARM(a)AND OK(b)", True),
    ],
)
def test_operators_and_functions(rule: str, expected: bool) -> None:
    assert judge(rule, a="ALARM", b="OK", c="OK") is expected


def test_names_may_hold_spaces_and_parentheses_when_quoted() -> None:
    assert judge('ALARM("disk (root) full")', **{"disk (root) full": "ALARM"})
    assert parse_alarm_rule("ALARM(cpu high)").alarms() == ("cpu high",)


def test_an_alarm_named_twice_is_listed_once() -> None:
    assert parse_alarm_rule("ALARM(a) OR (OK(a) AND ALARM(b))").alarms() == ("a", "b")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "AlarmRule is empty"),
        (
            "ALARM(a) AND",
            "expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, NOT or '(' at character 13",
        ),
        ("ALARM(a) XOR ALARM(b)", "expected AND, OR or the end of the rule at character 10"),
        ("(ALARM(a)", "expected ')' at character 10"),
        ('ALARM("a)', "unterminated quoted alarm name"),
        ("ALARM()", "an alarm name or ARN is missing"),
        ("ALARM(a", "expected ')' after the alarm name"),
        ("AT_LEAST(2, ALARM, (a, b, c))", "unsupported function or keyword 'AT_LEAST'"),
        ("alarm(a)", "unsupported function or keyword 'alarm'"),
        ("ALARMS(a)", "unsupported function or keyword 'ALARMS'"),
        ("x" * 10241, "longer than 10240 characters"),
    ],
)
def test_a_rule_cloudwatch_would_refuse_is_refused_with_the_reason(rule: str, message: str) -> None:
    with pytest.raises(AlarmRuleError) as raised:
        parse_alarm_rule(rule)
    assert message in str(raised.value)
