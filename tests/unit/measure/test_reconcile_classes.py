"""Every row of the reconciliation class table, with the expected values written out by hand.

Two tables. The first is the class table itself (which metrics each class always moves, which it may
move, what the metric math makes of it when the expression reads none): changing any row fails it.
The second is what ``reconcile`` makes of each class's orders against given window counts: how many
failures it attributes to the class, whether the table explains them, the reason, what is left over.

The roles are the design's formula: ``1 - (apiFailures + lambdaFailures + eventFailures) / requests``
(AWS/ApiGateway 5XXError, AWS/Lambda Errors, AWS/Events FailedInvocations over AWS/ApiGateway Count).
Each case is ten orders answered, two (or, where said, four) of them bad.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.measure.reconcile import CLASS_EFFECTS, expectation, reconcile
from chainprobe.measure.sli import compute_sli
from chainprobe.measure.window_sli import MetricRef, Roles, RunWindow, WindowReading

FC = FailureClass
API_5XX = ("AWS/ApiGateway", "5XXError")
ERRORS = ("AWS/Lambda", "Errors")
INVISIBLE = "invisible to the expression"
DENOMINATOR = "in the denominator only"
MAYBE_NOT = "maybe not even in the denominator"

# failure class -> (always counted by, maybe counted by, what the metric math makes of it otherwise)
TABLE: dict[FailureClass, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], str]] = {
    FC.HTTP_5XX: ((API_5XX,), (ERRORS,), INVISIBLE),
    FC.HTTP_4XX: ((), (), DENOMINATOR),
    FC.HTTP_2XX_ERROR_BODY: ((), (), INVISIBLE),
    FC.API_TIMEOUT: ((), (API_5XX, ERRORS), MAYBE_NOT),
    FC.CONNECTION_ERROR: ((), (), MAYBE_NOT),
    FC.DB_MISSING: ((), (), INVISIBLE),
    FC.DB_MISMATCH: ((), (), INVISIBLE),
    FC.EVENT_MISSING: ((), (), INVISIBLE),
    FC.EVENT_DUPLICATE: ((), (), INVISIBLE),
}


def refs(metrics: tuple[MetricRef, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((metric.namespace, metric.name) for metric in metrics)


def test_the_table_has_a_row_for_every_chain_class_and_no_other() -> None:
    assert set(CLASS_EFFECTS) == set(TABLE)
    assert {failure for failure in FailureClass if not failure.is_delivery} == set(TABLE)


@pytest.mark.parametrize("failure", list(TABLE), ids=str)
def test_each_row_of_the_class_table(failure: FailureClass) -> None:
    counts, may_count, blind = TABLE[failure]
    effect = CLASS_EFFECTS[failure]
    assert (refs(effect.counts), refs(effect.may_count), effect.blind) == (counts, may_count, blind)
    assert effect.why  # every row says why, in a clause


# -- what reconcile makes of each class ------------------------------------------------------------

ROLES = Roles(
    metrics={
        "requests": MetricRef("AWS/ApiGateway", "Count"),
        "apiFailures": MetricRef(*API_5XX),
        "lambdaFailures": MetricRef(*ERRORS),
        "eventFailures": MetricRef("AWS/Events", "FailedInvocations"),
    },
    failures=("apiFailures", "lambdaFailures", "eventFailures"),
    requests=("requests",),
)
WINDOW = RunWindow(
    start=datetime(2026, 1, 1, 12, 0, tzinfo=UTC), end=datetime(2026, 1, 1, 12, 3, tzinfo=UTC), period=60
)
API = "apiFailures (AWS/ApiGateway 5XXError)"
LAMBDA = "lambdaFailures (AWS/Lambda Errors)"
TWICE = "; the formula adds them, so one order counts more than once"


@dataclass(frozen=True)
class Case:
    name: str
    bad: dict[FailureClass, int]  # the black box's bad orders by class (of ten)
    sums: dict[str, float]  # the window's failure counters
    attributed: dict[FailureClass, int]  # failures the metric math counted for each class
    explained: dict[FailureClass, bool]
    reason: dict[FailureClass, str]  # each class's reason (the start of it, for a blind class)
    left: int  # failures counted that no class explains


CASES = [
    Case(
        "http_5xx, handler answered 500",
        {FC.HTTP_5XX: 2},
        {"apiFailures": 2},
        {FC.HTTP_5XX: 2},
        {FC.HTTP_5XX: True},
        {FC.HTTP_5XX: f"counted by {API} for all 2"},
        0,
    ),
    Case(
        "http_5xx, handler raised",
        {FC.HTTP_5XX: 2},
        {"apiFailures": 2, "lambdaFailures": 2},
        {FC.HTTP_5XX: 4},
        {FC.HTTP_5XX: True},
        {FC.HTTP_5XX: f"counted by {API} for all 2, and by {LAMBDA} for 2{TWICE}"},
        0,
    ),
    Case(
        "http_5xx, a datapoint late",
        {FC.HTTP_5XX: 2},
        {"apiFailures": 1},
        {FC.HTTP_5XX: 1},
        {FC.HTTP_5XX: False},
        {FC.HTTP_5XX: f"counted by {API} for only 1 of 2 (late or lost datapoints)"},
        0,
    ),
    Case(
        "http_4xx",
        {FC.HTTP_4XX: 2},
        {},
        {FC.HTTP_4XX: 0},
        {FC.HTTP_4XX: True},
        {FC.HTTP_4XX: f"{DENOMINATOR}: "},
        0,
    ),
    Case(
        "http_4xx beside others' 5xx",
        {FC.HTTP_4XX: 2},
        {"apiFailures": 2},
        {FC.HTTP_4XX: 0},
        {FC.HTTP_4XX: True},
        {FC.HTTP_4XX: f"{DENOMINATOR}: "},
        2,
    ),
    Case(
        "http_2xx_error_body",
        {FC.HTTP_2XX_ERROR_BODY: 2},
        {"apiFailures": 2, "lambdaFailures": 2},
        {FC.HTTP_2XX_ERROR_BODY: 0},
        {FC.HTTP_2XX_ERROR_BODY: True},
        {FC.HTTP_2XX_ERROR_BODY: f"{INVISIBLE}: "},
        4,
    ),
    Case(
        "api_timeout, never counted",
        {FC.API_TIMEOUT: 2},
        {},
        {FC.API_TIMEOUT: 0},
        {FC.API_TIMEOUT: True},
        {FC.API_TIMEOUT: f"{MAYBE_NOT}: "},
        0,
    ),
    Case(
        "api_timeout, a 504 and a Lambda timeout",
        {FC.API_TIMEOUT: 2},
        {"apiFailures": 1, "lambdaFailures": 1},
        {FC.API_TIMEOUT: 2},
        {FC.API_TIMEOUT: True},
        {FC.API_TIMEOUT: f"counted by {API} for 1, and by {LAMBDA} for 1"},
        0,
    ),
    Case(
        "api_timeout takes at most one per order",
        {FC.API_TIMEOUT: 2},
        {"apiFailures": 3},
        {FC.API_TIMEOUT: 2},
        {FC.API_TIMEOUT: True},
        {FC.API_TIMEOUT: f"counted by {API} for 2"},
        1,
    ),
    Case(
        "connection_error",
        {FC.CONNECTION_ERROR: 2},
        {"apiFailures": 2, "lambdaFailures": 2},
        {FC.CONNECTION_ERROR: 0},
        {FC.CONNECTION_ERROR: True},
        {FC.CONNECTION_ERROR: f"{MAYBE_NOT}: "},
        4,
    ),
    *(
        Case(
            failure.value,
            {failure: 2},
            {"apiFailures": 2, "lambdaFailures": 2, "eventFailures": 2},
            {failure: 0},
            {failure: True},
            {failure: f"{INVISIBLE}: "},
            6,
        )
        for failure in (FC.DB_MISSING, FC.DB_MISMATCH, FC.EVENT_MISSING, FC.EVENT_DUPLICATE)
    ),
    Case(
        "always-counted classes are served first",
        {FC.HTTP_5XX: 2, FC.API_TIMEOUT: 2},
        {"apiFailures": 3},
        {FC.HTTP_5XX: 2, FC.API_TIMEOUT: 1},
        {FC.HTTP_5XX: True, FC.API_TIMEOUT: True},
        {FC.HTTP_5XX: f"counted by {API} for all 2", FC.API_TIMEOUT: f"counted by {API} for 1"},
        0,
    ),
]


def orders(bad: dict[FailureClass, int]) -> list[OrderRecord]:
    failures = [failure for failure, n in bad.items() for _ in range(n)]
    records = []
    for seq in range(10):
        failure = failures[seq] if seq < len(failures) else None
        records.append(
            OrderRecord(
                run_id="r",
                seq=seq,
                order_id=f"o-{seq}",
                planned_at=1000.0 + seq,
                sent_at=1000.0 + seq,
                api_status=201,
                api_latency_ms=100.0,
                chain_verdict=Verdict.BAD if failure else Verdict.GOOD,
                chain_failure=failure,
            )
        )
    return records


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_what_reconcile_makes_of_each_class(case: Case) -> None:
    sli = compute_sli(orders(case.bad))
    failures = sum(case.sums.values())
    reading = WindowReading(
        window=WINDOW,
        availability=1 - failures / 10,
        complete=True,
        sums={"requests": 10.0, **case.sums},
        requests=10.0,
    )

    result = reconcile(reading, sli, ROLES)

    found = {item.failure: item for item in result.by_class}
    assert set(found) == set(case.bad)
    assert {f: item.black_box for f, item in found.items()} == case.bad
    assert {f: item.metric_math for f, item in found.items()} == case.attributed
    assert {f: item.explained for f, item in found.items()} == case.explained
    for failure, reason in case.reason.items():
        if reason.startswith("counted by"):  # the whole reason
            assert found[failure].reason == reason
        else:  # what the metric math makes of it, then the row's why
            assert found[failure].reason.startswith(reason), found[failure].reason
    for failure, item in found.items():
        assert item.gap == pytest.approx((case.attributed[failure] - case.bad[failure]) / 10)
    assert result.unexplained_failures == case.left
    sum_bad = sum(case.bad.values())
    assert result.gap == pytest.approx((10 - sum_bad) / 10 - (1 - failures / 10))


@pytest.mark.parametrize("failure", list(TABLE), ids=str)
def test_a_complete_window_waits_only_for_what_a_class_always_moves(failure: FailureClass) -> None:
    records = orders({failure: 2})
    floors = {"apiFailures": 2} if failure is FC.HTTP_5XX else {}
    expected = expectation(records, compute_sli(records), ROLES)
    assert (expected.requests, dict(expected.failures)) == (10, floors)
