"""What the run ledger records: runs, orders, their stage timelines, verdicts and failure classes.

Timestamps are epoch seconds (float). An order's life: *planned* (recorded before it is sent; after a
crash it may or may not have been sent), *sent* (``sent_at`` recorded just before the request leaves),
*answered* (API status or transport failure recorded), then observed at each later stage, then judged.
Verdicts are ``pending`` until final; an order planned but never sent (a run killed in between) is
judged ``not_sent`` and counts in no SLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chainprobe.ledger.exceptions import InvalidOutcomeError

__all__ = [
    "TRANSPORT_FAILURES",
    "FailureClass",
    "Observation",
    "OrderOutcome",
    "OrderRecord",
    "Run",
    "RunState",
    "Stage",
    "Verdict",
]


class Stage(StrEnum):
    """The points of an order's timeline, in chain order."""

    SENT = "sent"
    API = "api"
    DYNAMODB = "dynamodb"
    EVENT = "event"
    COURIER = "courier"


class FailureClass(StrEnum):
    """Why an order is bad; ``stage`` says which stage it fails.

    The "must not happen" classes are found within a settle window (``ProbeSpec.settle_windows``):
    ``event_duplicate`` (a second distinct event; chain SLO), ``courier_duplicate`` (a courier call
    after the successful one; delivery SLO) and ``courier_unexpected`` (a courier call for an order
    the API rejected: the order keeps its API class on the chain SLO and gets a bad delivery verdict,
    the only case where a chain-bad order is counted in the delivery SLO).
    """

    HTTP_5XX = "http_5xx"
    HTTP_4XX = "http_4xx"
    HTTP_2XX_ERROR_BODY = "http_2xx_error_body"
    API_TIMEOUT = "api_timeout"
    CONNECTION_ERROR = "connection_error"
    DB_MISSING = "db_missing"
    DB_MISMATCH = "db_mismatch"
    EVENT_MISSING = "event_missing"
    EVENT_DUPLICATE = "event_duplicate"
    COURIER_MISSING = "courier_missing"
    COURIER_FAILED = "courier_failed"
    COURIER_DUPLICATE = "courier_duplicate"
    COURIER_UNEXPECTED = "courier_unexpected"

    @property
    def stage(self) -> Stage:
        """The stage this failure belongs to (``http_5xx`` -> ``api``, ``db_missing`` -> ``dynamodb``...)."""
        return _STAGE_OF[self.value.split("_", 1)[0]]

    @property
    def is_delivery(self) -> bool:
        """Whether this class judges the delivery SLO (courier) rather than the chain SLO."""
        return self.stage is Stage.COURIER


_STAGE_OF = {
    "http": Stage.API,
    "api": Stage.API,
    "connection": Stage.API,
    "db": Stage.DYNAMODB,
    "event": Stage.EVENT,
    "courier": Stage.COURIER,
}

TRANSPORT_FAILURES = frozenset({FailureClass.API_TIMEOUT, FailureClass.CONNECTION_ERROR})


class Verdict(StrEnum):
    """An order's verdict on one SLO; ``pending`` until every stage succeeded or its deadline passed.

    ``not_sent`` (chain verdict only): planned, never sent. No ``sent_at``, no API outcome and no trace
    downstream once the API deadline (counted from ``planned_at``) passed: the run stopped between
    planning the order and sending it. Such an order is final, has no failure class and no delivery
    verdict, and is left out of every SLI.
    """

    GOOD = "good"
    BAD = "bad"
    PENDING = "pending"
    NOT_SENT = "not_sent"


class RunState(StrEnum):
    """``running`` while orders are sent, ``sent`` when all were, ``verified`` when every verdict is final."""

    RUNNING = "running"
    SENT = "sent"
    VERIFIED = "verified"


@dataclass(frozen=True, kw_only=True)
class Run:
    """One canary or load run: which spec, against which target, when.

    ``end_reason`` says why the run ended before it completed (``interrupted (SIGINT)``, ``infrastructure:
    …``); ``None`` while it runs and once it completed. A run is complete when every order it meant to
    send was sent (``state`` reached ``sent``) and every verdict is final; ``chainprobe verify --run``
    finishes the verdicts, never the sending.
    """

    run_id: str
    spec_path: str
    spec_name: str
    target: str
    started_at: float
    ended_at: float | None = None
    state: RunState = RunState.RUNNING
    end_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderRecord:
    """Everything the ledger knows of one order.

    ``api_status`` is the HTTP status (``None`` when no answer came); ``api_failure`` a transport failure
    (``api_timeout`` or ``connection_error``); ``api_body`` the answer's body (truncated) so the API
    checks can be judged later. ``delivery_verdict`` is ``None`` when the run does not verify delivery.
    """

    run_id: str
    seq: int
    order_id: str
    planned_at: float
    sent_at: float | None = None
    api_at: float | None = None
    api_status: int | None = None
    api_latency_ms: float | None = None
    api_body: str | None = None
    api_failure: FailureClass | None = None
    dynamodb_at: float | None = None
    event_at: float | None = None
    courier_at: float | None = None
    chain_verdict: Verdict = Verdict.PENDING
    chain_failure: FailureClass | None = None
    delivery_verdict: Verdict | None = None
    delivery_failure: FailureClass | None = None
    details: str | None = None

    @property
    def answered(self) -> bool:
        """Whether the API stage has an outcome (an HTTP status or a transport failure)."""
        return self.api_status is not None or self.api_failure is not None

    @property
    def maybe_sent(self) -> bool:
        """Planned, no API outcome and not judged ``not_sent``: it may or may not have reached the API."""
        return not self.answered and self.chain_verdict is not Verdict.NOT_SENT

    @property
    def pending(self) -> bool:
        """Whether a verdict (chain or delivery) is still to come."""
        return Verdict.PENDING in (self.chain_verdict, self.delivery_verdict)

    def observed_at(self, stage: Stage) -> float | None:
        """When ``stage`` was observed (``sent`` is the send time)."""
        value: float | None = getattr(self, f"{stage.value}_at")
        return value

    def timeline(self) -> dict[Stage, float]:
        """The observed stages and their timestamps, in chain order."""
        return {stage: at for stage in Stage if (at := self.observed_at(stage)) is not None}


@dataclass(frozen=True)
class Observation:
    """Order ``seq`` was seen at ``stage`` at ``at`` (epoch seconds); the first observation is kept."""

    seq: int
    stage: Stage
    at: float


@dataclass(frozen=True, kw_only=True)
class OrderOutcome:
    """A verdict update for one order; ``None`` leaves a verdict as it is.

    A bad verdict needs a failure class; a good, pending or not_sent one must have none.
    """

    seq: int
    chain_verdict: Verdict | None = None
    chain_failure: FailureClass | None = None
    delivery_verdict: Verdict | None = None
    delivery_failure: FailureClass | None = None
    details: str | None = None

    def __post_init__(self) -> None:
        _check_pair("chain", self.chain_verdict, self.chain_failure)
        _check_pair("delivery", self.delivery_verdict, self.delivery_failure)


def _check_pair(name: str, verdict: Verdict | None, failure: FailureClass | None) -> None:
    if (verdict is Verdict.BAD) != (failure is not None):
        raise InvalidOutcomeError(f"{name}: a bad verdict needs a failure class and only a bad one has one")
