"""Evaluate the MetricDataQueries of one GetMetricData request.

MetricStat queries are fetched through the caller's callback, once each; Expression queries are
parsed, checked (unknown functions, unknown ids, arity, cycles) before anything is fetched, and
evaluated lazily, so a query with ``ReturnData: false`` is computed only when referenced. Example::

    >>> from datetime import UTC, datetime
    >>> start, end = datetime(2026, 1, 1, 12, 0, tzinfo=UTC), datetime(2026, 1, 1, 12, 3, tzinfo=UTC)
    >>> stat = {"Metric": {"Namespace": "AWS/ApiGateway", "MetricName": "Count"}, "Period": 60, "Stat": "Sum"}
    >>> queries = [{"Id": "requests", "MetricStat": stat, "ReturnData": False},
    ...            {"Id": "e1", "Expression": "FILL(requests, 0) * 2", "Label": "doubled"}]
    >>> fetch = lambda metric_stat, first, last, period: Series(period, {first: 5.0})
    >>> evaluate(queries, start=start, end=end, fetch=fetch).series("e1").values
    (10.0, 0.0, 0.0)

The fetch callback receives the MetricStat mapping as given, the grid's first period start
(StartTime rounded as CloudWatch rounds it), the EndTime (exclusive) and the period; it returns
a :class:`Series` already aggregated with the Stat, keyed by period starts of that grid
(:meth:`PeriodGrid.bucket` maps a raw timestamp to its period start).

Request-level errors (syntax, unsupported function, unknown id, circular reference, malformed
query, scalar final result) raise a :class:`MetricMathError`, whose ``str`` is the
ValidationError message. A fetch that raises, or returns timestamps off the grid, does not
abort the request: the MetricStat query and every expression depending on it come back with
StatusCode ``InternalError``, no datapoints and a message, the others as ``Complete``.

Periods: a MetricStat is fetched at its own Period; an Expression's period (for FILL's grid,
TIME_SERIES and scalars inside arrays) is its query's ``Period`` when given, else the largest
MetricStat period in the request (60 when there is none). Results are oldest first;
:meth:`MetricDataResult.to_dict` gives GetMetricData's default newest-first order.
Limitations: no pagination (``PartialData`` is left to a caller that paginates), no
``ArithmeticError`` message when datapoints are dropped, no SEARCH or Metrics Insights queries.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .exceptions import ArgumentError, InvalidQueryError, MetricMathError, ScalarResultError
from .functions import FUNCTIONS, Argument, members
from .operators import binary, logical_not, negate
from .parser import ArrayLiteral, Binary, Call, Keyword, Node, Number, Reference, String, Unary
from .queries import ExpressionQuery, MetricQuery, Query, describe, validate
from .results import EvaluationResult, Message, MetricDataResult
from .series import PeriodGrid, Series, SeriesArray, Value, as_utc

type Fetch = Callable[[Mapping[str, Any], datetime, datetime, int], Series]
"""fetch(metric_stat, start, end, period) -> the MetricStat's series on the period grid."""

_DEFAULT_PERIOD = 60


def evaluate(
    queries: Sequence[Mapping[str, Any]], *, start: datetime, end: datetime, fetch: Fetch
) -> EvaluationResult:
    """Evaluate a GetMetricData request; see the module docstring for the rules."""
    if as_utc(end) <= as_utc(start):
        raise InvalidQueryError("The parameter StartTime must be less than the parameter EndTime")
    loaded = validate(queries)
    return _Evaluation(loaded, start, end, fetch).run()


class _FetchFailed(Exception):
    """A MetricStat could not be fetched; every query depending on it reports InternalError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Evaluation:
    """One request in progress; implements the functions' Context protocol."""

    def __init__(self, queries: Mapping[str, Query], start: datetime, end: datetime, fetch: Fetch) -> None:
        self._queries = queries
        self._start = start
        self._end = end
        self._fetch = fetch
        self._metrics = [q for q in queries.values() if isinstance(q, MetricQuery)]
        self._request_period = max((q.period for q in self._metrics), default=_DEFAULT_PERIOD)
        self._fetched: dict[str, Series] = {}
        self._computed: dict[str, Value] = {}
        self._failures: dict[str, _FetchFailed] = {}
        self._notes: dict[str, list[Message]] = {}
        self._stack: list[ExpressionQuery] = []

    def run(self) -> EvaluationResult:
        results: list[MetricDataResult] = []
        for query in self._queries.values():
            if query.return_data:
                results.extend(self._results(query))
        return EvaluationResult(tuple(results))

    # Context protocol

    @property
    def default_period(self) -> int:
        if self._stack and self._stack[-1].period is not None:
            return self._stack[-1].period
        return self._request_period

    def grid(self, period: int) -> PeriodGrid:
        return PeriodGrid.for_range(self._start, self._end, period)

    def metrics(self, pattern: str | None) -> SeriesArray:
        chosen = [q for q in self._metrics if pattern is None or pattern in q.id or pattern in q.label]
        return tuple(self._metric(q) for q in chosen)

    def note(self, code: str, message: str) -> None:
        notes = self._notes.setdefault(self._stack[-1].id, [])
        if Message(code, message) not in notes:
            notes.append(Message(code, message))

    # results

    def _results(self, query: Query) -> list[MetricDataResult]:
        try:
            value = self._value_of(query)
        except _FetchFailed as failure:
            empty = Series(query.period or self._request_period, label=query.label)
            failed = (Message("InternalError", failure.message),)
            return [MetricDataResult(query.id, query.label, empty, "InternalError", failed)]
        messages = self._messages_for(query.id)
        if isinstance(value, float):
            raise ScalarResultError(
                "The final result of an expression must be a time series or an array of them, not a scalar",
                query_id=query.id,
            )
        if isinstance(value, Series):
            return [MetricDataResult(query.id, query.label, value.with_label(query.label), messages=messages)]
        return [self._member_result(query, member, messages) for member in value]

    def _member_result(self, query: Query, member: Series, messages: tuple[Message, ...]) -> MetricDataResult:
        explicit = isinstance(query, ExpressionQuery) and query.explicit_label
        label = f"{query.label} {member.label}".strip() if explicit else member.label or query.id
        return MetricDataResult(query.id, label, member.with_label(label), messages=messages)

    def _messages_for(self, query_id: str) -> tuple[Message, ...]:
        seen: list[Message] = []
        for dependency in self._closure(query_id):
            seen.extend(m for m in self._notes.get(dependency, ()) if m not in seen)
        return tuple(seen)

    def _closure(self, query_id: str) -> list[str]:
        order: list[str] = []
        pending = [query_id]
        while pending:
            current = pending.pop()
            if current not in order:
                order.append(current)
                pending.extend(sorted(self._queries[current].references()))
        return order

    # values

    def _value_of(self, query: Query) -> Value:
        if isinstance(query, MetricQuery):
            return self._metric(query)
        if query.id not in self._computed:
            self._computed[query.id] = self._expression(query)
        return self._computed[query.id]

    def _expression(self, query: ExpressionQuery) -> Value:
        self._stack.append(query)
        try:
            return self._evaluate(query.tree)
        except MetricMathError as error:
            error.query_id = error.query_id or query.id
            raise
        finally:
            self._stack.pop()

    def _metric(self, query: MetricQuery) -> Series:
        if query.id in self._failures:
            raise self._failures[query.id]
        if query.id not in self._fetched:
            try:
                self._fetched[query.id] = self._fetch_series(query)
            except _FetchFailed as failure:
                self._failures[query.id] = failure
                raise
        return self._fetched[query.id]

    def _fetch_series(self, query: MetricQuery) -> Series:
        grid = self.grid(query.period)
        try:
            series = self._fetch(query.metric_stat, grid.start, grid.end, query.period)
        except Exception as error:  # the caller's failure is this query's InternalError, not the request's
            raise _FetchFailed(f"Fetching {query.id} failed: {type(error).__name__}: {error}") from error
        if not isinstance(series, Series):
            raise _FetchFailed(f"Fetching {query.id} returned {type(series).__name__}, not a Series")
        off_grid = [ts for ts in series.timestamps if ts not in grid]
        if off_grid:
            raise _FetchFailed(
                f"Fetching {query.id} returned {off_grid[0].isoformat()}, off its {query.period}s period grid"
            )
        return Series(query.period, series.points, query.label)

    def _evaluate(self, node: Node) -> Value:
        match node:
            case Number(value=number):
                return number
            case Reference(id=reference):
                return self._value_of(self._queries[reference])
            case Unary(op="-", operand=operand):
                return negate(self._evaluate(operand))
            case Unary(operand=operand):
                return logical_not(self._evaluate(operand))
            case Binary(op=op, left=left, right=right):
                return binary(op, self._evaluate(left), self._evaluate(right))
            case Call(name=name, args=args):
                return FUNCTIONS[name].implementation(self, [self._argument(arg) for arg in args])
            case ArrayLiteral(items=items):
                return members(self, [self._evaluate(item) for item in items])
            case Keyword() | String():
                raise ArgumentError(f"Unexpected {describe(node)} outside a function call")

    def _argument(self, node: Node) -> Argument:
        if isinstance(node, Keyword | String):
            return node
        return self._evaluate(node)
