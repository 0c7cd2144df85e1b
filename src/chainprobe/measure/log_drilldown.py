"""The drill-down of one order from the chain's own logs: pure, from a Logs Insights query's rows.

``drilldown_query`` asks for every line of up to ``BATCH`` correlation ids (one query per ten bad
orders); ``drilldowns`` gives per order the milestones it passed (name, log group, time), the one it
never reached, the functions it touched (the last path segment of each log group, in order), its log
lines (at most ``MAX_LINES``, each at most ``MAX_LINE_CHARS``; ``dropped`` counts the rest) and the
exception text of its first line with a non-empty exception field. Example::

    rows = run_logs_query(client, query=drilldown_query(spec, ids), ...).rows
    for order in drilldowns(spec, rows, ids): order.missing_milestone, order.exception

``missing_milestone`` is ``None`` when the order reached the last milestone, else the first milestone
when it never reached that, else the last one; a milestone with a log group is written ``NAME in
GROUP``. An order the query found no line of has every field empty and misses the first milestone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from chainprobe.measure.log_view import MAX_ROWS, MilestoneHit, order_milestones, parse_timestamp
from chainprobe.spec.model import LogsSpec, Milestone

__all__ = ["BATCH", "MAX_LINES", "MAX_LINE_CHARS", "Drilldown", "drilldown_query", "drilldowns"]

BATCH = 10
MAX_LINES = 20
MAX_LINE_CHARS = 300


@dataclass(frozen=True)
class Drilldown:
    order_id: str
    milestones: tuple[MilestoneHit, ...]
    missing_milestone: str | None
    functions: tuple[str, ...]
    log_lines: tuple[str, ...]
    exception: str | None
    dropped: int = 0


def drilldown_query(spec: LogsSpec, order_ids: Sequence[str]) -> str:
    """Every line of ``order_ids`` (at most ``BATCH``), oldest first."""
    if not 0 < len(order_ids) <= BATCH:
        raise ValueError(f"expected 1 to {BATCH} order ids, got {len(order_ids)}")
    ids = ", ".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in order_ids)
    fields = ", ".join(
        (
            "@timestamp",
            "@log",
            "@message",
            spec.correlation_field,
            spec.milestone_field,
            *spec.exception_fields,
        )
    )
    selected = f"filter {spec.correlation_field} in [{ids}]"
    return f"fields {fields} | {selected} | sort @timestamp asc | limit {MAX_ROWS}"


def drilldowns(
    spec: LogsSpec, rows: Iterable[Mapping[str, str]], order_ids: Sequence[str]
) -> list[Drilldown]:
    """One drill-down per id of ``order_ids``, in that order."""
    rows = [row for row in rows if parse_timestamp(row.get("@timestamp", "")) is not None]
    rows.sort(key=lambda row: row["@timestamp"])
    milestone_rows = [row for row in rows if row.get(spec.milestone_field)]
    logged = order_milestones(spec, milestone_rows)
    lines: dict[str, list[Mapping[str, str]]] = {}
    for row in rows:
        lines.setdefault(row.get(spec.correlation_field, ""), []).append(row)
    result = []
    for order_id in order_ids:
        own = lines.get(order_id, [])
        found = logged.get(order_id)
        hits = found.hits if found is not None else ()
        exception = next((row[f] for row in own for f in spec.exception_fields if row.get(f)), None)
        result.append(
            Drilldown(
                order_id=order_id,
                milestones=hits,
                missing_milestone=_missing(spec, hits),
                functions=tuple(dict.fromkeys(_function(row.get("@log", "")) for row in own)),
                log_lines=tuple(_line(row) for row in own[:MAX_LINES]),
                exception=exception,
                dropped=max(len(own) - MAX_LINES, 0),
            )
        )
    return result


def _missing(spec: LogsSpec, hits: Sequence[MilestoneHit]) -> str | None:
    first = next((hit.at for hit in hits if _is(hit, spec.first_milestone)), None)
    if first is None:
        return _named(spec.first_milestone)
    if any(_is(hit, spec.last_milestone) and hit.at >= first for hit in hits):
        return None
    return _named(spec.last_milestone)


def _is(hit: MilestoneHit, milestone: Milestone) -> bool:
    return hit.name == milestone.name and milestone.log_group in (None, hit.log_group)


def _named(milestone: Milestone) -> str:
    return milestone.name + (f" in {milestone.log_group}" if milestone.log_group else "")


def _function(log: str) -> str:
    return log.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def _line(row: Mapping[str, str]) -> str:
    text = " ".join(row.get("@message", "").split())
    if len(text) > MAX_LINE_CHARS:
        text = text[: MAX_LINE_CHARS - 1] + "…"
    return f"{row['@timestamp']} {_function(row.get('@log', ''))} {text}"
