"""CloudWatch metric math, evaluated locally: GetMetricData's MetricDataQueries without AWS.

Used by the project's LocalStack CloudWatch plugin (to answer GetMetricData Expression queries)
and by the harness (to compute the metric-math SLI from datapoints it already holds). Standard
library only. Example, the design's availability SLI over three minutes with no traffic::

    >>> from datetime import UTC, datetime
    >>> def stat(name):
    ...     metric = {"Namespace": "AWS/ApiGateway", "MetricName": name}
    ...     return {"Metric": metric, "Period": 60, "Stat": "Sum"}
    >>> queries = [
    ...     {"Id": "totalRequests", "MetricStat": stat("Count"), "ReturnData": False},
    ...     {"Id": "apiFailures", "MetricStat": stat("5XXError"), "ReturnData": False},
    ...     {"Id": "availability", "Expression": "1 - FILL(apiFailures, 0) / MAX([totalRequests], 1)"},
    ... ]
    >>> result = evaluate(queries, start=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
    ...                   end=datetime(2026, 1, 1, 12, 3, tzinfo=UTC),
    ...                   fetch=lambda metric_stat, start, end, period: Series(period))
    >>> result.series("availability").values
    (1.0, 1.0, 1.0)

What the semantics rest on: the CloudWatch User Guide's "Metric math syntax and functions"
(function table, the METRICS() and IF sections, comparison operators treating a missing value
as 0, division by zero dropping the datapoint) and the GetMetricData API reference (StartTime
rounding, exclusive EndTime, MetricDataResult fields). Where they are silent or this evaluator
departs from them, the module that decides says so: ``operators`` (alignment of series,
arithmetic on shared timestamps only), ``functions`` (FILL's grid, MAX([m], 1), IF, reductions),
``queries`` (validation, default labels) and ``evaluator`` (periods, InternalError, array labels).
"""

from .evaluator import Fetch, evaluate
from .exceptions import (
    ArgumentError,
    CircularReferenceError,
    ExpressionSyntaxError,
    InvalidQueryError,
    MetricMathError,
    ScalarResultError,
    UnknownQueryIdError,
    UnsupportedFunctionError,
)
from .functions import FUNCTIONS, Function
from .parser import Node, parse
from .queries import ExpressionQuery, MetricQuery, Query, validate
from .results import EvaluationResult, Message, MetricDataResult, StatusCode
from .series import PeriodGrid, Series, SeriesArray, Value

__all__ = [
    "FUNCTIONS",
    "ArgumentError",
    "CircularReferenceError",
    "EvaluationResult",
    "ExpressionQuery",
    "ExpressionSyntaxError",
    "Fetch",
    "Function",
    "InvalidQueryError",
    "Message",
    "MetricDataResult",
    "MetricMathError",
    "MetricQuery",
    "Node",
    "PeriodGrid",
    "Query",
    "ScalarResultError",
    "Series",
    "SeriesArray",
    "StatusCode",
    "UnknownQueryIdError",
    "UnsupportedFunctionError",
    "Value",
    "evaluate",
    "parse",
    "validate",
]
