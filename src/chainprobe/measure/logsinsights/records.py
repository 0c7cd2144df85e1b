"""Log events as the rows a query starts from: the system fields and the fields discovered in JSON.

System fields, as AWS names them: ``@timestamp`` (a :class:`~.values.Timestamp`), ``@message``,
``@logStream``, ``@log`` (``account:group`` when the caller gives an account, else the group
name), ``@ingestionTime``. ``@ptr`` is not produced.

JSON discovery: a message that is a JSON object, or that ends with one after a prefix (Lambda's
``time<TAB>request id<TAB>LEVEL<TAB>{...}`` form), gives one field per leaf, nested keys joined
with dots (``order.items.0.sku``: list items by index). A JSON ``null`` gives no field. A JSON key
never overrides a system field. AWS's documentation says fields are discovered in JSON logs but
not how prefixed messages, lists or nulls are treated: these are the choices made here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .values import Timestamp, Value


@dataclass(frozen=True)
class LogEvent:
    """One event of a log group, as PutLogEvents stored it."""

    timestamp: int  # epoch milliseconds
    message: str
    log_group: str
    log_stream: str
    ingestion_time: int | None = None
    account: str | None = None


def record(event: LogEvent) -> dict[str, Value]:
    row: dict[str, Value] = {}
    _flatten(_json_object(event.message), "", row)
    row.update(
        {
            "@timestamp": Timestamp(event.timestamp),
            "@message": event.message,
            "@logStream": event.log_stream,
            "@log": f"{event.account}:{event.log_group}" if event.account else event.log_group,
        }
    )
    if event.ingestion_time is not None:
        row["@ingestionTime"] = Timestamp(event.ingestion_time)
    return row


def _json_object(message: str) -> Any:
    text = message.strip()
    brace = text.find("{")
    if brace < 0 or not text.endswith("}"):
        return None
    try:
        return json.loads(text[brace:])
    except ValueError:
        return None


def _flatten(value: Any, prefix: str, row: dict[str, Value]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), row)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _flatten(inner, f"{prefix}.{index}" if prefix else str(index), row)
    elif value is not None and prefix:
        row[prefix] = value
