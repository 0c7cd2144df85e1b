"""The gate's boundaries: a latency percentile exactly at the threshold meets the objective, one just above
breaches it; a delivery objective with ``gate: false`` neither fails the gate when its deliveries are
pending nor when they failed (a gating one does both)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.measure.sli import compute_sli
from chainprobe.report import evaluate_gate
from chainprobe.spec import parse_spec
from chainprobe.spec.model import SloSpec

SPEC_TEXT = """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
courier: {admin_url: "${courier_url}", url_path: /deliveries, order_id_json_path: $.orderId}
slo:
  availability: {objective: 0.9}
  latency: {threshold_ms: 800, percentile: 95}
  delivery: {objective: 0.9, gate: GATE}
"""


def slo(*, gate: bool = True) -> SloSpec:
    spec = parse_spec(SPEC_TEXT.replace("GATE", "true" if gate else "false"), source="shop.yaml")
    assert spec.slo is not None
    return spec.slo


def good(seq: int, latency_ms: float = 100.0, delivery: Verdict = Verdict.GOOD) -> OrderRecord:
    return OrderRecord(
        run_id="r",
        seq=seq,
        order_id=f"o-{seq}",
        planned_at=100.0,
        sent_at=100.0,
        api_status=201,
        api_latency_ms=latency_ms,
        chain_verdict=Verdict.GOOD,
        delivery_verdict=delivery,
        delivery_failure=FailureClass.COURIER_FAILED if delivery is Verdict.BAD else None,
    )


@pytest.mark.parametrize(("slowest", "met"), [(800.0, True), (800.001, False)], ids=["at", "just-above"])
def test_latency_exactly_at_the_threshold_meets_it(slowest: float, met: bool) -> None:
    orders = [good(i) for i in range(18)] + [good(18, slowest), good(19, slowest)]  # p95 of 20: the 19th
    gate = evaluate_gate(compute_sli(orders, latency_threshold_ms=800.0), slo())
    latency = gate.objective("latency")
    assert latency is not None and latency.actual == slowest
    assert (latency.met, gate.met) == (met, met)


@pytest.mark.parametrize(
    ("delivery", "gate", "met"),
    [
        (Verdict.PENDING, False, True),
        (Verdict.BAD, False, True),
        (Verdict.PENDING, True, False),
        (Verdict.BAD, True, False),
    ],
)
def test_a_delivery_objective_gates_only_when_it_says_so(delivery: Verdict, gate: bool, met: bool) -> None:
    orders = [good(i, delivery=delivery) for i in range(10)]
    result = evaluate_gate(compute_sli(orders, latency_threshold_ms=800.0), slo(gate=gate))
    assert result.met is met


def test_a_perfect_run_without_slo_is_conclusive() -> None:
    """Without an SLO every order must be good: the target is 1.0, which no interval can straddle."""
    gate = evaluate_gate(compute_sli([good(i) for i in range(5)]), None)
    (availability,) = gate.objectives
    assert (availability.met, availability.inconclusive) == (True, False)


def test_a_p100_latency_objective_is_conclusive() -> None:
    spec = parse_spec(
        SPEC_TEXT.replace("percentile: 95", "percentile: 100").replace("GATE", "true"), source="shop.yaml"
    )
    assert spec.slo is not None
    gate = evaluate_gate(compute_sli([good(i) for i in range(5)], latency_threshold_ms=800.0), spec.slo)
    latency = gate.objective("latency")
    assert latency is not None and (latency.met, latency.inconclusive) == (True, False)


def test_a_delivery_objective_with_nothing_delivered_says_so() -> None:
    orders = [replace(good(i), delivery_verdict=None) for i in range(3)]
    gate = evaluate_gate(compute_sli(orders, latency_threshold_ms=800.0), slo())
    delivery = gate.objective("delivery")
    assert delivery is not None
    assert (delivery.actual, delivery.measured) == (None, False)
    assert delivery.description == "delivered within 30 s >= 90.00%"
    assert "delivery: not measured (delivered within 30 s >= 90.00%)" in gate.reasons
