"""The SLO gate: point estimates, inconclusive small samples, fail-closed on pending, no-SLO strictness."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from report_inputs import order, run, spec

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.measure.sli import compute_sli
from chainprobe.report import (
    build_report,
    evaluate_gate,
    render_junit,
    render_markdown,
    render_terminal,
    sli_for_spec,
)

FULL = spec("spec_full.yaml")
assert FULL.slo is not None
SLO = FULL.slo


def _good(n: int, **fields: Any) -> list[OrderRecord]:
    return [order(i, delivery_verdict=Verdict.GOOD, **fields) for i in range(n)]


def test_met_when_every_objective_is_met() -> None:
    gate = evaluate_gate(sli_for_spec(_good(200), FULL), SLO)
    assert gate.met and gate.reasons == () and gate.window == "30d"
    assert [(o.name, o.met, o.inconclusive) for o in gate.objectives] == [
        ("availability", True, True),  # 200 orders cannot show 99.5%: the 95% CI reaches below it
        ("latency", True, False),
        ("delivery", True, True),
    ]


def test_availability_exactly_at_the_objective_meets_it() -> None:
    orders = [*_good(199), order(199, Verdict.BAD, FailureClass.DB_MISSING, delivery_verdict=Verdict.GOOD)]
    gate = evaluate_gate(sli_for_spec(orders, FULL), SLO)
    availability = gate.objective("availability")
    assert availability is not None and availability.actual == 0.995 and availability.met and gate.met


def test_one_bad_order_in_20_is_a_conclusive_breach() -> None:
    orders = [*_good(19), order(19, Verdict.BAD, FailureClass.HTTP_5XX, delivery_verdict=Verdict.GOOD)]
    gate = evaluate_gate(sli_for_spec(orders, FULL), SLO)
    availability = gate.objective("availability")
    assert availability is not None and not availability.met
    assert not availability.inconclusive  # Wilson 95% CI 76.4-99.1% lies wholly below 99.5%
    assert not gate.met
    assert gate.reasons == ("availability: 95.00% against chain availability >= 99.50%",)


def test_one_bad_order_in_150_is_an_inconclusive_breach() -> None:
    orders = [*_good(149), order(149, Verdict.BAD, FailureClass.HTTP_5XX, delivery_verdict=Verdict.GOOD)]
    gate = evaluate_gate(sli_for_spec(orders, FULL), SLO)
    availability = gate.objective("availability")
    assert availability is not None and not availability.met and availability.inconclusive
    assert not gate.met  # the point estimate decides; the report shows the interval


def test_latency_breach() -> None:
    orders = [
        order(i, delivery_verdict=Verdict.GOOD, api_latency_ms=100.0 if i < 90 else 900.0) for i in range(100)
    ]
    gate = evaluate_gate(sli_for_spec(orders, FULL), SLO)
    latency = gate.objective("latency")
    assert latency is not None and latency.actual == 900.0 and latency.target == 800 and not latency.met
    assert not latency.inconclusive  # 90 of 100 within: the CI stays below 95%
    assert gate.reasons == ("latency: 900 ms against p95 API latency of good orders <= 800 ms",)


def test_pending_orders_fail_closed() -> None:
    orders = [*_good(10), order(10, Verdict.PENDING, delivery_verdict=Verdict.PENDING)]
    gate = evaluate_gate(sli_for_spec(orders, FULL), SLO)
    assert not gate.met
    assert gate.incomplete == (
        "1 of 11 orders still pending a chain verdict",
        "1 orders still pending a delivery verdict",
    )
    assert all(o.met for o in gate.objectives)


def test_nothing_judged_is_not_met() -> None:
    gate = evaluate_gate(sli_for_spec([], FULL), SLO)
    assert not gate.met
    assert gate.reasons[0] == "availability: not measured (chain availability >= 99.50%)"


def test_delivery_with_gate_false_is_reported_but_does_not_gate() -> None:
    assert SLO.delivery is not None
    slo = replace(SLO, delivery=replace(SLO.delivery, gate=False))
    orders = [order(i, delivery_verdict=Verdict.GOOD) for i in range(50)] + [
        order(50 + i, delivery_verdict=Verdict.BAD, delivery_failure=FailureClass.COURIER_FAILED)
        for i in range(5)
    ]
    gate = evaluate_gate(sli_for_spec(orders, FULL), slo)
    delivery = gate.objective("delivery")
    assert delivery is not None and not delivery.met and not delivery.gating
    assert gate.met


def test_without_slo_every_judged_order_must_be_good() -> None:
    good = compute_sli([order(i) for i in range(3)])
    assert evaluate_gate(good, None).met
    bad = compute_sli([order(0), order(1, Verdict.BAD, FailureClass.HTTP_4XX)])
    gate = evaluate_gate(bad, None)
    assert not gate.met and gate.window is None
    assert gate.reasons == ("availability: 50.00% against every order good (no SLO stated)",)


def test_delivery_objective_without_any_delivery_verdict_fails() -> None:
    gate = evaluate_gate(sli_for_spec([order(0)], FULL), SLO)
    delivery = gate.objective("delivery")
    assert delivery is not None and delivery.actual is None and not delivery.met
    assert "delivery: not measured" in gate.reasons[0]


def test_an_objective_with_no_data_is_not_measured_never_breached_nor_met() -> None:
    orders = [order(i, Verdict.BAD, FailureClass.HTTP_5XX) for i in range(3)]  # no delivery judged either
    gate = evaluate_gate(sli_for_spec(orders, FULL), SLO)
    outcomes = {o.name: (o.measured, o.met) for o in gate.objectives}
    assert outcomes == {"availability": (True, False), "latency": (False, False), "delivery": (False, False)}
    assert not gate.met  # a gating objective with no data keeps the gate closed
    assert gate.reasons[1:] == (
        "latency: not measured (p95 API latency of good orders <= 800 ms)",
        "delivery: not measured (delivered within 30 s >= 99.00%)",
    )
    report = build_report(run=run(), orders=orders, spec=FULL)
    objectives = {o["name"]: o for o in report.to_dict()["slo"]["objectives"]}
    assert (objectives["latency"]["measured"], objectives["latency"]["met"]) == (False, None)
    assert (objectives["availability"]["measured"], objectives["availability"]["met"]) == (True, False)
    terminal, markdown = render_terminal(report), render_markdown(report)
    for text in (terminal, markdown):
        latency = next(line for line in text.splitlines() if "latency" in line and "800 ms" in line)
        assert "not measured" in latency and "breached" not in latency, latency
    junit = render_junit(report)
    assert (
        'type="slo_not_measured"' in junit
        and "latency of good orders &lt;= 800 ms: got not measured" in junit
    )


def test_a_run_that_ended_before_it_completed_never_passes() -> None:
    """Every order good, but the run was stopped: the gate fails closed on the end reason alone."""
    gate = evaluate_gate(sli_for_spec(_good(200), FULL), SLO, end_reason="interrupted (SIGINT)")
    assert all(o.met for o in gate.objectives)
    assert not gate.met
    assert gate.incomplete == gate.reasons == ("incomplete: interrupted (SIGINT)",)


def test_a_latency_sample_straddling_the_percentile_is_inconclusive() -> None:
    """19 of 20 within 800 ms: p95 (rank 19) is 100 ms, met; the Wilson CI of 19/20 holds 0.95."""
    orders = [
        order(i, delivery_verdict=Verdict.GOOD, api_latency_ms=100.0 if i < 19 else 900.0) for i in range(20)
    ]
    latency = evaluate_gate(sli_for_spec(orders, FULL), SLO).objective("latency")
    assert latency is not None and latency.actual == 100.0
    assert (latency.met, latency.inconclusive) == (True, True)


def test_an_unmeasured_delivery_objective_with_gate_false_does_not_gate() -> None:
    assert SLO.delivery is not None
    slo = replace(SLO, delivery=replace(SLO.delivery, gate=False))
    gate = evaluate_gate(sli_for_spec([order(0)], FULL), slo)  # no delivery judged
    delivery = gate.objective("delivery")
    assert delivery is not None and delivery.actual is None and not delivery.met and not delivery.gating
    assert gate.met and gate.reasons == ()
