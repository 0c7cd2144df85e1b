"""What a GetMetricData evaluation returns: MetricDataResults with status codes and messages.

>>> from datetime import UTC, datetime
>>> t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
>>> result = MetricDataResult("e1", "Availability", Series(60, {t0: 1.0}))
>>> result.to_dict()["StatusCode"], result.to_dict()["Values"]
('Complete', [1.0])

Status codes are GetMetricData's: ``Complete``, ``InternalError`` (the evaluator reports a failed
fetch so) and ``PartialData``/``Forbidden``, which only a caller that paginates or authorises
would produce.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .series import Series

type StatusCode = Literal["Complete", "PartialData", "InternalError", "Forbidden"]


@dataclass(frozen=True, slots=True)
class Message:
    """A GetMetricData MessageData entry: a code and a human-readable value."""

    code: str
    value: str


@dataclass(frozen=True, slots=True)
class MetricDataResult:
    """One entry of GetMetricData's MetricDataResults (an array result gives several per Id)."""

    id: str
    label: str
    series: Series
    status_code: StatusCode = "Complete"
    messages: tuple[Message, ...] = ()

    @property
    def timestamps(self) -> tuple[datetime, ...]:
        return self.series.timestamps

    @property
    def values(self) -> tuple[float, ...]:
        return self.series.values

    def to_dict(self, *, descending: bool = True) -> dict[str, Any]:
        """The result in the GetMetricData response shape (newest first unless ``descending=False``)."""
        pairs = list(self.series)
        if descending:
            pairs.reverse()
        return {
            "Id": self.id,
            "Label": self.label,
            "Timestamps": [ts for ts, _ in pairs],
            "Values": [value for _, value in pairs],
            "StatusCode": self.status_code,
            "Messages": [{"Code": m.code, "Value": m.value} for m in self.messages],
        }


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """The results for every query with ``ReturnData`` true, in request order."""

    results: tuple[MetricDataResult, ...]

    def for_id(self, query_id: str) -> tuple[MetricDataResult, ...]:
        """All results of one query id (several when the expression yields an array)."""
        return tuple(result for result in self.results if result.id == query_id)

    def series(self, query_id: str) -> Series:
        """The single series of a query; KeyError when absent, ValueError when it is an array."""
        found = self.for_id(query_id)
        if not found:
            raise KeyError(query_id)
        if len(found) > 1:
            raise ValueError(f"query {query_id} returned {len(found)} series, not one")
        return found[0].series
