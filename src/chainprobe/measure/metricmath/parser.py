"""Tokenizer and recursive-descent parser from a metric-math expression to a small AST.

>>> parse("1 - FILL(errors, 0) / MAX([requests, 1])")  # doctest: +ELLIPSIS
Binary(op='-', left=Number(value=1.0, position=0), right=Binary(op='/', ...

Grammar, loosest binding first (every binary level is left-associative except ``^``)::

    or         := and (("OR" | "||") and)*
    and        := not (("AND" | "&&") not)*
    not        := "NOT" not | comparison
    comparison := additive (("==" | "!=" | "<=" | ">=" | "<" | ">") additive)*
    additive   := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := primary ("^" unary)?
    primary    := NUMBER | STRING | NAME "(" args ")" | NAME | "(" or ")" | "[" args "]"

A bare name that starts with a lowercase letter is a query id (CloudWatch requires ids to);
any other bare name is a keyword such as ``REPEAT`` or ``LINEAR``. Whether a function exists is
not the parser's business: query validation checks calls against the function table.
Limitations: no SEARCH or Metrics Insights (SELECT ...) syntax.
"""

import re
from dataclasses import dataclass

from .exceptions import ExpressionSyntaxError


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    position: int


@dataclass(frozen=True, slots=True)
class String:
    value: str
    position: int


@dataclass(frozen=True, slots=True)
class Keyword:
    """An uppercase bare word used as an argument, e.g. REPEAT in FILL(m1, REPEAT)."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Reference:
    """The Id of another query in the same request."""

    id: str
    position: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: "Node"
    position: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: "Node"
    right: "Node"
    position: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple["Node", ...]
    position: int


@dataclass(frozen=True, slots=True)
class ArrayLiteral:
    items: tuple["Node", ...]
    position: int


type Node = Number | String | Keyword | Reference | Unary | Binary | Call | ArrayLiteral


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # NUMBER, STRING, NAME, OP or END
    text: str
    position: int


_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/^<>()\[\],])"
)
_WORD_OPS = {"AND": "AND", "OR": "OR", "NOT": "NOT"}
_SYMBOL_OPS = {"&&": "AND", "||": "OR"}
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")


def tokenize(expression: str) -> list[Token]:
    """Split an expression into tokens, ending with an END token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(expression):
        if expression[pos] in _QUOTES:
            token, pos = _string_token(expression, pos)
            tokens.append(token)
            continue
        match = _TOKEN.match(expression, pos)
        if match is None:
            raise ExpressionSyntaxError(f"unexpected character {expression[pos]!r}", expression, pos)
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(str(kind).upper(), match.group(), pos))
        pos = match.end()
    tokens.append(Token("END", "", len(expression)))
    return tokens


def _string_token(expression: str, start: int) -> tuple[Token, int]:
    closing = _QUOTES[expression[start]]
    end = expression.find(closing, start + 1)
    if end < 0:
        raise ExpressionSyntaxError("unterminated string", expression, start)
    return Token("STRING", expression[start + 1 : end], start), end + 1


def parse(expression: str) -> Node:
    """Parse one metric-math expression; raises ExpressionSyntaxError with the offending offset."""
    return _Parser(expression).parse()


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = tokenize(expression)
        self.index = 0

    def parse(self) -> Node:
        if self._peek().kind == "END":
            raise self._error("empty expression", self._peek())
        node = self._or()
        if self._peek().kind != "END":
            raise self._error(f"unexpected {self._peek().text!r}", self._peek())
        return node

    def _or(self) -> Node:
        node = self._and()
        while (token := self._logical("OR")) is not None:
            node = Binary("OR", node, self._and(), token.position)
        return node

    def _and(self) -> Node:
        node = self._not()
        while (token := self._logical("AND")) is not None:
            node = Binary("AND", node, self._not(), token.position)
        return node

    def _not(self) -> Node:
        token = self._peek()
        if token.kind == "NAME" and token.text == "NOT":
            self._advance()
            return Unary("NOT", self._not(), token.position)
        return self._comparison()

    def _comparison(self) -> Node:
        node = self._additive()
        while (token := self._accept(*_COMPARISONS)) is not None:
            node = Binary(token.text, node, self._additive(), token.position)
        return node

    def _additive(self) -> Node:
        node = self._term()
        while (token := self._accept("+", "-")) is not None:
            node = Binary(token.text, node, self._term(), token.position)
        return node

    def _term(self) -> Node:
        node = self._unary()
        while (token := self._accept("*", "/")) is not None:
            node = Binary(token.text, node, self._unary(), token.position)
        return node

    def _unary(self) -> Node:
        if (token := self._accept("-", "+")) is not None:
            operand = self._unary()
            return Unary("-", operand, token.position) if token.text == "-" else operand
        return self._power()

    def _power(self) -> Node:
        base = self._primary()
        if (token := self._accept("^")) is not None:
            return Binary("^", base, self._unary(), token.position)
        return base

    def _primary(self) -> Node:
        token = self._advance()
        if token.kind == "NUMBER":
            return Number(float(token.text), token.position)
        if token.kind == "STRING":
            return String(token.text, token.position)
        if token.kind == "NAME" and token.text not in _WORD_OPS:
            return self._name(token)
        if token.text == "(":
            node = self._or()
            self._expect(")", token)
            return node
        if token.text == "[":
            return ArrayLiteral(self._arguments("]", token), token.position)
        found = "end of expression" if token.kind == "END" else repr(token.text)
        raise self._error(f"expected a number, id, function call or '(' but found {found}", token)

    def _name(self, token: Token) -> Node:
        if (paren := self._accept("(")) is not None:
            return Call(token.text, self._arguments(")", paren), token.position)
        if token.text[0].islower():
            return Reference(token.text, token.position)
        return Keyword(token.text, token.position)

    def _arguments(self, closing: str, opener: Token) -> tuple[Node, ...]:
        if self._accept(closing) is not None:
            return ()
        items = [self._or()]
        while self._accept(",") is not None:
            items.append(self._or())
        self._expect(closing, opener)
        return tuple(items)

    def _logical(self, name: str) -> Token | None:
        token = self._peek()
        word = token.kind == "NAME" and _WORD_OPS.get(token.text) == name
        if word or _SYMBOL_OPS.get(token.text) == name:
            return self._advance()
        return None

    def _accept(self, *texts: str) -> Token | None:
        token = self._peek()
        if token.kind == "OP" and token.text in texts:
            return self._advance()
        return None

    def _expect(self, text: str, opener: Token) -> None:
        if self._accept(text) is None:
            token = self._peek()
            found = "end of expression" if token.kind == "END" else repr(token.text)
            reason = f"expected {text!r} to close {opener.text!r} at offset {opener.position}, found {found}"
            raise self._error(reason, token)

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "END":
            self.index += 1
        return token

    def _error(self, reason: str, token: Token) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(reason, self.expression, token.position)
