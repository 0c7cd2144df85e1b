"""The milestone view of a run from the chain's own logs: pure, from one Logs Insights query's rows.

``milestone_query`` is the one query per run (every milestone line of the run's correlation ids, in
time order); ``order_milestones`` turns its rows into, per order, the milestones reached with their
times and the exception text logged; ``summarise`` gives the log SLI (orders that reached the last
milestone over those that reached the first: START in the first function against COMPLETED in the
last) and the lead time from the first milestone to the last (milliseconds, nearest rank p50/p95 and
the max), which unlike the API latency includes the asynchronous delivery. Example::

    query = milestone_query(spec, ["o-1", "o-2"])
    view = summarise(spec, order_milestones(spec, rows))
    view.availability, view.lead_time_ms

``spec`` is a ``LogsSpec`` whose log groups are already rendered (no ``${...}`` left). A milestone with a
``log_group`` counts only in that group; a row's ``@log`` matches a group when it is the group or
``account:group``. Times are the rows' ``@timestamp`` (``YYYY-MM-DD HH:MM:SS.mmm``, UTC, as
GetQueryResults gives them). The lead time runs from an order's earliest first milestone to its
earliest last milestone at or after it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from chainprobe.measure.sli import nearest_rank
from chainprobe.spec.model import LogsSpec, Milestone

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_ROWS",
    "LeadTime",
    "LogView",
    "MilestoneHit",
    "OrderMilestones",
    "milestone_query",
    "order_milestones",
    "parse_timestamp",
    "summarise",
]

MAX_ROWS = 10_000  # AWS's cap on one query's results
MAX_QUERY_CHARS = 10_000  # AWS's cap on a query's length


@dataclass(frozen=True)
class MilestoneHit:
    """One milestone line: its name, the log group that logged it, and when (epoch seconds)."""

    name: str
    log_group: str
    at: float


@dataclass(frozen=True)
class OrderMilestones:
    """What the logs say of one order: its milestone lines in time order and the exception text, if any."""

    order_id: str
    hits: tuple[MilestoneHit, ...]
    exception: str | None = None

    def first_at(self, milestone: Milestone, *, after: float | None = None) -> float | None:
        """When ``milestone`` was first reached (at or after ``after``), or ``None``."""
        for hit in self.hits:
            if matches(hit, milestone) and (after is None or hit.at >= after):
                return hit.at
        return None

    def failed(self, failure_milestone: str | None) -> bool:
        return failure_milestone is not None and any(hit.name == failure_milestone for hit in self.hits)


@dataclass(frozen=True)
class LeadTime:
    p50: float
    p95: float
    max: float


@dataclass(frozen=True)
class LogView:
    """The run as its logs tell it: ``started`` orders reached the first milestone, ``completed`` of them
    the last one; ``availability`` is their ratio (``None`` when none started)."""

    started: int
    completed: int
    failed: tuple[str, ...]  # order ids that reached the first milestone but not the last
    lead_time_ms: LeadTime | None

    @property
    def availability(self) -> float | None:
        return self.completed / self.started if self.started else None


def milestone_query(spec: LogsSpec, order_ids: Sequence[str]) -> str:
    """The run's one query: every milestone line of ``order_ids``, oldest first. When listing the ids
    would pass ``MAX_QUERY_CHARS`` (AWS's limit on a query), the lines whose id contains the ids'
    common prefix (the run's id, for the harness's order ids) are asked for instead, and the caller
    keeps only its own ids' (``order_milestones(..., only=...)``)."""
    fields = ", ".join(
        ("@timestamp", "@log", spec.correlation_field, spec.milestone_field, *spec.exception_fields)
    )
    tail = f" and ispresent({spec.milestone_field}) | sort @timestamp asc | limit {MAX_ROWS}"
    listed = f"fields {fields} | filter {spec.correlation_field} in [{', '.join(map(_quoted, order_ids))}]"
    if len(listed) + len(tail) <= MAX_QUERY_CHARS:
        return listed + tail
    prefix = _common_prefix(order_ids)
    return f"fields {fields} | filter {spec.correlation_field} like {_quoted(prefix)}" + tail


def order_milestones(
    spec: LogsSpec, rows: Iterable[Mapping[str, str]], *, only: Collection[str] | None = None
) -> dict[str, OrderMilestones]:
    """Per correlation id (of ``only``, when given), its milestone lines in time order (rows without an
    id, a milestone or a readable time are skipped) and the first non-empty exception field of its lines."""
    hits: dict[str, list[MilestoneHit]] = {}
    exceptions: dict[str, str] = {}
    for row in rows:
        order_id, name = row.get(spec.correlation_field), row.get(spec.milestone_field)
        at = parse_timestamp(row.get("@timestamp", ""))
        if not order_id or not name or at is None or (only is not None and order_id not in only):
            continue
        hits.setdefault(order_id, []).append(MilestoneHit(name, _group(row.get("@log", "")), at))
        text = next((row[f] for f in spec.exception_fields if row.get(f)), None)
        if text is not None:
            exceptions.setdefault(order_id, text)
    return {
        order_id: OrderMilestones(
            order_id, tuple(sorted(found, key=lambda h: h.at)), exceptions.get(order_id)
        )
        for order_id, found in hits.items()
    }


def summarise(spec: LogsSpec, orders: Mapping[str, OrderMilestones]) -> LogView:
    """The log SLI and lead time of ``orders`` (those the query found)."""
    started = completed = 0
    failed: list[str] = []
    lead_times: list[float] = []
    for order_id, order in sorted(orders.items()):
        first = order.first_at(spec.first_milestone)
        if first is None:
            continue
        started += 1
        last = order.first_at(spec.last_milestone, after=first)
        if last is None:
            failed.append(order_id)
            continue
        completed += 1
        lead_times.append(round((last - first) * 1000.0, 3))  # ms; epoch floats carry ~1e-4 ms noise
    lead = (
        LeadTime(nearest_rank(lead_times, 50), nearest_rank(lead_times, 95), max(lead_times))
        if lead_times
        else None
    )
    return LogView(started=started, completed=completed, failed=tuple(failed), lead_time_ms=lead)


def matches(hit: MilestoneHit, milestone: Milestone) -> bool:
    return hit.name == milestone.name and (
        milestone.log_group is None or hit.log_group == milestone.log_group
    )


def parse_timestamp(text: str) -> float | None:
    """Epoch seconds of a GetQueryResults ``@timestamp`` (UTC), or ``None`` when it is not one."""
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _group(log: str) -> str:
    """The log group of an ``@log`` value: ``account:group`` or ``group`` (a group name has no ':')."""
    return log.rsplit(":", 1)[-1]


def _common_prefix(texts: Sequence[str]) -> str:
    first, last = min(texts, default=""), max(texts, default="")
    size = next(
        (i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last))
    )
    return first[:size]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
