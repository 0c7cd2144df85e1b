"""The probe spec as frozen dataclasses: one internal model, whatever the YAML looked like.

A spec describes a request chain generically: how to send an order (``send``), what a good API
answer is (``api``), and, each optional, the DynamoDB item, the event, the courier call, the
deadlines, the SLO objectives, the metric-math SLI and the CloudWatch publishing. A stage without
its section is not verified. Strings documented as templates hold ``${name}`` placeholders (see
``chainprobe.spec.template``).

Build one with ``chainprobe.spec.load_spec``; the dataclasses hold no validation of their own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from chainprobe.spec.checks import JsonCheck
from chainprobe.spec.paths import FieldPath

__all__ = [
    "ApiSpec",
    "AvailabilityObjective",
    "CleanupMode",
    "CloudWatchPublishSpec",
    "CourierSpec",
    "Deadlines",
    "DeliveryObjective",
    "DynamoDbSpec",
    "EventSpec",
    "LatencyObjective",
    "LogsSpec",
    "MetricMathSpec",
    "Milestone",
    "ProbeSpec",
    "SendSpec",
    "SettleWindows",
    "SloSpec",
]

DEFAULT_TAG_HEADER = "x-chainprobe-run"
DEFAULT_TAG_PATH = FieldPath.parse("probe")


@dataclass(frozen=True, kw_only=True)
class SendSpec:
    """How to send one order.

    ``endpoint`` and header values are templates; ``payload`` is a JSON-like template mapping into
    which the harness puts the order id at ``order_id_path`` and the probe tag ``{runId, seq}`` at
    ``tag_path``; the tag also travels in the ``tag_header`` header. ``fault_marker_path`` (optional) is
    where a chain that supports fault injection reads a list of fault names to fire for this order.
    """

    endpoint: str
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    payload: Mapping[str, object] = field(default_factory=dict)
    order_id_path: FieldPath
    tag_path: FieldPath = DEFAULT_TAG_PATH
    tag_header: str = DEFAULT_TAG_HEADER
    fault_marker_path: FieldPath | None = None


@dataclass(frozen=True, kw_only=True)
class ApiSpec:
    """A good API answer: a status in ``expected_status`` and a JSON body passing every check."""

    expected_status: tuple[int, ...]
    checks: tuple[JsonCheck, ...] = ()


class CleanupMode(StrEnum):
    """What happens to a probe's DynamoDB item once verified."""

    NONE = "none"
    DELETE = "delete"
    TTL = "ttl"


@dataclass(frozen=True, kw_only=True)
class DynamoDbSpec:
    """Where the order's item lives and what it must hold.

    ``table`` is a template, ``key`` maps each key attribute to a template, ``checks`` apply to the item
    as a plain document (numbers as ``Decimal``). With ``cleanup`` TTL, ``ttl_attribute`` is set to
    now + ``ttl_seconds`` (epoch seconds) after verification.
    """

    table: str
    key: Mapping[str, str]
    checks: tuple[JsonCheck, ...] = ()
    consistent_read: bool = True
    cleanup: CleanupMode = CleanupMode.NONE
    ttl_seconds: int | None = None
    ttl_attribute: str | None = None


@dataclass(frozen=True, kw_only=True)
class EventSpec:
    """The event the chain publishes for an order, and where the order id and probe tag sit in it.

    ``bus`` is a template; ``pattern`` is an extra EventBridge pattern fragment merged into the
    capture pattern; ``tag_path`` (optional) scopes the capture rule to probe traffic.
    ``settle_seconds`` is the settle window, counted from the send: a second distinct event delivered
    within it makes the order ``event_duplicate``, and a good chain verdict stays provisional until it
    has passed (``None``: the event deadline; ``0``: no wait, see ``ProbeSpec.settle_windows``).
    """

    bus: str
    source: str
    detail_type: str
    pattern: Mapping[str, object] = field(default_factory=dict)
    order_id_path: FieldPath
    tag_path: FieldPath | None = None
    settle_seconds: float | None = None

    def capture_pattern(self) -> dict[str, object]:
        """The EventBridge pattern of the capture rule: source, detail-type, the extra pattern, the tag.

        Example: ``{"source": ["orders.api"], "detail-type": ["OrderCreated"],
        "detail": {"probe": {"runId": [{"exists": True}]}}}`` for ``tag_path: detail.probe``.
        """
        pattern: dict[str, object] = {"source": [self.source], "detail-type": [self.detail_type]}
        _merge(pattern, copy.deepcopy(dict(self.pattern)))
        if self.tag_path is not None:
            tag: dict[str, object] = {}
            FieldPath(text="", parts=(*self.tag_path.parts, "runId")).set(tag, [{"exists": True}])
            _merge(pattern, tag)
        return pattern


@dataclass(frozen=True, kw_only=True)
class CourierSpec:
    """The downstream call expected for an order, read from a WireMock request journal.

    ``admin_url`` is a template (the WireMock base URL); a request matches when its method and URL path
    are these and its JSON body holds the order id at ``order_id_json_path``; the delivery succeeded when
    the stub answered one of ``expected_status`` within ``client_timeout_ms`` (when given: a stub that
    answers after the caller gave up served nobody, whatever its status). ``settle_seconds`` is the
    settle window, counted from the send: a call after the successful one within it makes the delivery
    ``courier_duplicate``, a call for an order the API rejected makes it ``courier_unexpected``, and the
    verdict stays provisional until it has passed (``None``: the delivery deadline; ``0``: no wait).
    """

    admin_url: str
    method: str = "POST"
    url_path: str
    order_id_json_path: FieldPath
    expected_status: tuple[int, ...] = (200,)
    client_timeout_ms: float | None = None
    settle_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class SettleWindows:
    """Seconds from the send during which "must not happen" checks still count, per stage.

    ``None``: the stage is not verified. ``0``: no wait; only what was seen by the time the stage's
    timeline was complete counts (chainprobe's behaviour before settle windows).
    """

    event: float | None = None
    courier: float | None = None


@dataclass(frozen=True, kw_only=True)
class Deadlines:
    """Seconds each stage may take, counted from the moment the order was sent."""

    api: float = 10.0
    dynamodb: float = 5.0
    event: float = 10.0
    courier: float = 30.0

    def for_stage(self, stage: str) -> float:
        """The deadline of ``api``, ``dynamodb``, ``event`` or ``courier``."""
        value: float = getattr(self, stage)
        return value


@dataclass(frozen=True, kw_only=True)
class AvailabilityObjective:
    """The chain SLO: the fraction of orders that complete every verified stage (0 < objective < 1)."""

    objective: float


@dataclass(frozen=True, kw_only=True)
class LatencyObjective:
    """``percentile`` % of good orders get their API answer within ``threshold_ms``."""

    threshold_ms: float
    percentile: float = 95.0


@dataclass(frozen=True, kw_only=True)
class DeliveryObjective:
    """The downstream (courier) SLO: the fraction of orders delivered within ``deadline_seconds``.

    ``gate`` false reports it without letting it fail the SLO gate.
    """

    objective: float
    deadline_seconds: float
    gate: bool = True


@dataclass(frozen=True, kw_only=True)
class SloSpec:
    """The objectives, over a rolling ``window`` (``window_text`` keeps the spelling, e.g. ``30d``)."""

    window: timedelta
    window_text: str
    availability: AvailabilityObjective
    latency: LatencyObjective | None = None
    delivery: DeliveryObjective | None = None


@dataclass(frozen=True, kw_only=True)
class MetricMathSpec:
    """A CloudWatch ``Metrics:`` query list, kept verbatim, and which ``Id`` is the availability series.

    Treat ``metrics`` as read-only; ``queries()`` gives a copy to hand to ``GetMetricData`` or an alarm.
    """

    metrics: tuple[Mapping[str, Any], ...]
    availability_id: str
    latency_id: str | None = None

    def queries(self) -> list[dict[str, Any]]:
        """A deep copy of the query list, as pasted."""
        return [copy.deepcopy(dict(query)) for query in self.metrics]

    def metric_stat_count(self) -> int:
        """How many queries are ``MetricStat`` (a metric-math alarm allows at most 10)."""
        return sum(1 for query in self.metrics if "MetricStat" in query)


@dataclass(frozen=True, kw_only=True)
class CloudWatchPublishSpec:
    """Publish each run's black-box SLI as custom metrics: ``namespace`` and dimension templates."""

    namespace: str
    dimensions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Milestone:
    """A milestone value of the milestone field, counted only in ``log_group`` (a template) when given."""

    name: str
    log_group: str | None = None


@dataclass(frozen=True, kw_only=True)
class LogsSpec:
    """The chain's own structured logs: where they are (``log_groups``, templates), which field carries
    the correlation id (the order id) and which the milestone, the first and last milestones of a
    request, the milestones a good request passes between them (in order; optional), the failure
    milestone, and the fields that hold an exception's text."""

    log_groups: tuple[str, ...]
    correlation_field: str
    milestone_field: str
    first_milestone: Milestone
    last_milestone: Milestone
    milestones: tuple[Milestone, ...] = ()
    failure_milestone: str | None = None
    exception_fields: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProbeSpec:
    """A whole probe spec. ``send`` and ``api`` are required; a stage without a section is not verified."""

    name: str
    description: str | None = None
    send: SendSpec
    api: ApiSpec
    dynamodb: DynamoDbSpec | None = None
    event: EventSpec | None = None
    courier: CourierSpec | None = None
    deadlines: Deadlines = field(default_factory=Deadlines)
    slo: SloSpec | None = None
    metric_math: MetricMathSpec | None = None
    cloudwatch_publish: CloudWatchPublishSpec | None = None
    logs: LogsSpec | None = None

    def delivery_deadline(self) -> float:
        """Seconds from the send by which the courier must have been called successfully: the delivery
        objective's ``deadline_seconds``, else ``deadlines.courier``."""
        objective = self.slo.delivery if self.slo is not None else None
        return objective.deadline_seconds if objective is not None else self.deadlines.courier

    def settle_windows(self) -> SettleWindows:
        """Each verified stage's settle window, defaults applied: the event deadline for the event,
        the delivery deadline for the courier."""
        event, courier = self.event, self.courier
        return SettleWindows(
            event=None if event is None else _given(event.settle_seconds, self.deadlines.event),
            courier=None if courier is None else _given(courier.settle_seconds, self.delivery_deadline()),
        )

    def verified_stages(self) -> tuple[str, ...]:
        """The chain stages this spec verifies, in chain order: ``api`` first, then those with a section."""
        optional = (("dynamodb", self.dynamodb), ("event", self.event), ("courier", self.courier))
        return ("api", *(name for name, section in optional if section is not None))


def _given(value: float | None, default: float) -> float:
    return default if value is None else value


def _merge(target: dict[str, object], extra: Mapping[str, object]) -> None:
    for key, value in extra.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, Mapping):
            _merge(existing, value)
        else:
            target[key] = value
