"""The black-box SLI: what the orders themselves say, computed from the ledger's records.

- Chain availability = good / (good + bad); pending orders are excluded and counted apart, and so are
  orders judged ``not_sent`` (planned, never sent): they are in no SLI, latency or lag.
- Delivery availability, the same over the orders whose delivery is verified.
- Latency: percentiles of the API latency of GOOD orders, and the fraction within a threshold.
- Per-stage lag: milliseconds from ``sent`` to each stage's observation, over every order observed there.
  What a stage's time is differs (``STAGE_LAGS``): the API answer's arrival, the event's arrival in the
  capture queue (SQS ``SentTimestamp``), the courier call as its journal logged it — the chain's own
  times — but for DynamoDB the moment a verifier pass first read the item (an item carries no write
  time): an upper bound on the write, as late as the verifier looked (a run verified late shows it).
- A Wilson score interval for each availability (95% by default), honest when the sample is small.

Percentiles use the nearest-rank method: the value at rank ``ceil(q/100 * n)`` of the sorted sample,
always an observed value. With it "p95 <= 800 ms" holds exactly when at least 95% of the values are
<= 800 ms, so the percentile gate and the fraction-within-threshold never disagree.

Example::

    >>> nearest_rank([120.0, 80.0, 300.0, 95.0], 50)
    95.0
    >>> round(wilson_interval(9, 10).low, 4)
    0.5958

    result = compute_sli(ledger.orders(run_id), latency_threshold_ms=800, latency_percentile=95)
    result.chain.availability, result.chain.interval, result.latency.p95, result.latency.within_threshold
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from statistics import NormalDist

from chainprobe.ledger.model import FailureClass, OrderRecord, Stage, Verdict

__all__ = [
    "STAGE_LAGS",
    "AvailabilitySli",
    "Distribution",
    "Interval",
    "LagMeaning",
    "LatencySli",
    "SliResult",
    "compute_sli",
    "lag_sample",
    "latency_sample",
    "nearest_rank",
    "wilson_interval",
]

LAG_STAGES = (Stage.API, Stage.DYNAMODB, Stage.EVENT, Stage.COURIER)


@dataclass(frozen=True, kw_only=True)
class LagMeaning:
    """What one stage's lag measures: ``measures`` names its end (``"answered at"``), ``source`` where
    that time comes from; ``upper_bound`` when it is the verifier's look, not the chain's own time."""

    measures: str
    source: str
    upper_bound: bool = False


STAGE_LAGS: dict[Stage, LagMeaning] = {
    Stage.API: LagMeaning(measures="answered at", source="the API's answer reaching the harness"),
    Stage.DYNAMODB: LagMeaning(
        measures="seen by the verifier at",
        source="the first verifier pass that read the item (it carries no write time): an upper bound "
        "on when the chain wrote it, as late as the verifier looked",
        upper_bound=True,
    ),
    Stage.EVENT: LagMeaning(
        measures="delivered at", source="the event reaching the capture queue (SQS SentTimestamp)"
    ),
    Stage.COURIER: LagMeaning(
        measures="called at", source="the courier stub logging the delivery call (its request journal)"
    ),
}


@dataclass(frozen=True)
class Interval:
    """A confidence interval ``[low, high]`` at ``confidence`` (e.g. 0.95)."""

    low: float
    high: float
    confidence: float

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the interval."""
        return self.low <= value <= self.high


@dataclass(frozen=True, kw_only=True)
class Distribution:
    """Nearest-rank percentiles of a sample (``None`` when it is empty)."""

    count: int
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        """The distribution of ``values``."""
        if not values:
            return cls(count=0)
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            p50=_rank(ordered, 50),
            p95=_rank(ordered, 95),
            p99=_rank(ordered, 99),
            max=ordered[-1],
        )


@dataclass(frozen=True, kw_only=True)
class AvailabilitySli:
    """Good, bad and pending orders for one SLO, the availability and its confidence interval."""

    good: int
    bad: int
    pending: int
    availability: float | None
    interval: Interval | None
    by_class: dict[FailureClass, int] = field(default_factory=dict)

    @property
    def verdicted(self) -> int:
        """Orders with a final verdict (good + bad)."""
        return self.good + self.bad

    @property
    def error_rate(self) -> float | None:
        """``1 - availability``."""
        return None if self.availability is None else 1.0 - self.availability


@dataclass(frozen=True, kw_only=True)
class LatencySli:
    """API latency (ms) of good orders: percentiles, the objective's one, the fraction within threshold.

    ``within_interval`` is the Wilson interval of that fraction.
    """

    distribution: Distribution
    percentile: float
    at_percentile: float | None
    threshold_ms: float | None
    within_threshold: float | None
    within_interval: Interval | None = None

    @property
    def p50(self) -> float | None:
        """Median latency (ms)."""
        return self.distribution.p50

    @property
    def p95(self) -> float | None:
        """95th percentile latency (ms)."""
        return self.distribution.p95

    @property
    def p99(self) -> float | None:
        """99th percentile latency (ms)."""
        return self.distribution.p99


@dataclass(frozen=True, kw_only=True)
class SliResult:
    """The black-box SLI of a set of orders.

    ``orders`` counts every recorded order, ``not_sent`` those judged never sent, ``sent`` the others;
    ``maybe_sent`` those planned without an API outcome (and not judged never sent); ``delivery`` is
    ``None`` when no order's delivery is verified; ``stage_lags`` is in milliseconds.
    """

    orders: int
    not_sent: int
    maybe_sent: int
    chain: AvailabilitySli
    delivery: AvailabilitySli | None
    latency: LatencySli
    stage_lags: dict[Stage, Distribution]

    @property
    def sent(self) -> int:
        """Orders that were sent (or may have been): every recorded order but the ``not_sent`` ones."""
        return self.orders - self.not_sent


def compute_sli(
    orders: Iterable[OrderRecord],
    *,
    latency_threshold_ms: float | None = None,
    latency_percentile: float = 95.0,
    confidence: float = 0.95,
) -> SliResult:
    """The SLI of ``orders`` (typically ``Ledger.orders(run_id)``)."""
    records = list(orders)
    sent = [order for order in records if order.chain_verdict is not Verdict.NOT_SENT]
    delivered = [order for order in sent if order.delivery_verdict is not None]
    return SliResult(
        orders=len(records),
        not_sent=len(records) - len(sent),
        maybe_sent=sum(1 for order in sent if order.maybe_sent),
        chain=_availability([(o.chain_verdict, o.chain_failure) for o in sent], confidence),
        delivery=_availability([(o.delivery_verdict, o.delivery_failure) for o in delivered], confidence)
        if delivered
        else None,
        latency=_latency(sent, latency_threshold_ms, latency_percentile, confidence),
        stage_lags={stage: Distribution.of(lag_sample(sent, stage)) for stage in LAG_STAGES},
    )


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 < q <= 100) by nearest rank; raises ``ValueError`` on an empty sample."""
    if not values:
        raise ValueError("no values")
    if not 0 < q <= 100:
        raise ValueError(f"expected a percentile in (0, 100], got {q}")
    return _rank(sorted(values), q)


def wilson_interval(good: int, total: int, confidence: float = 0.95) -> Interval | None:
    """The Wilson score interval of the proportion ``good / total`` (``None`` when ``total`` is 0)."""
    if total <= 0:
        return None
    if not 0 <= good <= total:
        raise ValueError(f"expected 0 <= good <= total, got {good} of {total}")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p, z2 = good / total, z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    # The ends are exact: rounding must not lift 0 of n above 0 (the interval would not contain 0).
    low = 0.0 if good == 0 else max(0.0, centre - half)
    high = 1.0 if good == total else min(1.0, centre + half)
    return Interval(low=low, high=high, confidence=confidence)


def _rank(ordered: Sequence[float], q: float) -> float:
    rank = math.ceil(Fraction(str(q)) * len(ordered) / 100)
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def _availability(
    verdicts: list[tuple[Verdict | None, FailureClass | None]], confidence: float
) -> AvailabilitySli:
    good = sum(1 for verdict, _ in verdicts if verdict is Verdict.GOOD)
    bad = sum(1 for verdict, _ in verdicts if verdict is Verdict.BAD)
    classes = Counter(failure for verdict, failure in verdicts if verdict is Verdict.BAD and failure)
    return AvailabilitySli(
        good=good,
        bad=bad,
        pending=sum(1 for verdict, _ in verdicts if verdict is Verdict.PENDING),
        availability=good / (good + bad) if good + bad else None,
        interval=wilson_interval(good, good + bad, confidence),
        by_class=dict(sorted(classes.items(), key=lambda item: (-item[1], item[0].value))),
    )


def _latency(
    records: list[OrderRecord], threshold_ms: float | None, percentile: float, confidence: float
) -> LatencySli:
    values = latency_sample(records)
    within, interval = None, None
    if threshold_ms is not None and values:
        count = sum(1 for value in values if value <= threshold_ms)
        within, interval = count / len(values), wilson_interval(count, len(values), confidence)
    return LatencySli(
        distribution=Distribution.of(values),
        percentile=percentile,
        at_percentile=nearest_rank(values, percentile) if values else None,
        threshold_ms=threshold_ms,
        within_threshold=within,
        within_interval=interval,
    )


def latency_sample(records: Iterable[OrderRecord]) -> list[float]:
    """The API latencies (ms) the latency SLI is computed from: the good orders', in the records' order."""
    return [
        order.api_latency_ms
        for order in records
        if order.chain_verdict is Verdict.GOOD and order.api_latency_ms is not None
    ]


def lag_sample(records: Iterable[OrderRecord], stage: Stage) -> list[float]:
    """The lags (ms, ``sent`` to ``stage``) of the orders observed at ``stage``, in the records' order."""
    lags = []
    for order in records:
        at = order.observed_at(stage)
        if order.sent_at is not None and at is not None:
            lags.append((at - order.sent_at) * 1000.0)
    return lags
