"""Tokens of a Logs Insights query.

Names are ``@``-fields, plain identifiers with dots (``detail.order.id``) or backtick-quoted
(```my-field```); strings are single- or double-quoted with backslash escapes; numbers may carry a
duration unit (``5m``, used by ``bin``); a ``/regex/`` (with optional ``i`` flag) is recognised
where a pattern is expected (after ``like``, ``=~``, ``!=~`` and the field of ``parse``), elsewhere
``/`` is division. ``#`` starts a comment to the end of the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import QuerySyntaxError


class Kind(StrEnum):
    NAME = "name"
    STRING = "string"
    NUMBER = "number"
    DURATION = "duration"
    REGEX = "regex"
    OP = "operator"
    PIPE = "|"
    END = "end"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    position: int
    value: str | float | int = ""

    @property
    def end(self) -> int:
        return self.position + len(self.text)

    def is_word(self, *words: str) -> bool:
        return self.kind is Kind.NAME and self.text.lower() in words


_NAME = re.compile(r"@?[A-Za-z_][A-Za-z0-9_.@$]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_UNIT = re.compile(r"(ms|s|m|h|d|w)(?![A-Za-z0-9_])")
_OPERATORS = (
    "!=~",
    "=~",
    "<=",
    ">=",
    "!=",
    "==",
    "=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "(",
    ")",
    "[",
    "]",
    ",",
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _pattern_expected(tokens: list[Token]) -> bool:
    if tokens and (tokens[-1].is_word("like") or tokens[-1].text in ("=~", "!=~")):
        return True
    return len(tokens) >= 2 and tokens[-2].is_word("parse") and tokens[-1].kind is Kind.NAME


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char == "#":
            newline = query.find("\n", i)
            i = len(query) if newline < 0 else newline
        elif char == "|":
            tokens.append(Token(Kind.PIPE, "|", i))
            i += 1
        elif char in "\"'":
            i = _string(query, i, tokens)
        elif char == "`":
            close = query.find("`", i + 1)
            if close < 0:
                raise QuerySyntaxError("unterminated quoted field name", i)
            tokens.append(Token(Kind.NAME, query[i : close + 1], i, query[i + 1 : close]))
            i = close + 1
        elif char == "/" and _pattern_expected(tokens):
            i = _regex(query, i, tokens)
        elif number := _NUMBER.match(query, i):
            unit = _UNIT.match(query, number.end())
            if unit:
                text = query[i : unit.end()]
                tokens.append(Token(Kind.DURATION, text, i, text))
                i = unit.end()
            else:
                text = number.group()
                value: float | int = float(text) if any(c in text for c in ".eE") else int(text)
                tokens.append(Token(Kind.NUMBER, text, i, value))
                i = number.end()
        elif name := _NAME.match(query, i):
            tokens.append(Token(Kind.NAME, name.group(), i, name.group()))
            i = name.end()
        else:
            op = next((o for o in _OPERATORS if query.startswith(o, i)), None)
            if op is None:
                raise QuerySyntaxError(f"unexpected character {char!r}", i)
            tokens.append(Token(Kind.OP, op, i, op))
            i += len(op)
    tokens.append(Token(Kind.END, "", len(query)))
    return tokens


def _string(query: str, start: int, tokens: list[Token]) -> int:
    quote = query[start]
    chars: list[str] = []
    i = start + 1
    while i < len(query):
        char = query[i]
        if char == "\\" and i + 1 < len(query):
            chars.append(_ESCAPES.get(query[i + 1], "\\" + query[i + 1]))
            i += 2
            continue
        if char == quote:
            tokens.append(Token(Kind.STRING, query[start : i + 1], start, "".join(chars)))
            return i + 1
        chars.append(char)
        i += 1
    raise QuerySyntaxError("unterminated string", start)


def _regex(query: str, start: int, tokens: list[Token]) -> int:
    i = start + 1
    while i < len(query):
        if query[i] == "\\":
            i += 2
            continue
        if query[i] == "/":
            body = query[start + 1 : i]
            end = i + 1
            if end < len(query) and query[end] == "i":
                body, end = "(?i)" + body, end + 1
            tokens.append(Token(Kind.REGEX, query[start:end], start, body))
            return end
        i += 1
    raise QuerySyntaxError("unterminated regular expression", start)
