"""A Logs Insights query string -> :class:`~.commands.Query`, or an error naming the culprit.

Commands are separated by ``|``; names of commands and keywords (``and``, ``or``, ``not``,
``like``, ``in``, ``as``, ``by``, ``asc``, ``desc``) are matched case-insensitively. Operator
precedence, lowest first: ``or``; ``and``; ``not``; comparisons (``= != < <= > >=``, ``like``,
``=~``, ``in``); ``+ -``; ``* / %``; ``^``; unary ``-``. ``sort`` without ``asc``/``desc`` is
ascending (AWS's documentation does not say). A glob ``parse`` pattern matches anywhere in the
value, each ``*`` as little as it can, except a final ``*`` that ends the pattern, which takes the
rest of the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .aggregates import AGGREGATES
from .commands import Command, Display, Fields, Filter, Item, Limit, Parse, Query, Sort, SortKey, Stats
from .errors import ArgumentError, QuerySyntaxError, UnsupportedCommandError, UnsupportedFunctionError
from .expressions import Binary, Call, Duration, Expr, FieldRef, In, Like, Literal, Unary, walk
from .functions import SCALAR_FUNCTIONS
from .lexer import Kind, Token, tokenize

UNIT_MILLIS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_COMPARISONS = ("=", "==", "!=", "<", "<=", ">", ">=")
_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_@][A-Za-z0-9_.@]*)>")


def parse(query: str) -> Query:
    return _Parser(query).query()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # -- tokens -----------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def accept_op(self, *ops: str) -> Token | None:
        if self.token.kind is Kind.OP and self.token.text in ops:
            return self.advance()
        return None

    def accept_word(self, *words: str) -> Token | None:
        return self.advance() if self.token.is_word(*words) else None

    def expect_op(self, op: str) -> Token:
        token = self.accept_op(op)
        if token is None:
            raise QuerySyntaxError(f"expected '{op}', found {self.describe()}", self.token.position)
        return token

    def describe(self) -> str:
        return "end of query" if self.token.kind is Kind.END else f"'{self.token.text}'"

    def source(self, start: int) -> str:
        end = self.tokens[self.index - 1].end
        return self.text[start:end]

    # -- commands ---------------------------------------------------------------------------
    def query(self) -> Query:
        commands: list[Command] = []
        while True:
            commands.append(self.command())
            if self.token.kind is Kind.END:
                return Query(self.text, tuple(commands))
            if self.token.kind is not Kind.PIPE:
                raise QuerySyntaxError(
                    f"expected '|' or end of query, found {self.describe()}", self.token.position
                )
            self.advance()

    def command(self) -> Command:
        token = self.token
        if token.kind is not Kind.NAME:
            raise QuerySyntaxError(f"expected a command, found {self.describe()}", token.position)
        name = token.text.lower()
        parsers: dict[str, Callable[[], Command]] = {
            "fields": lambda: Fields(self.items(allow_aggregates=False)),
            "display": lambda: Display(self.items(allow_aggregates=False)),
            "filter": self.filter,
            "stats": self.stats,
            "sort": self.sort,
            "limit": self.limit,
            "parse": self.parse_command,
        }
        if name not in parsers:
            raise UnsupportedCommandError(token.text, token.position)
        self.advance()
        return parsers[name]()

    def items(self, *, allow_aggregates: bool) -> tuple[Item, ...]:
        items = [self.item(allow_aggregates=allow_aggregates)]
        while self.accept_op(","):
            items.append(self.item(allow_aggregates=allow_aggregates))
        return tuple(items)

    def item(self, *, allow_aggregates: bool) -> Item:
        expr = self.expression()
        self.check_calls(expr, allow_aggregates=allow_aggregates)
        if self.accept_word("as"):
            alias = self.advance()
            if alias.kind is not Kind.NAME:
                raise QuerySyntaxError(f"expected a name after 'as', found '{alias.text}'", alias.position)
            return Item(expr, str(alias.value))
        return Item(expr, expr.name if isinstance(expr, FieldRef) else expr.text)

    def filter(self) -> Filter:
        condition = self.expression()
        self.check_calls(condition, allow_aggregates=False)
        return Filter(condition)

    def stats(self) -> Stats:
        aggregates = self.items(allow_aggregates=True)
        for item in aggregates:
            if not any(isinstance(n, Call) and n.name in AGGREGATES for n in walk(item.expr)):
                raise ArgumentError(
                    f"stats expression '{item.expr.text}' needs an aggregate function", item.expr.position
                )
        groups: tuple[Item, ...] = ()
        if self.accept_word("by"):
            groups = self.items(allow_aggregates=False)
        return Stats(aggregates, groups)

    def sort(self) -> Sort:
        keys: list[SortKey] = []
        while True:
            expr = self.expression()
            self.check_calls(expr, allow_aggregates=False)
            descending = bool(self.accept_word("desc"))
            if not descending:
                self.accept_word("asc")
            keys.append(SortKey(expr, descending))
            if not self.accept_op(","):
                return Sort(tuple(keys))

    def limit(self) -> Limit:
        token = self.advance()
        if token.kind is not Kind.NUMBER or not isinstance(token.value, int) or token.value < 1:
            raise QuerySyntaxError(
                f"limit needs a positive whole number, found '{token.text}'", token.position
            )
        return Limit(token.value)

    def parse_command(self) -> Parse:
        source = self.primary()
        pattern = self.advance()
        if pattern.kind is Kind.REGEX:
            regex = _NAMED_GROUP.sub(lambda m: f"(?P<{group_name(m.group(1))}>", str(pattern.value))
            names = tuple(m.group(1) for m in _NAMED_GROUP.finditer(str(pattern.value)))
            if not names:
                raise ArgumentError(
                    "parse with a regular expression needs named groups (?<name>...)", pattern.position
                )
            return Parse(source, _compile(regex, pattern), names)
        if pattern.kind is not Kind.STRING:
            raise QuerySyntaxError(
                f"parse needs a \"glob*\" or /regex/ pattern, found '{pattern.text}'", pattern.position
            )
        if not self.accept_word("as"):
            raise QuerySyntaxError(
                f"expected 'as' after the parse pattern, found {self.describe()}", self.token.position
            )
        fields = [self.name()]
        while self.accept_op(","):
            fields.append(self.name())
        pieces = str(pattern.value).split("*")
        if len(pieces) - 1 != len(fields):
            raise ArgumentError(
                f"parse pattern has {len(pieces) - 1} '*' but {len(fields)} names follow 'as'",
                pattern.position,
            )
        regex = re.escape(pieces[0])
        for i, (name, piece) in enumerate(zip(fields, pieces[1:], strict=True)):
            lazy = "" if i == len(fields) - 1 and not piece else "?"  # a final bare * takes the rest
            regex += f"(?P<{group_name(name)}>.*{lazy})" + re.escape(piece)
        return Parse(source, _compile(regex, pattern), tuple(fields))

    def name(self) -> str:
        token = self.advance()
        if token.kind is not Kind.NAME:
            raise QuerySyntaxError(f"expected a field name, found '{token.text}'", token.position)
        return str(token.value)

    def check_calls(self, expr: Expr, *, allow_aggregates: bool) -> None:
        for node in walk(expr):
            if not isinstance(node, Call):
                continue
            aggregate = AGGREGATES.get(node.name)
            if aggregate is not None and not allow_aggregates:
                raise UnsupportedFunctionError(
                    node.name, node.position, reason="aggregate function used outside stats:"
                )
            spec = aggregate.arity if aggregate else SCALAR_FUNCTIONS[node.name].arity
            count = len(node.args) + (1 if node.star else 0)
            if not spec[0] <= count <= spec[1] or (node.star and node.name != "count"):
                raise ArgumentError(
                    f"wrong number of arguments to '{node.name}' in '{node.text}'", node.position
                )
            if aggregate is not None:
                for inner in (n for arg in node.args for n in walk(arg)):
                    if isinstance(inner, Call) and inner.name in AGGREGATES:
                        raise ArgumentError(f"aggregate inside aggregate in '{node.text}'", inner.position)

    # -- expressions ------------------------------------------------------------------------
    def expression(self) -> Expr:
        return self.binary_chain(("or",), self.conjunction)

    def conjunction(self) -> Expr:
        return self.binary_chain(("and",), self.negation)

    def binary_chain(self, words: tuple[str, ...], operand: Callable[[], Expr]) -> Expr:
        start = self.token.position
        left = operand()
        while op := self.accept_word(*words):
            right = operand()
            left = Binary(op.text.lower(), left, right, self.source(start), start)
        return left

    def negation(self) -> Expr:
        start = self.token.position
        if self.accept_word("not"):
            operand = self.negation()
            return Unary("not", operand, self.source(start), start)
        return self.comparison()

    def comparison(self) -> Expr:
        start = self.token.position
        left = self.additive()
        if op := self.accept_op(*_COMPARISONS):
            right = self.additive()
            return Binary("=" if op.text == "==" else op.text, left, right, self.source(start), start)
        if op := self.accept_op("=~", "!=~"):
            return self.like(left, start, negated=op.text == "!=~", regex_only=True)
        negated = self.token.is_word("not") and self.tokens[self.index + 1].is_word("like", "in")
        if negated:
            self.advance()
        if self.accept_word("like"):
            return self.like(left, start, negated=negated, regex_only=False)
        if self.accept_word("in"):
            self.expect_op("[")
            choices = [self.additive()]
            while self.accept_op(","):
                choices.append(self.additive())
            self.expect_op("]")
            return In(left, tuple(choices), negated, self.source(start), start)
        return left

    def like(self, left: Expr, start: int, *, negated: bool, regex_only: bool) -> Expr:
        pattern = self.advance()
        if pattern.kind is Kind.REGEX:
            _compile(str(pattern.value), pattern)
            return Like(left, str(pattern.value), True, negated, self.source(start), start)
        if pattern.kind is Kind.STRING and not regex_only:
            return Like(left, str(pattern.value), False, negated, self.source(start), start)
        raise QuerySyntaxError(
            f"expected a \"string\" or /regex/ pattern, found '{pattern.text}'", pattern.position
        )

    def additive(self) -> Expr:
        return self.arithmetic(("+", "-"), self.multiplicative)

    def multiplicative(self) -> Expr:
        return self.arithmetic(("*", "/", "%"), self.power)

    def arithmetic(self, ops: tuple[str, ...], operand: Callable[[], Expr]) -> Expr:
        start = self.token.position
        left = operand()
        while op := self.accept_op(*ops):
            right = operand()
            left = Binary(op.text, left, right, self.source(start), start)
        return left

    def power(self) -> Expr:
        start = self.token.position
        base = self.unary()
        if self.accept_op("^"):
            exponent = self.power()
            return Binary("^", base, exponent, self.source(start), start)
        return base

    def unary(self) -> Expr:
        start = self.token.position
        if self.accept_op("-"):
            operand = self.unary()
            return Unary("-", operand, self.source(start), start)
        return self.primary()

    def primary(self) -> Expr:
        token = self.advance()
        if token.kind is Kind.NUMBER or token.kind is Kind.STRING:
            return Literal(token.value, token.text, token.position)
        if token.kind is Kind.DURATION:
            number = re.match(r"[\d.]+", token.text)
            unit = token.text[number.end() if number else 0 :]
            return Duration(
                int(float(number.group() if number else 0) * UNIT_MILLIS[unit]), token.text, token.position
            )
        if token.kind is Kind.OP and token.text == "(":
            inner = self.expression()
            self.expect_op(")")
            return inner
        if token.kind is Kind.NAME:
            if self.token.kind is Kind.OP and self.token.text == "(" and not token.text.startswith("`"):
                return self.call(token)
            return FieldRef(str(token.value), token.text, token.position)
        where = "end of query" if token.kind is Kind.END else f"'{token.text}'"
        raise QuerySyntaxError(f"expected a field, value or function, found {where}", token.position)

    def call(self, name: Token) -> Expr:
        function = name.text.lower()
        if function not in AGGREGATES and function not in SCALAR_FUNCTIONS:
            raise UnsupportedFunctionError(name.text, name.position)
        self.expect_op("(")
        args: list[Expr] = []
        star = False
        if self.accept_op("*"):
            star = True
        elif not (self.token.kind is Kind.OP and self.token.text == ")"):
            args.append(self.expression())
            while self.accept_op(","):
                args.append(self.expression())
        self.expect_op(")")
        return Call(function, tuple(args), self.source(name.position), name.position, star)


def group_name(name: str) -> str:
    """A field name as a Python group name (dots and ``@`` are not allowed there)."""
    return "g_" + "".join(c if c.isalnum() or c == "_" else f"_{ord(c):x}_" for c in name)


def _compile(regex: str, token: Token) -> str:
    try:
        re.compile(regex)
    except re.error as error:
        raise QuerySyntaxError(f"invalid regular expression {token.text}: {error}", token.position) from None
    return regex
