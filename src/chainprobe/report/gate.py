"""The SLO gate: does this run meet the spec's objectives? (The CLI exits 0 when it does, 1 when not.)

Rules, in order:

- Each objective is judged on the point estimate: chain availability >= objective; the latency
  percentile (nearest rank, over good orders) <= threshold; delivery availability >= its objective.
- A small sample is judged the same way, but the result is marked ``inconclusive`` when the 95% Wilson
  interval straddles the objective, and the writers show the interval: the gate stays reproducible
  while the report says how much (or little) the verdict is worth.
- The gate fails closed: any order still pending a verdict, or no order judged at all, fails it; so
  does a run that ended before it completed (``end_reason``: ``incomplete: <reason>``), whatever the
  orders it sent say.
- An objective with no data (latency with no good order, delivery with no delivery judged) is
  *not measured*, never "met" nor "breached"; a gating one fails the gate closed, with the reason
  "not measured" (a run with no good order has already breached availability).
- Without an ``slo`` section there is no budget to spend: every judged order must be good.
- A delivery objective with ``gate: false`` is reported and never fails the gate.
"""

from __future__ import annotations

from dataclasses import replace

from chainprobe.measure.sli import AvailabilitySli, LatencySli, SliResult
from chainprobe.report.formatting import ms, percent
from chainprobe.report.model import ObjectiveResult, SloGate
from chainprobe.spec.model import DeliveryObjective, LatencyObjective, SloSpec

__all__ = ["evaluate_gate"]


def evaluate_gate(sli: SliResult, slo: SloSpec | None, *, end_reason: str | None = None) -> SloGate:
    """Judge ``sli`` against ``slo`` (``None``: every judged order must be good); ``end_reason`` is why
    the run ended before it completed (``None``: it did not)."""
    objectives = _objectives(sli, slo)
    incomplete = ([f"incomplete: {end_reason}"] if end_reason is not None else []) + _completeness(sli, slo)
    reasons = [_reason(item) for item in objectives if item.gating and not item.met] + incomplete
    return SloGate(
        met=not reasons,
        window=slo.window_text if slo else None,
        objectives=tuple(objectives),
        reasons=tuple(reasons),
        incomplete=tuple(incomplete),
    )


def _objectives(sli: SliResult, slo: SloSpec | None) -> list[ObjectiveResult]:
    if slo is None:
        return [_availability(sli.chain, 1.0, "availability", "every order good (no SLO stated)")]
    objective = slo.availability.objective
    results = [
        _availability(sli.chain, objective, "availability", f"chain availability >= {percent(objective)}")
    ]
    if slo.latency is not None:
        results.append(_latency(sli.latency, slo.latency))
    if slo.delivery is not None:
        results.append(_delivery(sli.delivery, slo.delivery))
    return results


def _availability(sli: AvailabilitySli, target: float, name: str, description: str) -> ObjectiveResult:
    actual = sli.availability
    return ObjectiveResult(
        name=name,
        description=description,
        target=target,
        actual=actual,
        met=actual is not None and actual >= target,
        inconclusive=sli.interval is not None and target < 1.0 and sli.interval.contains(target),
    )


def _latency(sli: LatencySli, objective: LatencyObjective) -> ObjectiveResult:
    actual = sli.at_percentile
    share = objective.percentile / 100.0
    return ObjectiveResult(
        name="latency",
        description=f"p{objective.percentile:g} API latency of good orders <= {ms(objective.threshold_ms)}",
        target=objective.threshold_ms,
        actual=actual,
        met=actual is not None and actual <= objective.threshold_ms,
        inconclusive=sli.within_interval is not None and share < 1.0 and sli.within_interval.contains(share),
    )


def _delivery(sli: AvailabilitySli | None, objective: DeliveryObjective) -> ObjectiveResult:
    description = f"delivered within {objective.deadline_seconds:g} s >= {percent(objective.objective)}"
    if sli is None:
        return ObjectiveResult(
            name="delivery",
            description=description,
            target=objective.objective,
            actual=None,
            met=False,
            inconclusive=False,
            gating=objective.gate,
        )
    result = _availability(sli, objective.objective, "delivery", description)
    return replace(result, gating=objective.gate)


def _reason(item: ObjectiveResult) -> str:
    if item.actual is None:
        return f"{item.name}: not measured ({item.description})"
    if item.name == "latency":
        return f"latency: {ms(item.actual)} against {item.description}"
    return f"{item.name}: {percent(item.actual)} against {item.description}"


def _completeness(sli: SliResult, slo: SloSpec | None) -> list[str]:
    reasons = []
    if sli.chain.pending:
        reasons.append(f"{sli.chain.pending} of {sli.sent} orders still pending a chain verdict")
    delivery_gates = slo is not None and slo.delivery is not None and slo.delivery.gate
    if delivery_gates and sli.delivery is not None and sli.delivery.pending:
        reasons.append(f"{sli.delivery.pending} orders still pending a delivery verdict")
    return reasons
