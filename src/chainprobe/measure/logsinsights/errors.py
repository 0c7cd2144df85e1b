"""Errors raised by the Logs Insights evaluator.

Every error is a :class:`LogsInsightsError`; its ``code`` is the CloudWatch Logs error code a
StartQuery front end answers with, and ``str(error)`` names the culprit and its 0-based offset in
the query, as CloudWatch's own MalformedQueryException does::

    >>> str(UnsupportedCommandError("dedup", 12))
    "unsupported command 'dedup' at position 12"
"""


class LogsInsightsError(Exception):
    """Base class: a query the evaluator refuses, with ``start``/``end`` offsets of the culprit."""

    code = "MalformedQueryException"

    def __init__(self, message: str, start: int, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = start if end is None else end


class QuerySyntaxError(LogsInsightsError):
    """The query cannot be tokenized or parsed."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"{reason} at position {position}", position)
        self.reason = reason


class UnsupportedCommandError(LogsInsightsError):
    """A command of the language this evaluator does not implement (never an empty result)."""

    def __init__(self, command: str, position: int) -> None:
        super().__init__(
            f"unsupported command '{command}' at position {position}", position, position + len(command)
        )
        self.command = command


class UnsupportedFunctionError(LogsInsightsError):
    """A function this evaluator does not implement, or one out of place (an aggregate in filter)."""

    def __init__(self, function: str, position: int, *, reason: str = "unsupported function") -> None:
        super().__init__(f"{reason} '{function}' at position {position}", position, position + len(function))
        self.function = function


class ArgumentError(LogsInsightsError):
    """A function or command got arguments of the wrong number or kind."""
