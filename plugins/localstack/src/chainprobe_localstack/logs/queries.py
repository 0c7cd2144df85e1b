"""Logs Insights queries started on the local stack: each runs on a thread of its own, by query id.

The evaluator is chainprobe's (``chainprobe.measure.logsinsights``, vendored into ``_vendor`` at
install); this module only keeps the runs: status ``Running`` until the evaluator has answered,
then ``Complete`` (or ``Failed``); ``StopQuery`` on a running query makes it ``Cancelled`` and its
answer is dropped. The last :data:`KEPT_QUERIES` queries are kept (AWS keeps results 7 days).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from chainprobe_localstack._vendor import logsinsights

KEPT_QUERIES = 1000


@dataclass
class QueryRun:
    query_id: str
    status: str = "Running"
    result: logsinsights.QueryResult | None = None
    done: threading.Event = field(default_factory=threading.Event)


class QueryRuns:
    """The queries of one LocalStack, by id (thread-safe)."""

    def __init__(self) -> None:
        self._runs: OrderedDict[str, QueryRun] = OrderedDict()
        self._lock = threading.Lock()

    def start(
        self, query: logsinsights.Query, events: Sequence[logsinsights.LogEvent], limit: int | None
    ) -> QueryRun:
        run = QueryRun(str(uuid.uuid4()))
        with self._lock:
            self._runs[run.query_id] = run
            while len(self._runs) > KEPT_QUERIES:
                self._runs.popitem(last=False)
        threading.Thread(
            target=self._evaluate,
            args=(run, query, events, limit),
            name=f"logs-query-{run.query_id}",
            daemon=True,
        ).start()
        return run

    def get(self, query_id: str) -> QueryRun | None:
        with self._lock:
            return self._runs.get(query_id)

    def stop(self, query_id: str) -> bool | None:
        """True when the query was running and is now cancelled; False when it had ended; None: unknown."""
        with self._lock:
            run = self._runs.get(query_id)
            if run is None:
                return None
            if run.status != "Running":
                return False
            run.status = "Cancelled"
            return True

    def _evaluate(
        self,
        run: QueryRun,
        query: logsinsights.Query,
        events: Sequence[logsinsights.LogEvent],
        limit: int | None,
    ) -> None:
        try:
            result = logsinsights.evaluate(query, events, limit=limit)
            status = "Complete"
        except Exception:  # an evaluator bug must not leave the query Running forever
            result, status = None, "Failed"
        with self._lock:
            if run.status == "Running":
                run.result, run.status = result, status
        run.done.set()
