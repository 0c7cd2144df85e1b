"""CloudWatch Logs Insights, evaluated locally: StartQuery's query language over log events.

Used by the project's LocalStack logs plugin (``logs:chainprobe``, to answer StartQuery and
GetQueryResults) and usable by the harness on events it already holds. Standard library only.
Example, the source material's lead-time query::

    >>> events = [
    ...     LogEvent(1_000, '{"correlation_id": "o-1", "status": "START"}', "/aws/lambda/a", "s"),
    ...     LogEvent(3_500, '{"correlation_id": "o-1", "status": "COMPLETED"}', "/aws/lambda/b", "s"),
    ... ]
    >>> result = evaluate(
    ...     "stats (latest(@timestamp) - earliest(@timestamp))/1000 as LeadTimeInSeconds"
    ...     " by correlation_id | sort LeadTimeInSeconds desc | limit 10",
    ...     events,
    ... )
    >>> result.results
    [[{'field': 'correlation_id', 'value': 'o-1'}, {'field': 'LeadTimeInSeconds', 'value': '2.5'}]]

Supported: ``fields``, ``display``, ``filter``, ``stats`` (``count``, ``count_distinct``, ``sum``,
``avg``, ``min``, ``max``, ``stddev``, ``earliest``, ``latest``, ``pct``; ``by`` fields and
``bin()``), ``sort``, ``limit``, ``parse`` (glob and regex); the functions in ``functions``.
Anything else is a :class:`LogsInsightsError` naming it. Where AWS's documentation is silent, the
module that decides says so: ``values``, ``records``, ``parser``, ``aggregates``, ``evaluator``.
"""

from .aggregates import AGGREGATES
from .commands import Query
from .errors import (
    ArgumentError,
    LogsInsightsError,
    QuerySyntaxError,
    UnsupportedCommandError,
    UnsupportedFunctionError,
)
from .evaluator import DEFAULT_LIMIT, QueryResult, ResultField, evaluate
from .functions import SCALAR_FUNCTIONS
from .parser import parse
from .records import LogEvent
from .values import Timestamp

__all__ = [
    "AGGREGATES",
    "DEFAULT_LIMIT",
    "SCALAR_FUNCTIONS",
    "ArgumentError",
    "LogEvent",
    "LogsInsightsError",
    "Query",
    "QueryResult",
    "QuerySyntaxError",
    "ResultField",
    "Timestamp",
    "UnsupportedCommandError",
    "UnsupportedFunctionError",
    "evaluate",
    "parse",
]
