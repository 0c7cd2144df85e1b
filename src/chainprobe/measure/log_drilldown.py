"""The drill-down of one order from the chain's own logs: pure, from a Logs Insights query's rows.

``drilldown_query`` asks for every line of up to ``BATCH`` correlation ids (one query per ten bad
orders): the lines carrying the id in the correlation field, and the lines whose message names it (a
Lambda runtime's ``[ERROR] Type: message`` line of an unhandled exception has no correlation field).
``drilldowns`` gives per order the milestones it passed (name, log group, time), the one it never
reached, the functions it touched (the last path segment of each log group, in order), its log lines
(at most ``MAX_LINES``, each at most ``MAX_LINE_CHARS``; ``dropped`` counts the rest) and the exception
it logged. Example::

    rows = run_logs_query(client, query=drilldown_query(spec, ids), ...).rows
    for order in drilldowns(spec, rows, ids): order.missing_milestone, order.exception

``missing_milestone`` is ``None`` when the order reached the last milestone, else the first milestone of
its path (the first, the spec's ``milestones`` in order, the last) that it did not reach after the one
before it; a milestone with a log group is written ``NAME in GROUP``. An order the query found no
line of has every field empty and misses the first milestone.

The exception (``type``, ``message``) is the first an order's lines name, in this order: the Lambda
runtime's unhandled-error line (``[ERROR] Type: message`` as text, or JSON with ``errorType`` and
``errorMessage``), a JSON line with Powertools' ``exception_name`` (the message: the line's first
exception field, else the last line of its ``exception`` traceback); else the first non-empty
exception field of the spec (``type`` ``None``: the chain logged a reason, not an exception). A line
without the correlation field belongs to the order whose id its message names (the id followed by no
further id character).

``console_query`` is the one order's query as a user pastes it into the Logs Insights console.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainprobe.measure.log_view import MAX_ROWS, MilestoneHit, order_milestones, parse_timestamp
from chainprobe.spec.model import LogsSpec, Milestone

__all__ = [
    "BATCH",
    "CONSOLE_LIMIT",
    "MAX_LINES",
    "MAX_LINE_CHARS",
    "Drilldown",
    "LoggedException",
    "console_query",
    "drilldown_query",
    "drilldowns",
]

BATCH = 10
MAX_LINES = 20
MAX_LINE_CHARS = 300
CONSOLE_LIMIT = 200

_RUNTIME_ERROR = re.compile(r"\[ERROR\]\s+([A-Za-z_][\w.]*):\s*(.*)")
_ID_CHAR = re.compile(r"[A-Za-z0-9._:\-]")


@dataclass(frozen=True)
class LoggedException:
    """An exception an order's lines name: its type (``None`` when only a reason was logged) and message."""

    type: str | None
    message: str


@dataclass(frozen=True)
class Drilldown:
    order_id: str
    milestones: tuple[MilestoneHit, ...]
    missing_milestone: str | None
    functions: tuple[str, ...]
    log_lines: tuple[str, ...]
    exception: LoggedException | None
    dropped: int = 0


def drilldown_query(spec: LogsSpec, order_ids: Sequence[str]) -> str:
    """Every line of ``order_ids`` (at most ``BATCH``), oldest first."""
    if not 0 < len(order_ids) <= BATCH:
        raise ValueError(f"expected 1 to {BATCH} order ids, got {len(order_ids)}")
    ids = ", ".join(map(_quoted, order_ids))
    named = " or ".join(f"@message like {_quoted(order_id)}" for order_id in order_ids)
    selected = f"filter {spec.correlation_field} in [{ids}] or {named}"
    return f"fields {_fields(spec)} | {selected} | sort @timestamp asc | limit {MAX_ROWS}"


def console_query(spec: LogsSpec, order_id: str) -> str:
    """One order's lines, oldest first, as a user pastes it into the Logs Insights console."""
    selected = f"filter {spec.correlation_field} = {_quoted(order_id)} or @message like {_quoted(order_id)}"
    return f"fields {_fields(spec)}\n| {selected}\n| sort @timestamp asc\n| limit {CONSOLE_LIMIT}"


def drilldowns(
    spec: LogsSpec, rows: Iterable[Mapping[str, str]], order_ids: Sequence[str]
) -> list[Drilldown]:
    """One drill-down per id of ``order_ids``, in that order."""
    timed = [row for row in rows if parse_timestamp(row.get("@timestamp", "")) is not None]
    timed.sort(key=lambda row: row["@timestamp"])
    lines: dict[str, list[Mapping[str, str]]] = {}
    for row in timed:
        owner = _owner(spec, row, order_ids)
        if owner is not None:
            lines.setdefault(owner, []).append(row)
    milestone_rows = [row for row in timed if row.get(spec.milestone_field)]
    logged = order_milestones(spec, milestone_rows, only=set(order_ids))
    result = []
    for order_id in order_ids:
        own = lines.get(order_id, [])
        found = logged.get(order_id)
        hits = found.hits if found is not None else ()
        result.append(
            Drilldown(
                order_id=order_id,
                milestones=hits,
                missing_milestone=_missing(spec, hits),
                functions=tuple(dict.fromkeys(_function(row.get("@log", "")) for row in own)),
                log_lines=tuple(_line(row) for row in own[:MAX_LINES]),
                exception=_exception(spec, own),
                dropped=max(len(own) - MAX_LINES, 0),
            )
        )
    return result


def _fields(spec: LogsSpec) -> str:
    names = ("@timestamp", "@log", "@message", spec.correlation_field, spec.milestone_field)
    return ", ".join(dict.fromkeys((*names, *spec.exception_fields)))


def _owner(spec: LogsSpec, row: Mapping[str, str], order_ids: Sequence[str]) -> str | None:
    correlation = row.get(spec.correlation_field)
    if correlation:
        return correlation if correlation in order_ids else None
    message = row.get("@message", "")
    return next((order_id for order_id in order_ids if _mentions(message, order_id)), None)


def _mentions(message: str, order_id: str) -> bool:
    start = message.find(order_id)
    while start >= 0:
        end = start + len(order_id)
        before, after = message[start - 1 : start], message[end : end + 1]
        if not (before and _ID_CHAR.fullmatch(before)) and not (after and _ID_CHAR.fullmatch(after)):
            return True
        start = message.find(order_id, start + 1)
    return False


def _exception(spec: LogsSpec, rows: Sequence[Mapping[str, str]]) -> LoggedException | None:
    for row in rows:
        named = _named_exception(spec, row)
        if named is not None:
            return named
    reason = next((row[f] for row in rows for f in spec.exception_fields if row.get(f)), None)
    return LoggedException(None, reason) if reason is not None else None


def _named_exception(spec: LogsSpec, row: Mapping[str, str]) -> LoggedException | None:
    message = row.get("@message", "")
    runtime = _RUNTIME_ERROR.search(message)
    if runtime is not None:
        return LoggedException(runtime.group(1), runtime.group(2).strip())
    document = _json(message)
    if isinstance(document.get("errorType"), str):
        return LoggedException(document["errorType"], str(document.get("errorMessage", "")))
    if isinstance(document.get("exception_name"), str):
        text = next((str(document[f]) for f in spec.exception_fields if document.get(f)), None)
        traceback = str(document.get("exception", "")).strip().splitlines()
        return LoggedException(document["exception_name"], text or (traceback[-1] if traceback else ""))
    return None


def _json(message: str) -> dict[str, Any]:
    """The JSON object a line carries (Powertools' whole line, or after Lambda's tab-separated prefix)."""
    start = message.find("{")
    if start < 0:
        return {}
    try:
        document = json.loads(message[start:])
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _missing(spec: LogsSpec, hits: Sequence[MilestoneHit]) -> str | None:
    first = next((hit.at for hit in hits if _is(hit, spec.first_milestone)), None)
    if first is None:
        return _named(spec.first_milestone)
    if any(_is(hit, spec.last_milestone) and hit.at >= first for hit in hits):
        return None
    reached = first
    for milestone in spec.milestones:
        at = next((hit.at for hit in hits if _is(hit, milestone) and hit.at >= reached), None)
        if at is None:
            return _named(milestone)
        reached = at
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


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
