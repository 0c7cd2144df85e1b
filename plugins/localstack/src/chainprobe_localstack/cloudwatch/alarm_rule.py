"""A composite alarm's ``AlarmRule``, parsed and evaluated as CloudWatch documents it.

LocalStack evaluates every rule as an OR of ``ALARM(arn)`` terms whatever it says; the burn-rate
alarms chainprobe generates are ``ALARM(long) AND ALARM(short)``, so the local stack needs the real
grammar (no LocalStack import here: unit-tested from the source tree)::

    rule     := or
    or       := and ("OR" and)*
    and      := not ("AND" not)*
    not      := "NOT" not | "(" rule ")" | "TRUE" | "FALSE" | state "(" alarm ")"
    state    := "ALARM" | "OK" | "INSUFFICIENT_DATA"
    alarm    := a name or an ARN, in double quotes or bare

>>> rule = parse_alarm_rule('ALARM("long") AND NOT OK(short)')
>>> rule.alarms()
('long', 'short')
>>> rule.evaluate({"long": "ALARM", "short": "INSUFFICIENT_DATA"}.__getitem__)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
MAX_RULE_LENGTH = 10240

StateOf = Callable[[str], str]
"""The current state value of an alarm, by the name or ARN the rule uses."""


class AlarmRuleError(ValueError):
    """A rule CloudWatch would refuse; the message says what and where."""


@dataclass(frozen=True)
class Constant:
    value: bool

    def evaluate(self, state_of: StateOf) -> bool:
        return self.value

    def alarms(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class StateIs:
    """``ALARM(x)``, ``OK(x)`` or ``INSUFFICIENT_DATA(x)``."""

    state: str
    alarm: str

    def evaluate(self, state_of: StateOf) -> bool:
        return state_of(self.alarm) == self.state

    def alarms(self) -> tuple[str, ...]:
        return (self.alarm,)


@dataclass(frozen=True)
class Not:
    operand: AlarmRule

    def evaluate(self, state_of: StateOf) -> bool:
        return not self.operand.evaluate(state_of)

    def alarms(self) -> tuple[str, ...]:
        return self.operand.alarms()


@dataclass(frozen=True)
class Junction:
    """``left AND right`` or ``left OR right``."""

    operator: str
    left: AlarmRule
    right: AlarmRule

    def evaluate(self, state_of: StateOf) -> bool:
        left = self.left.evaluate(state_of)
        if self.operator == "AND":
            return left and self.right.evaluate(state_of)
        return left or self.right.evaluate(state_of)

    def alarms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.left.alarms() + self.right.alarms()))


AlarmRule = Constant | StateIs | Not | Junction


def parse_alarm_rule(text: str) -> AlarmRule:
    """The rule's tree; raises :class:`AlarmRuleError`."""
    if not text.strip():
        raise AlarmRuleError("AlarmRule is empty")
    if len(text) > MAX_RULE_LENGTH:
        raise AlarmRuleError(f"AlarmRule is longer than {MAX_RULE_LENGTH} characters")
    parser = _Parser(text)
    rule = parser.rule()
    parser.expect_end()
    return rule


class _Parser:
    def __init__(self, text: str) -> None:
        self._text = text
        self._at = 0

    def rule(self) -> AlarmRule:
        return self._joined("OR", self._conjunction)

    def expect_end(self) -> None:
        self._skip_space()
        if self._at < len(self._text):
            raise self._error("expected AND, OR or the end of the rule")

    def _conjunction(self) -> AlarmRule:
        return self._joined("AND", self._operand)

    def _joined(self, operator: str, operand: Callable[[], AlarmRule]) -> AlarmRule:
        left = operand()
        while self._keyword(operator):
            left = Junction(operator, left, operand())
        return left

    def _operand(self) -> AlarmRule:
        if self._keyword("NOT"):
            return Not(self._operand())
        if self._symbol("("):
            inner = self.rule()
            if not self._symbol(")"):
                raise self._error("expected ')'")
            return inner
        if self._keyword("TRUE"):
            return Constant(True)
        if self._keyword("FALSE"):
            return Constant(False)
        for state in STATES:
            if self._keyword(state, before="("):
                self._symbol("(")
                return StateIs(state, self._alarm())
        word = self._word()
        if word:
            raise self._error(
                f"unsupported function or keyword {word!r} (supported: {', '.join(STATES)}, TRUE, FALSE)"
            )
        raise self._error("expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, NOT or '('")

    def _alarm(self) -> str:
        self._skip_space()
        if self._symbol('"'):
            end = self._text.find('"', self._at)
            if end < 0:
                raise self._error("unterminated quoted alarm name")
            name, self._at = self._text[self._at : end], end + 1
            if not self._symbol(")"):
                raise self._error("expected ')' after the alarm name")
        else:
            end = self._text.find(")", self._at)
            if end < 0:
                raise self._error("expected ')' after the alarm name")
            name, self._at = self._text[self._at : end].strip(), end + 1
        if not name:
            raise self._error("an alarm name or ARN is missing")
        return name

    def _keyword(self, word: str, *, before: str | None = None) -> bool:
        self._skip_space()
        end = self._at + len(word)
        if self._text[self._at : end] != word:
            return False
        following = self._text[end : end + 1]
        if following and (following.isalnum() or following == "_"):
            return False
        if before is not None and self._text[end:].lstrip()[:1] != before:
            return False
        self._at = end
        return True

    def _symbol(self, symbol: str) -> bool:
        self._skip_space()
        if self._text.startswith(symbol, self._at):
            self._at += len(symbol)
            return True
        return False

    def _word(self) -> str:
        end = self._at
        while end < len(self._text) and (self._text[end].isalnum() or self._text[end] == "_"):
            end += 1
        return self._text[self._at : end]

    def _skip_space(self) -> None:
        while self._at < len(self._text) and self._text[self._at].isspace():
            self._at += 1

    def _error(self, message: str) -> AlarmRuleError:
        return AlarmRuleError(f"AlarmRule: {message} at character {self._at + 1}")
