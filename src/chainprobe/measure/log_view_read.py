"""Read a run's milestone view from the chain's own logs: the one query of ``log_view``, run over the
run's window and its orders' correlation ids, on AWS or the local stack alike (``logs_query``).

The logs arrive a little after the chain acts (the delivery function logs its last milestone after the
courier answered), so the query is run again until the logs are in: until every order that got an API
answer has a line and every order the black box judged good (chain and delivery) has its last milestone
or its failure milestone, or ``wait_s`` passed (then the reading says which orders were still
missing). Nothing here fails a run: a log group that does not exist, a refused query or a template
naming an unknown variable is a note. Example::

    reading = read_log_view(clients.client("logs"), spec.logs, endpoints, orders, start=t0, end=t1)
    reading.view.availability if reading.view else reading.notes
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from chainprobe.ledger.model import OrderRecord, Verdict
from chainprobe.measure.log_view import (
    MAX_ROWS,
    LogView,
    OrderMilestones,
    milestone_query,
    order_milestones,
    summarise,
)
from chainprobe.measure.logs_query import LogsClient, QueryAnswer, run_logs_query
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.model import LogsSpec, Milestone
from chainprobe.spec.template import Scalar, render

__all__ = ["DEFAULT_WAIT_S", "LogViewReading", "read_log_view", "rendered"]

DEFAULT_WAIT_S = 60.0
POLL_S = 1.0
MARGIN_S = 60.0  # the window runs from a minute before the first send to a minute after the end


@dataclass(frozen=True)
class LogViewReading:
    """What the logs said: the view (``None`` when no query answered), per order its milestones, the
    queries run (the same one, again while waiting), and notes."""

    view: LogView | None
    orders: Mapping[str, OrderMilestones]
    queries: int = 0
    notes: tuple[str, ...] = ()


def rendered(spec: LogsSpec, endpoints: Mapping[str, Scalar]) -> LogsSpec:
    """``spec`` with its log-group templates filled in (raises a ``SpecError`` for an unknown variable)."""

    def fill(template: str | None, field: str) -> str | None:
        return None if template is None else render(template, endpoints, field=field)

    def filled(milestone: Milestone, field: str) -> Milestone:
        return replace(milestone, log_group=fill(milestone.log_group, field))

    groups = tuple(
        render(group, endpoints, field=f"logs.log_groups[{i}]") for i, group in enumerate(spec.log_groups)
    )
    return replace(
        spec,
        log_groups=groups,
        first_milestone=filled(spec.first_milestone, "logs.first_milestone"),
        milestones=tuple(filled(m, f"logs.milestones[{i}]") for i, m in enumerate(spec.milestones)),
        last_milestone=filled(spec.last_milestone, "logs.last_milestone"),
    )


def read_log_view(
    client: LogsClient,
    spec: LogsSpec,
    endpoints: Mapping[str, Scalar],
    orders: Sequence[OrderRecord],
    *,
    start: float,
    end: float,
    wait_s: float = DEFAULT_WAIT_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> LogViewReading:
    """The run's milestone view; ``start``/``end`` are the run's epoch seconds (widened by a minute)."""
    try:
        spec = rendered(spec, endpoints)
    except SpecError as error:
        return LogViewReading(None, {}, notes=(f"the log view was not read: {error}",))
    sent = [order for order in orders if order.sent_at is not None]
    if not sent:
        return LogViewReading(None, {}, notes=("the log view was not read: no order was sent",))
    ids = {order.order_id for order in sent}
    query = milestone_query(spec, sorted(ids))
    deadline, queries = clock() + wait_s, 0
    while True:
        answer = _query(client, spec, query, start, max(end, time.time()), max(deadline - clock(), 1.0))
        queries += 1
        if not answer.complete:
            return LogViewReading(None, {}, queries, (answer.note or f"the log query ended {answer.status}",))
        found = order_milestones(spec, answer.rows, only=ids)
        missing = _missing(spec, sent, found)
        if not missing or clock() >= deadline:
            break
        sleep(POLL_S)
    notes = [_missing_note(missing, wait_s)] if missing else []
    if len(answer.rows) >= MAX_ROWS:
        notes.append(f"the log query hit its {MAX_ROWS:,}-row cap: the view may lack the latest lines")
    return LogViewReading(summarise(spec, found), found, queries, tuple(notes))


def _query(
    client: LogsClient, spec: LogsSpec, query: str, start: float, end: float, wait_s: float
) -> QueryAnswer:
    return run_logs_query(
        client,
        query=query,
        log_groups=spec.log_groups,
        start=datetime.fromtimestamp(start - MARGIN_S, UTC),
        end=datetime.fromtimestamp(end + MARGIN_S, UTC),
        wait_s=wait_s,
        poll_s=0.2,
    )


def _missing(spec: LogsSpec, sent: Sequence[OrderRecord], found: Mapping[str, OrderMilestones]) -> list[str]:
    """Orders whose logs are not all in yet: an API answer but no line; judged good but not ended."""
    return [order.order_id for order in sent if _lacking(spec, order, found.get(order.order_id))]


def _lacking(spec: LogsSpec, order: OrderRecord, logged: OrderMilestones | None) -> bool:
    good = order.chain_verdict is Verdict.GOOD and order.delivery_verdict in (None, Verdict.GOOD)
    if logged is None:
        return order.api_status is not None or good
    ended = logged.first_at(spec.last_milestone) is not None or logged.failed(spec.failure_milestone)
    return good and not ended


def _missing_note(missing: Sequence[str], wait_s: float) -> str:
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return f"after {wait_s:g} s the logs still lacked lines of {len(missing)} orders ({shown})"
