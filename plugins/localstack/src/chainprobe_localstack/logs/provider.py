"""The ``logs:chainprobe`` provider (``PROVIDER_OVERRIDE_LOGS=chainprobe``).

LocalStack's CloudWatch Logs provider unchanged, plus Logs Insights: ``StartQuery`` parses the query
at once (a query the evaluator cannot run is a ``MalformedQueryException`` naming the unsupported
part, with its offsets in ``queryCompileError``), checks every log group (a missing one is a
``ResourceNotFoundException``), reads the groups' events from LocalStack's logs store (moto's
backend) between ``startTime`` and ``endTime`` and evaluates the query on a thread of its own
(``queries.py``); ``GetQueryResults`` answers ``Running`` until then, then ``Complete`` with the
rows and ``recordsMatched``/``recordsScanned``/``bytesScanned``; ``StopQuery`` cancels a running one.

Time range: ``startTime`` and ``endTime`` are epoch seconds, both inclusive (the whole ``endTime``
second is included). Log groups are named by ``logGroupName``, ``logGroupNames`` or
``logGroupIdentifiers`` (names or ARNs, a trailing ``:*`` allowed). ``@ptr`` is not returned.
"""

from __future__ import annotations

from typing import Any

from localstack.aws.api import RequestContext
from localstack.aws.api.logs import (
    InvalidParameterException,
    MalformedQueryException,
    ResourceNotFoundException,
)
from localstack.services.logs.models import get_moto_logs_backend
from localstack.services.logs.provider import LogsProvider
from localstack.services.moto import MotoFallbackDispatcher
from localstack.services.plugins import Service, aws_provider

from chainprobe_localstack._vendor import logsinsights
from chainprobe_localstack.logs.queries import QueryRuns

MAX_LIMIT = 10_000


class LogsInsightsProvider(LogsProvider):
    """LocalStack's CloudWatch Logs with StartQuery, GetQueryResults and StopQuery."""

    def __init__(self) -> None:
        super().__init__()
        self.query_runs = QueryRuns()

    def start_query(
        self,
        context: RequestContext,
        start_time: int,
        end_time: int,
        query_string: str,
        query_language: Any = None,
        log_group_name: str | None = None,
        log_group_names: list[str] | None = None,
        log_group_identifiers: list[str] | None = None,
        limit: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if query_language not in (None, "CWLI"):
            raise InvalidParameterException(f"Query language {query_language} is not supported locally")
        names = _group_names(log_group_name, log_group_names, log_group_identifiers)
        if start_time > end_time:
            raise InvalidParameterException("endTime must be greater than or equal to startTime")
        if limit is not None and not 1 <= limit <= MAX_LIMIT:
            raise InvalidParameterException(f"limit must be between 1 and {MAX_LIMIT}")
        try:
            query = logsinsights.parse(query_string)
        except logsinsights.LogsInsightsError as error:
            raise _malformed(error) from None
        events = self._events(context, names, start_time * 1000, end_time * 1000 + 999)
        run = self.query_runs.start(query, events, limit)
        return {"queryId": run.query_id}

    def get_query_results(self, context: RequestContext, query_id: str, **kwargs: Any) -> dict[str, Any]:
        run = self.query_runs.get(query_id)
        if run is None:
            raise ResourceNotFoundException("Query does not exist.")
        result = run.result
        answer: dict[str, Any] = {"status": run.status, "results": [], "queryLanguage": "CWLI"}
        if result is None:
            answer["statistics"] = {"recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": 0.0}
            return answer
        answer["results"] = result.results
        answer["statistics"] = {
            "recordsMatched": float(result.records_matched),
            "recordsScanned": float(result.records_scanned),
            "bytesScanned": float(result.bytes_scanned),
        }
        return answer

    def stop_query(self, context: RequestContext, query_id: str, **kwargs: Any) -> dict[str, Any]:
        stopped = self.query_runs.stop(query_id)
        if stopped is None:
            raise ResourceNotFoundException("Query does not exist.")
        return {"success": stopped}

    def _events(
        self, context: RequestContext, names: list[str], first_ms: int, last_ms: int
    ) -> list[logsinsights.LogEvent]:
        backend = get_moto_logs_backend(context.account_id, context.region)
        events: list[logsinsights.LogEvent] = []
        for name in names:
            group = backend.groups.get(name)
            if group is None:
                raise ResourceNotFoundException(
                    f"Log group '{name}' does not exist for account ID '{context.account_id}'"
                )
            for stream_name, stream in list(group.streams.items()):
                events.extend(
                    logsinsights.LogEvent(
                        timestamp=event.timestamp,
                        message=event.message,
                        log_group=name,
                        log_stream=stream_name,
                        ingestion_time=event.ingestion_time,
                        account=context.account_id,
                    )
                    for event in list(stream.events)
                    if first_ms <= event.timestamp <= last_ms
                )
        return events


def _group_names(name: str | None, names: list[str] | None, identifiers: list[str] | None) -> list[str]:
    given = [n for n in ([name] if name else []) + list(names or []) if n]
    given += [_name_of(identifier) for identifier in identifiers or []]
    if not given:
        raise InvalidParameterException("Specify logGroupName, logGroupNames or logGroupIdentifiers")
    return list(dict.fromkeys(given))


def _name_of(identifier: str) -> str:
    """A log group's name from its name or ARN (``arn:aws:logs:region:account:log-group:NAME[:*]``)."""
    if not identifier.startswith("arn:"):
        return identifier
    name = identifier.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name


def _malformed(error: logsinsights.LogsInsightsError) -> MalformedQueryException:
    exception = MalformedQueryException(error.message)
    exception.queryCompileError = {
        "location": {"startCharOffset": error.start, "endCharOffset": error.end},
        "message": error.message,
    }
    return exception


@aws_provider(api="logs", name="chainprobe")
def logs_chainprobe() -> Service:
    return Service.for_provider(LogsInsightsProvider(), dispatch_table_factory=MotoFallbackDispatcher)
