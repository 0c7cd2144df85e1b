"""Errors raised by the metric-math evaluator.

Every error is a :class:`MetricMathError`; its ``code`` is the CloudWatch error code a
GetMetricData front end should answer with (``ValidationError`` for everything a request can
get wrong), and ``str(error)`` is the CloudWatch-style message, prefixed with the query id when
the error belongs to one expression::

    >>> str(UnsupportedFunctionError("ANOMALY_DETECTION_BAND", "ANOMALY_DETECTION_BAND(m1)"))
    'Unsupported function ANOMALY_DETECTION_BAND in expression ANOMALY_DETECTION_BAND(m1)'
    >>> str(UnknownQueryIdError("m9", "m1 + m9", query_id="e1"))
    'Error in expression e1: Unknown metric or expression id m9 in expression m1 + m9'
"""


class MetricMathError(Exception):
    """Base class: a GetMetricData request the evaluator refuses, with a CloudWatch-style message."""

    code = "ValidationError"

    def __init__(self, message: str, *, query_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.query_id = query_id

    def __str__(self) -> str:
        if self.query_id is None:
            return self.message
        return f"Error in expression {self.query_id}: {self.message}"


class InvalidQueryError(MetricMathError):
    """A MetricDataQuery is malformed: bad or duplicate Id, both or neither of Expression and MetricStat."""


class ExpressionSyntaxError(MetricMathError):
    """An expression cannot be tokenized or parsed; ``position`` is the 0-based offset of the culprit."""

    def __init__(self, reason: str, expression: str, position: int, *, query_id: str | None = None) -> None:
        super().__init__(
            f"Syntax error at offset {position} in expression {expression!r}: {reason}", query_id=query_id
        )
        self.reason = reason
        self.expression = expression
        self.position = position


class UnsupportedFunctionError(MetricMathError):
    """An expression calls a function this evaluator does not implement (never an empty result)."""

    def __init__(self, function: str, expression: str, *, query_id: str | None = None) -> None:
        super().__init__(f"Unsupported function {function} in expression {expression}", query_id=query_id)
        self.function = function
        self.expression = expression


class UnknownQueryIdError(MetricMathError):
    """An expression references an Id that no query in the request defines."""

    def __init__(self, reference: str, expression: str, *, query_id: str | None = None) -> None:
        message = f"Unknown metric or expression id {reference} in expression {expression}"
        super().__init__(message, query_id=query_id)
        self.reference = reference


class CircularReferenceError(MetricMathError):
    """Expressions reference each other in a cycle; ``cycle`` lists the ids, first one repeated last."""

    def __init__(self, cycle: tuple[str, ...]) -> None:
        super().__init__(f"Circular reference between expressions: {' -> '.join(cycle)}", query_id=cycle[0])
        self.cycle = cycle


class ArgumentError(MetricMathError):
    """A function or operator got the wrong number or kind of arguments (scalar, series, array)."""


class ScalarResultError(MetricMathError):
    """A returned expression evaluates to a scalar; CloudWatch requires a time series or an array of them."""
