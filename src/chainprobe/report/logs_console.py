"""A Logs Insights query as a user takes it to the CloudWatch console: the query text, its log groups and
time range, and (on AWS) a console deep link that opens it, absolute time range in UTC.

The console has no documented link format; this one is what the console itself writes (observed, and
described in public answers): ``https://REGION.console.aws.amazon.com/cloudwatch/home?region=REGION
#logsV2:logs-insights`` followed by ``?queryDetail=`` and an object ``~(key~value~...)`` whose strings
are ``'`` and their percent-encoding with ``*`` for ``%`` (every character but letters, digits, ``_``,
``.``, ``-``), arrays ``(~'a~'b)``; the object is then ``escape()``d, the whole fragment
percent-encoded and its ``%`` written ``$``. The link holds the query, the log groups and the times, no
credential. Example::

    ConsoleQuery.of(query, ["/aws/lambda/OrdersHandler"], start=t0, end=t1, region="eu-west-1").url

Limitation: a console change can break the link; the query text beside it always works (paste it, pick
the log groups and the time range shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chainprobe.report.timefmt import iso_utc

__all__ = ["ConsoleQuery", "console_url"]

_KEPT = "_.-"  # besides letters and digits, what a primitive keeps unencoded


@dataclass(frozen=True)
class ConsoleQuery:
    """A query to paste into the Logs Insights console; ``url`` opens it (``None`` off AWS)."""

    query: str
    log_groups: tuple[str, ...]
    start: str  # ISO 8601 UTC, milliseconds
    end: str
    url: str | None = None

    @classmethod
    def of(
        cls, query: str, log_groups: Sequence[str], *, start: float, end: float, region: str | None
    ) -> ConsoleQuery:
        """``start``/``end`` in epoch seconds; ``region`` ``None`` for a target that is not AWS."""
        begin, finish = iso_utc(start), iso_utc(end)
        url = console_url(query, log_groups, start=begin, end=finish, region=region) if region else None
        return cls(query, tuple(log_groups), begin, finish, url)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "log_groups": list(self.log_groups),
            "start": self.start,
            "end": self.end,
            "url": self.url,
        }


def console_url(query: str, log_groups: Sequence[str], *, start: str, end: str, region: str) -> str:
    """The console link opening ``query`` over ``log_groups`` from ``start`` to ``end`` (ISO, UTC)."""
    detail = (
        "~("
        + "~".join(
            (
                f"end~{_text(end)}",
                f"start~{_text(start)}",
                f"timeType~{_text('ABSOLUTE')}",
                f"tz~{_text('UTC')}",
                f"editorString~{_text(query)}",
                "source~(" + "".join(f"~{_text(group)}" for group in log_groups) + ")",
            )
        )
        + ")"
    )
    fragment = quote("?queryDetail=" + _escape(detail), safe="-_.!~*'()").replace("%", "$")
    host = f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={quote(region, safe='')}"
    return f"{host}#logsV2:logs-insights{fragment}"


def _text(value: str) -> str:
    return "'" + quote(value, safe=_KEPT).replace("%", "*")


def _escape(text: str) -> str:
    """JavaScript's ``escape()`` for the characters a detail holds (ASCII only, after ``_text``)."""
    kept = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@*_+-./")
    return "".join(char if char in kept else f"%{ord(char):02X}" for char in text)
