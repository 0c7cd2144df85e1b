"""Readers for the measuring sections of a spec: ``deadlines``, ``slo`` and ``cloudwatch_publish``."""

from __future__ import annotations

from chainprobe.spec.duration import parse_duration
from chainprobe.spec.exceptions import InvalidValueError
from chainprobe.spec.model import (
    AvailabilityObjective,
    CloudWatchPublishSpec,
    Deadlines,
    DeliveryObjective,
    LatencyObjective,
    SloSpec,
)
from chainprobe.spec.reader import Fields, Node
from chainprobe.spec.values import read_template

__all__ = ["DEFAULT_NAMESPACE", "DEFAULT_WINDOW", "read_cloudwatch_publish", "read_deadlines", "read_slo"]

DEFAULT_WINDOW = "30d"
DEFAULT_NAMESPACE = "Chainprobe"
_STAGES = ("api", "dynamodb", "event", "courier")
_MAX_DEADLINE_S = 3600.0
_NAME = r"[A-Za-z0-9 _.\-/#:]{1,255}"


def read_deadlines(node: Node | None) -> Deadlines:
    """``deadlines``: seconds per stage (api, dynamodb, event, courier), each in (0, 3600]."""
    if node is None:
        return Deadlines()
    fields = Fields(node, optional=_STAGES)
    given = {
        stage: child.number(low=0, high=_MAX_DEADLINE_S, open_low=True)
        for stage in _STAGES
        if (child := fields.optional(stage)) is not None
    }
    return Deadlines(**given)


def read_slo(node: Node, deadlines: Deadlines, *, has_courier: bool) -> SloSpec:
    """``slo``: window, availability (required), latency, delivery."""
    fields = Fields(node, required=("availability",), optional=("window", "latency", "delivery"))
    window_node = fields.optional("window")
    window_text = window_node.text(expected="a duration such as 30d") if window_node else DEFAULT_WINDOW
    try:
        window = parse_duration(window_text)
    except ValueError:
        assert window_node is not None
        window_node.invalid("a duration such as 30d, 28d or 7d")
    latency, delivery = fields.optional("latency"), fields.optional("delivery")
    if delivery is not None and not has_courier:
        delivery.fail(InvalidValueError, "a delivery objective needs a courier section to verify it")
    return SloSpec(
        window=window,
        window_text=window_text,
        availability=_availability(fields.get("availability")),
        latency=_latency(latency) if latency else None,
        delivery=_delivery(delivery, deadlines) if delivery else None,
    )


def read_cloudwatch_publish(node: Node) -> CloudWatchPublishSpec:
    """``cloudwatch_publish``: namespace (default ``Chainprobe``) and dimension templates (at most 30)."""
    fields = Fields(node, optional=("namespace", "dimensions"))
    namespace_node, dimensions_node = fields.optional("namespace"), fields.optional("dimensions")
    namespace = DEFAULT_NAMESPACE
    if namespace_node is not None:
        namespace = namespace_node.text(pattern=_NAME, expected="a CloudWatch namespace such as Chainprobe")
        if namespace.startswith("AWS/"):
            namespace_node.invalid("a custom namespace (AWS/ is reserved)")
    dimensions: dict[str, str] = {}
    if dimensions_node is not None:
        entries = dimensions_node.mapping(expected="a mapping of dimension name to value template")
        if len(entries) > 30:
            dimensions_node.invalid("at most 30 dimensions")
        dimensions = {
            name: read_template(value, expected="a dimension value template")
            for name, value in entries.items()
        }
    return CloudWatchPublishSpec(namespace=namespace, dimensions=dimensions)


def _availability(node: Node) -> AvailabilityObjective:
    fields = Fields(node, required=("objective",))
    return AvailabilityObjective(objective=_objective(fields.get("objective")))


def _latency(node: Node) -> LatencyObjective:
    fields = Fields(node, required=("threshold_ms",), optional=("percentile",))
    percentile = fields.optional("percentile")
    return LatencyObjective(
        threshold_ms=fields.get("threshold_ms").number(low=0, open_low=True),
        percentile=percentile.number(low=0, high=100, open_low=True) if percentile else 95.0,
    )


def _delivery(node: Node, deadlines: Deadlines) -> DeliveryObjective:
    fields = Fields(node, required=("objective",), optional=("deadline_seconds", "gate"))
    deadline_node, gate = fields.optional("deadline_seconds"), fields.optional("gate")
    deadline = deadlines.courier
    if deadline_node is not None:
        deadline = deadline_node.number(low=0, open_low=True)
        if deadline > deadlines.courier:
            deadline_node.invalid(f"at most deadlines.courier ({deadlines.courier:g}), which bounds the wait")
    return DeliveryObjective(
        objective=_objective(fields.get("objective")),
        deadline_seconds=deadline,
        gate=gate.boolean() if gate else True,
    )


def _objective(node: Node) -> float:
    return node.number(low=0, high=1, open_low=True, open_high=True)
