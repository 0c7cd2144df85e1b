"""The log view of a concluded run: where it is read (the target's CloudWatch Logs) and the report's
summary of it (``chainprobe.report.logs``), for ``pipeline.conclude``.

``logs_source`` is built before the run (``LogsSource.skipped`` says why there is none; its client's
calls give up after ``READ_TIMEOUT_S`` x ``ATTEMPTS``, so a frozen endpoint cannot hold the run's end);
``measure_logs`` (not for a run that is incomplete: ``chainprobe logs`` can read it later) runs the
run's one milestone query (``chainprobe.measure.log_view_read``), waiting up to ``wait_s`` (else
``CHAINPROBE_LOGS_WAIT``, else 60 s) for the logs to arrive, and reconciles the three views
(``chainprobe.measure.log_reconcile``). It never raises: whatever goes wrong is a note in the report.
Then it drills into the run's bad orders (at most ``MAX_DRILLDOWNS``, by sequence), one query per ten
(``drill_down``, which ``chainprobe logs`` uses for a recorded run), each with the query a user pastes
into the Logs Insights console (and its console link on AWS: a target with no ``aws_endpoint_url``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError

from chainprobe.ledger.model import FailureClass, OrderRecord, Run, Verdict
from chainprobe.measure.log_drilldown import BATCH, Drilldown, console_query, drilldown_query, drilldowns
from chainprobe.measure.log_reconcile import reconcile_logs
from chainprobe.measure.log_view_read import DEFAULT_WAIT_S, MARGIN_S, read_log_view, rendered
from chainprobe.measure.logs_query import LogsClient, run_logs_query
from chainprobe.report.logs import MAX_DRILLDOWNS, BadOrderLogs, LogsSummary
from chainprobe.report.logs_console import ConsoleQuery
from chainprobe.report.metric_math import ReconciliationSummary
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.model import LogsSpec, ProbeSpec
from chainprobe.spec.template import Scalar
from chainprobe.target import Target

__all__ = ["LOGS_WAIT_ENV", "LogsSource", "drill_down", "logs_source", "measure_logs"]

LOGS_WAIT_ENV = "CHAINPROBE_LOGS_WAIT"
READ_TIMEOUT_S = 10.0  # a call to CloudWatch Logs gives up after 10 s x 2 attempts (boto's own: 30 s x 6)
ATTEMPTS = 2


@dataclass(frozen=True)
class LogsSource:
    """The target's logs client and endpoint values, how long to wait for the logs; or why not."""

    client: LogsClient | None = None
    endpoints: Mapping[str, Scalar] | None = None
    wait_s: float = DEFAULT_WAIT_S
    skipped: str | None = None


def logs_source(spec: ProbeSpec, target: Target, *, wait_s: float | None = None) -> LogsSource:
    if spec.logs is None:
        return LogsSource(skipped="not configured")
    try:
        clients = target.clients.bounded(read_timeout=READ_TIMEOUT_S, total_attempts=ATTEMPTS)
        client = clients.client("logs")
    except (BotoCoreError, ValueError) as e:
        return LogsSource(skipped=f"the target has no CloudWatch Logs ({e})")
    if wait_s is None:
        configured = os.environ.get(LOGS_WAIT_ENV)
        wait_s = float(configured) if configured else DEFAULT_WAIT_S
    return LogsSource(client=client, endpoints=target.endpoints, wait_s=wait_s)


def measure_logs(
    spec: ProbeSpec,
    run: Run,
    orders: Sequence[OrderRecord],
    source: LogsSource | None,
    reconciliation: ReconciliationSummary | None = None,
) -> LogsSummary | None:
    """The report's log view (``None`` without a source: not read)."""
    if spec.logs is None:
        return LogsSummary.not_configured()
    if source is None:
        return None
    if source.client is None or source.endpoints is None:
        return LogsSummary(configured=True, notes=(f"the log view was not read: {source.skipped}",))
    if run.end_reason is not None:  # as for the metric math: a stopped run ends without waiting for logs
        incomplete = f"the log view was not read: the run is incomplete ({run.end_reason})"
        return LogsSummary(configured=True, notes=(incomplete,))
    try:
        reading = read_log_view(
            source.client,
            spec.logs,
            source.endpoints,
            orders,
            start=run.started_at,
            end=run.ended_at or time.time(),
            wait_s=source.wait_s,
        )
        sight = None
        if reading.view is not None:
            sight = reconcile_logs(
                rendered(spec.logs, source.endpoints),
                orders,
                reading.orders,
                metric_math=_metric_math_by_class(reconciliation),
            )
        summary = LogsSummary(
            configured=True,
            view=reading.view,
            reconciliation=sight,
            queries=reading.queries,
            notes=reading.notes,
        )
        if reading.view is None:
            return summary
        return _with_bad_orders(summary, source.client, spec.logs, source.endpoints, run, orders)
    except Exception as e:  # the log view is reported, never a reason for the run to fail
        return LogsSummary(configured=True, notes=(f"the log view failed: {type(e).__name__}: {e}",))


def _with_bad_orders(
    summary: LogsSummary,
    client: LogsClient,
    spec: LogsSpec,
    endpoints: Mapping[str, Scalar],
    run: Run,
    orders: Sequence[OrderRecord],
) -> LogsSummary:
    """``summary`` with the drill-downs of the run's bad orders (at most ``MAX_DRILLDOWNS``)."""
    bad = [order for order in orders if Verdict.BAD in (order.chain_verdict, order.delivery_verdict)]
    if not bad:
        return summary
    shown = sorted(bad, key=lambda order: order.seq)[:MAX_DRILLDOWNS]
    found, notes, queries = drill_down_counted(client, spec, endpoints, run, [o.order_id for o in shown])
    logs = rendered(spec, endpoints)
    start, end = _window(run)
    region = None if endpoints.get("aws_endpoint_url") else str(endpoints.get("region") or "") or None
    by_id = {order.order_id: order for order in shown}
    items = tuple(
        BadOrderLogs(
            order=by_id[item.order_id],
            drilldown=item,
            console=ConsoleQuery.of(
                console_query(logs, item.order_id), logs.log_groups, start=start, end=end, region=region
            ),
        )
        for item in found
    )
    return replace(
        summary,
        bad_orders=items,
        bad_orders_total=len(bad),
        drilldown_queries=queries,
        notes=summary.notes + tuple(f"the drill-down: {note}" for note in notes),
    )


def _metric_math_by_class(reconciliation: ReconciliationSummary | None) -> dict[FailureClass, int] | None:
    if reconciliation is None:
        return None
    return {item.failure: item.metric_math for item in reconciliation.by_class}


DRILLDOWN_AFTER_S = 600.0  # a delivery retried for minutes still logs after the run ended


def drill_down(
    client: LogsClient,
    spec: ProbeSpec,
    endpoints: Mapping[str, Scalar],
    run: Run,
    order_ids: Sequence[str],
) -> tuple[list[Drilldown], tuple[str, ...]]:
    """The drill-downs of ``order_ids`` of a recorded run, one query per ``BATCH`` ids; notes say what
    could not be read. Raises a ``SpecError`` when the spec has no ``logs`` or an unknown variable."""
    if spec.logs is None:
        raise SpecError("the spec has no logs section: the log view was not configured", field="logs")
    found, notes, _ = drill_down_counted(client, spec.logs, endpoints, run, order_ids)
    return found, notes


def drill_down_counted(
    client: LogsClient,
    spec: LogsSpec,
    endpoints: Mapping[str, Scalar],
    run: Run,
    order_ids: Sequence[str],
) -> tuple[list[Drilldown], tuple[str, ...], int]:
    """``drill_down`` of a ``logs`` section, and how many queries it ran (one per ``BATCH`` ids)."""
    logs = rendered(spec, endpoints)
    start, end = _window(run)
    found: list[Drilldown] = []
    notes: list[str] = []
    queries = 0
    for index in range(0, len(order_ids), BATCH):
        batch = order_ids[index : index + BATCH]
        answer = run_logs_query(
            client,
            query=drilldown_query(logs, batch),
            log_groups=logs.log_groups,
            start=datetime.fromtimestamp(start, UTC),
            end=datetime.fromtimestamp(end, UTC),
        )
        queries += 1
        if answer.note is not None:
            notes.append(answer.note)
        found.extend(drilldowns(logs, answer.rows, batch))
    return found, tuple(notes), queries


def _window(run: Run) -> tuple[float, float]:
    """The drill-down's window (epoch seconds): the run's, from a minute before to ten minutes after
    its end (capped at now: a delivery retried for minutes still logs after the run ended)."""
    end = (run.ended_at or time.time()) + DRILLDOWN_AFTER_S
    return run.started_at - MARGIN_S, min(end, max(time.time(), run.ended_at or 0.0) + MARGIN_S)
