"""The black-box SLI, checked against numbers computed by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from chainprobe.ledger import FailureClass, OrderRecord, Stage, Verdict
from chainprobe.measure.sli import Distribution, compute_sli, nearest_rank, wilson_interval


def _order(
    seq: int, verdict: Verdict = Verdict.GOOD, failure: FailureClass | None = None, **fields: Any
) -> OrderRecord:
    values: dict[str, Any] = {"sent_at": 100.0 + seq, "api_latency_ms": 100.0}
    values.update(fields)
    return OrderRecord(
        run_id="r",
        seq=seq,
        order_id=f"o-{seq}",
        planned_at=100.0 + seq,
        chain_verdict=verdict,
        chain_failure=failure,
        **values,
    )


# -- percentiles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5),  # rank ceil(5.0) = 5
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95, 10),  # rank ceil(9.5) = 10
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),  # rank ceil(9.0) = 9, no float drift
        ([400, 100, 300, 200], 50, 200),  # rank ceil(2.0) = 2 of the sorted sample
        ([400, 100, 300, 200], 95, 400),  # rank ceil(3.8) = 4
        ([400, 100, 300, 200], 25, 100),  # rank ceil(1.0) = 1
        ([42], 99, 42),
        (list(range(1, 101)), 7, 7),  # 0.07 * 100 is 7.000000000000001 in floats; the rank stays 7
        (list(range(1, 21)), 95, 19),  # rank ceil(19.0) = 19
        ([5, 1], 100, 5),
    ],
)
def test_nearest_rank_by_hand(values: list[float], q: float, expected: float) -> None:
    assert nearest_rank(values, q) == expected


def test_nearest_rank_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="no values"):
        nearest_rank([], 50)
    with pytest.raises(ValueError, match="percentile"):
        nearest_rank([1.0], 0)


def test_distribution() -> None:
    dist = Distribution.of([float(v) for v in range(1, 201)])
    assert (dist.count, dist.p50, dist.p95, dist.p99, dist.max) == (200, 100.0, 190.0, 198.0, 200.0)
    assert Distribution.of([]) == Distribution(count=0)


def test_percentile_gate_and_fraction_within_agree() -> None:
    # With nearest rank, p95 <= T exactly when at least 95% of the values are <= T.
    values = [100.0] * 19 + [900.0]
    assert nearest_rank(values, 95) == 100.0  # 19/20 = 95% within 800
    values = [100.0] * 18 + [900.0] * 2
    assert nearest_rank(values, 95) == 900.0  # 18/20 = 90% within 800


# -- Wilson interval ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("good", "total", "low", "high"),
    [
        (9, 10, 0.5958, 0.9821),  # by hand: centre 0.78898, half-width 0.19314
        (10, 10, 0.7225, 1.0),
        (0, 10, 0.0, 0.2775),
        (20, 20, 0.8389, 1.0),
        (995, 1000, 0.98835, 0.99787),  # by hand: centre 0.99311, half-width 0.00476
    ],
)
def test_wilson_interval_by_hand(good: int, total: int, low: float, high: float) -> None:
    interval = wilson_interval(good, total)
    assert interval is not None
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)
    assert interval.confidence == 0.95


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) is None
    for good, total in ((3, 2), (-1, 2)):  # refused by name, not by a square root that happens to fail
        with pytest.raises(ValueError, match="expected 0 <= good <= total"):
            wilson_interval(good, total)
    narrow, wide = wilson_interval(9, 10, 0.80), wilson_interval(9, 10, 0.99)
    assert narrow is not None and wide is not None
    assert wide.low < narrow.low and wide.high > narrow.high
    assert narrow.contains(0.9) and not narrow.contains(0.5)


# -- compute_sli ----------------------------------------------------------------------------------


def test_chain_availability_excludes_pending_and_counts_classes() -> None:
    orders = [_order(i) for i in range(6)] + [
        _order(6, Verdict.BAD, FailureClass.HTTP_5XX, api_status=502),
        _order(7, Verdict.BAD, FailureClass.EVENT_MISSING),
        _order(8, Verdict.BAD, FailureClass.EVENT_MISSING),
        _order(9, Verdict.PENDING, sent_at=None, api_latency_ms=None),
    ]
    sli = compute_sli(orders)
    assert (sli.orders, sli.chain.good, sli.chain.bad, sli.chain.pending) == (10, 6, 3, 1)
    assert sli.chain.availability == pytest.approx(6 / 9)
    assert sli.chain.error_rate == pytest.approx(3 / 9)
    assert list(sli.chain.by_class.items()) == [(FailureClass.EVENT_MISSING, 2), (FailureClass.HTTP_5XX, 1)]
    assert sli.chain.interval is not None and sli.chain.interval.contains(6 / 9)
    assert sli.maybe_sent == 9  # only the 502 has an API outcome recorded
    assert sli.delivery is None


def test_orders_never_sent_are_in_no_sli_denominator() -> None:
    orders = [
        _order(0, api_status=201, api_at=100.1, delivery_verdict=Verdict.GOOD, courier_at=104.0),
        _order(1, Verdict.BAD, FailureClass.API_TIMEOUT),
        _order(2, Verdict.NOT_SENT, sent_at=None, api_latency_ms=None),
        _order(3, Verdict.NOT_SENT, sent_at=None, api_latency_ms=None),
    ]
    sli = compute_sli(orders, latency_threshold_ms=800.0)
    assert (sli.orders, sli.sent, sli.not_sent) == (4, 2, 2)
    assert (sli.chain.good, sli.chain.bad, sli.chain.pending) == (1, 1, 0)
    assert sli.chain.availability == 0.5
    assert sli.delivery is not None and (sli.delivery.good, sli.delivery.bad) == (1, 0)
    assert sli.latency.distribution.count == 1 and sli.stage_lags[Stage.API].count == 1
    assert sli.maybe_sent == 1  # the api_timeout; the two never sent are known not to have been sent


def test_no_verdicts_means_no_availability() -> None:
    sli = compute_sli([_order(0, Verdict.PENDING)])
    assert sli.chain.availability is None and sli.chain.interval is None and sli.chain.pending == 1
    empty = compute_sli([])
    assert empty.orders == 0 and empty.latency.p95 is None and empty.stage_lags[Stage.API].count == 0


def test_delivery_slo_counts_only_orders_whose_delivery_is_verified() -> None:
    orders = [
        _order(0, delivery_verdict=Verdict.GOOD),
        _order(1, delivery_verdict=Verdict.GOOD),
        _order(2, delivery_verdict=Verdict.BAD, delivery_failure=FailureClass.COURIER_FAILED),
        _order(3, delivery_verdict=Verdict.PENDING),
        _order(4),
    ]
    sli = compute_sli(orders)
    assert sli.delivery is not None
    assert (sli.delivery.good, sli.delivery.bad, sli.delivery.pending) == (2, 1, 1)
    assert sli.delivery.availability == pytest.approx(2 / 3)
    assert sli.delivery.by_class == {FailureClass.COURIER_FAILED: 1}


def test_latency_uses_good_orders_only() -> None:
    latencies = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0]
    orders = [_order(i, api_latency_ms=v) for i, v in enumerate(latencies)]
    orders.append(_order(10, Verdict.BAD, FailureClass.API_TIMEOUT, api_latency_ms=10_000.0))
    sli = compute_sli(orders, latency_threshold_ms=800.0, latency_percentile=90)
    latency = sli.latency
    assert (latency.p50, latency.p95, latency.p99) == (500.0, 1000.0, 1000.0)
    assert latency.distribution.count == 10 and latency.distribution.max == 1000.0
    assert latency.percentile == 90 and latency.at_percentile == 900.0
    assert latency.threshold_ms == 800.0 and latency.within_threshold == pytest.approx(0.8)
    assert latency.within_interval == wilson_interval(8, 10)


def test_latency_without_threshold() -> None:
    sli = compute_sli([_order(0, api_latency_ms=120.0)])
    assert sli.latency.within_threshold is None and sli.latency.at_percentile == 120.0


def test_stage_lags_in_milliseconds_from_send() -> None:
    orders = [
        _order(0, sent_at=10.0, api_at=10.2, dynamodb_at=10.5, event_at=11.0, courier_at=14.0),
        _order(1, sent_at=20.0, api_at=20.4, dynamodb_at=20.7, event_at=None, courier_at=None),
        _order(2, sent_at=None, api_at=None, dynamodb_at=30.0),  # never sent: no lag
    ]
    lags = compute_sli(orders).stage_lags
    assert list(lags) == [Stage.API, Stage.DYNAMODB, Stage.EVENT, Stage.COURIER]
    assert lags[Stage.API].count == 2 and lags[Stage.API].p50 == pytest.approx(200.0)
    assert lags[Stage.API].max == pytest.approx(400.0)
    assert lags[Stage.DYNAMODB].p95 == pytest.approx(700.0)
    assert lags[Stage.EVENT].count == 1 and lags[Stage.EVENT].p50 == pytest.approx(1000.0)
    assert lags[Stage.COURIER].p99 == pytest.approx(4000.0)


def test_availability_at_the_objective_boundary_is_exact() -> None:
    orders = [_order(i) for i in range(199)] + [_order(199, Verdict.BAD, FailureClass.DB_MISMATCH)]
    availability = compute_sli(orders).chain.availability
    assert availability == 0.995 and math.isclose(availability or 0, 199 / 200)


def test_every_order_bad_is_an_availability_of_zero_not_unmeasured() -> None:
    sli = compute_sli([_order(i, Verdict.BAD, FailureClass.HTTP_5XX) for i in range(4)])
    assert (sli.chain.good, sli.chain.bad, sli.chain.availability, sli.chain.error_rate) == (0, 4, 0.0, 1.0)
    assert sli.chain.interval is not None and sli.chain.interval.low == 0.0


def test_the_confidence_asked_for_is_the_intervals() -> None:
    orders = [_order(i) for i in range(9)] + [_order(9, Verdict.BAD, FailureClass.DB_MISSING)]
    sli = compute_sli(orders, latency_threshold_ms=800.0, confidence=0.80)
    assert sli.chain.interval == wilson_interval(9, 10, 0.80)
    assert sli.latency.within_interval == wilson_interval(9, 9, 0.80)


def test_a_threshold_of_zero_is_a_threshold() -> None:
    """0 ms is a threshold no good order meets, not "no threshold"."""
    sli = compute_sli([_order(i) for i in range(3)], latency_threshold_ms=0.0)
    assert sli.latency.within_threshold == 0.0
