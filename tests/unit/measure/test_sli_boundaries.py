"""The SLI's boundaries: a latency exactly at the threshold is within it, one just above is not; the
Wilson interval's ends are exact (0 of n starts at 0, n of n ends at 1) and a middle case is checked
against a hand computation.

By hand, with z = 1.959964 (95%), z² = 3.841459:
- 0 of n: [0, z² / (n + z²)]; n = 10: [0, 0.277533]
- n of n: [n / (n + z²), 1]; n = 10: [0.722467, 1]
- 5 of 10: centre (0.5 + z²/20) / (1 + z²/10) = 0.5 exactly;
  half-width z / (1 + z²/10) * sqrt(0.25/10 + z²/400) = 1.416005 * 0.186020 = 0.263407: [0.236593, 0.763407]
"""

from __future__ import annotations

import pytest

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.measure.sli import compute_sli, wilson_interval


def good(seq: int, latency_ms: float) -> OrderRecord:
    return OrderRecord(
        run_id="r",
        seq=seq,
        order_id=f"o-{seq}",
        planned_at=100.0,
        sent_at=100.0,
        api_status=201,
        api_latency_ms=latency_ms,
        chain_verdict=Verdict.GOOD,
    )


@pytest.mark.parametrize(
    ("latency_ms", "within"),
    [(800.0, 1.0), (800.001, 0.0), (799.999, 1.0)],
    ids=["at-threshold", "just-above", "just-below"],
)
def test_a_latency_at_the_threshold_is_within_it(latency_ms: float, within: float) -> None:
    latency = compute_sli([good(0, latency_ms)], latency_threshold_ms=800.0).latency
    assert latency.within_threshold == within


def test_the_fraction_within_counts_the_ones_at_the_threshold() -> None:
    values = [100.0, 800.0, 800.0, 800.001, 5000.0]
    latency = compute_sli([good(i, v) for i, v in enumerate(values)], latency_threshold_ms=800.0).latency
    assert latency.within_threshold == pytest.approx(3 / 5)


@pytest.mark.parametrize("n", [1, 2, 3, 9, 10, 13, 20, 1000])
def test_none_of_n_starts_at_zero(n: int) -> None:
    interval = wilson_interval(0, n)
    assert interval is not None and interval.low == 0.0
    z2 = 3.841458820694124
    assert interval.high == pytest.approx(z2 / (n + z2), abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 9, 10, 13, 20, 1000])
def test_all_of_n_ends_at_one(n: int) -> None:
    interval = wilson_interval(n, n)
    assert interval is not None and interval.high == 1.0
    z2 = 3.841458820694124
    assert interval.low == pytest.approx(n / (n + z2), abs=1e-12)


@pytest.mark.parametrize(
    ("good_count", "total", "low", "high"),
    [(0, 10, 0.0, 0.277533), (10, 10, 0.722467, 1.0), (5, 10, 0.236593, 0.763407)],
)
def test_the_wilson_interval_by_hand(good_count: int, total: int, low: float, high: float) -> None:
    interval = wilson_interval(good_count, total)
    assert interval is not None
    assert (interval.low, interval.high) == (pytest.approx(low, abs=1e-6), pytest.approx(high, abs=1e-6))
    assert interval.contains(good_count / total)


def test_verdicted_orders_are_the_good_and_the_bad_not_the_pending() -> None:
    orders = [good(0, 100.0), good(1, 100.0)]
    orders.append(
        OrderRecord(run_id="r", seq=2, order_id="o-2", planned_at=100.0, chain_verdict=Verdict.PENDING)
    )
    orders.append(
        OrderRecord(
            run_id="r",
            seq=3,
            order_id="o-3",
            planned_at=100.0,
            sent_at=100.0,
            api_status=500,
            chain_verdict=Verdict.BAD,
            chain_failure=FailureClass.HTTP_5XX,
        )
    )
    chain = compute_sli(orders).chain
    assert (chain.good, chain.bad, chain.pending, chain.verdicted) == (2, 1, 1, 3)
