"""The MetricDataQueries of a request, validated before anything is fetched.

>>> stat = {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"}
>>> loaded = validate([{"Id": "errors", "MetricStat": stat}, {"Id": "e1", "Expression": "FILL(errors, 0)"}])
>>> loaded["e1"].references(), loaded["errors"].label
(frozenset({'errors'}), 'Errors')

Checks, each raising a situation-named MetricMathError: Ids are unique and CloudWatch-shaped
(a lowercase letter, then letters, digits, underscores); each query has exactly one of
Expression and MetricStat, a MetricStat has Metric.MetricName and a positive Period; every
expression parses, calls only functions of the function table with a fitting number of
arguments, references only Ids of the request, uses keywords and strings only as function
arguments, and no expression depends on itself. Default labels: the MetricName for a metric,
the Id for an expression.
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .exceptions import (
    ArgumentError,
    CircularReferenceError,
    InvalidQueryError,
    MetricMathError,
    UnknownQueryIdError,
    UnsupportedFunctionError,
)
from .functions import FUNCTIONS
from .parser import ArrayLiteral, Binary, Call, Keyword, Node, Reference, String, Unary, parse

_ID = re.compile(r"[a-z][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class MetricQuery:
    """A validated MetricDataQuery with a MetricStat."""

    id: str
    label: str
    return_data: bool
    period: int
    metric_stat: Mapping[str, Any]

    def references(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class ExpressionQuery:
    """A validated MetricDataQuery with a parsed Expression."""

    id: str
    label: str
    explicit_label: bool
    return_data: bool
    period: int | None
    expression: str
    tree: Node

    def references(self) -> frozenset[str]:
        """The query ids this expression refers to directly."""
        return frozenset(node.id for node in _walk(self.tree) if isinstance(node, Reference))


type Query = MetricQuery | ExpressionQuery


def validate(queries: Sequence[Mapping[str, Any]]) -> dict[str, Query]:
    """Check a request without fetching anything; returns the queries by id or raises."""
    loaded: dict[str, Query] = {}
    for raw in queries:
        query = _load(raw)
        if query.id in loaded:
            raise InvalidQueryError(f"The Id {query.id} is used by more than one query")
        loaded[query.id] = query
    for query in loaded.values():
        if isinstance(query, ExpressionQuery):
            _check_expression(query, loaded)
    _check_cycles(loaded)
    return loaded


def _load(raw: Mapping[str, Any]) -> Query:
    query_id = raw.get("Id")
    if not isinstance(query_id, str) or not _ID.fullmatch(query_id):
        raise InvalidQueryError(
            f"Invalid Id {query_id!r}: it must start with a lowercase letter, "
            "then hold only letters, digits and underscores"
        )
    if ("Expression" in raw) == ("MetricStat" in raw):
        raise InvalidQueryError(f"Query {query_id} must have exactly one of Expression and MetricStat")
    label = raw.get("Label") or ""
    return_data = raw.get("ReturnData", True)
    if not isinstance(label, str) or not isinstance(return_data, bool):
        raise InvalidQueryError(f"Query {query_id} needs a string Label and a boolean ReturnData")
    if "MetricStat" in raw:
        return _load_metric(query_id, raw["MetricStat"], label, return_data)
    expression = raw["Expression"]
    if not isinstance(expression, str):
        raise InvalidQueryError(f"Query {query_id} has an Expression that is not a string")
    try:
        tree = parse(expression)
    except MetricMathError as error:
        error.query_id = query_id
        raise
    period = None if raw.get("Period") is None else _period(query_id, raw["Period"])
    return ExpressionQuery(query_id, label or query_id, bool(label), return_data, period, expression, tree)


def _load_metric(query_id: str, stat: object, label: str, return_data: bool) -> MetricQuery:
    metric = stat.get("Metric") if isinstance(stat, Mapping) else None
    metric_name = metric.get("MetricName") if isinstance(metric, Mapping) else None
    if not isinstance(stat, Mapping) or not isinstance(metric_name, str):
        raise InvalidQueryError(f"Query {query_id} has a MetricStat without Metric.MetricName")
    period = _period(query_id, stat.get("Period"))
    return MetricQuery(query_id, label or metric_name, return_data, period, stat)


def _period(query_id: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidQueryError(f"Query {query_id} needs a Period that is a positive number of seconds")
    return value


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Unary(operand=operand):
            return (operand,)
        case Binary(left=left, right=right):
            return (left, right)
        case Call(args=children) | ArrayLiteral(items=children):
            return children
        case _:
            return ()


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in _children(node):
        yield from _walk(child)


def _check_expression(query: ExpressionQuery, queries: Mapping[str, Query]) -> None:
    """Reject unknown functions, wrong arities, unknown ids and stray keywords before any fetch."""
    _check_node(query.tree, query, queries, as_argument=False)


def _check_node(
    node: Node, query: ExpressionQuery, queries: Mapping[str, Query], *, as_argument: bool
) -> None:
    if isinstance(node, Call):
        function = FUNCTIONS.get(node.name)
        if function is None:
            raise UnsupportedFunctionError(node.name, query.expression, query_id=query.id)
        if (problem := function.arity_error(len(node.args))) is not None:
            raise ArgumentError(problem, query_id=query.id)
    elif isinstance(node, Reference) and node.id not in queries:
        raise UnknownQueryIdError(node.id, query.expression, query_id=query.id)
    elif isinstance(node, Keyword | String) and not as_argument:
        raise ArgumentError(f"Unexpected {describe(node)} outside a function call", query_id=query.id)
    for child in _children(node):
        _check_node(child, query, queries, as_argument=isinstance(node, Call))


def describe(node: Keyword | String) -> str:
    return f"keyword {node.name}" if isinstance(node, Keyword) else f"string {node.value!r}"


def _check_cycles(queries: Mapping[str, Query]) -> None:
    done: set[str] = set()

    def visit(query_id: str, path: tuple[str, ...]) -> None:
        if query_id in path:
            raise CircularReferenceError((*path[path.index(query_id) :], query_id))
        if query_id in done:
            return
        for reference in sorted(queries[query_id].references()):
            visit(reference, (*path, query_id))
        done.add(query_id)

    for query_id in queries:
        visit(query_id, ())
