"""Per-stage results as CloudWatch data: counts judged as Synthetics steps, raw lags, nothing unverified."""

from __future__ import annotations

import math

import pytest
from report_inputs import load_case, order, run, spec

from chainprobe.ledger import FailureClass, OrderRecord, Stage, Verdict
from chainprobe.report import build_report
from chainprobe.report.cloudwatch import run_metrics
from chainprobe.report.metric_datum import MAX_VALUES, MetricDatum, MetricValues
from chainprobe.report.stage_metrics import StageCount, stage_counts, stage_metrics

F = FailureClass
V = Verdict
API, DB, EVENT, COURIER = Stage.API, Stage.DYNAMODB, Stage.EVENT, Stage.COURIER
FULL = (API, DB, EVENT, COURIER)


def bad(seq: int, failure: FailureClass, **fields: object) -> OrderRecord:
    return order(seq, V.BAD, failure, **fields)


# Each case: the orders, the stages the spec verifies, and the (good, bad) counts a hand gives per stage.
CASES = {
    "one failure per stage: the later stages judge fewer orders": (
        [
            order(0, delivery_verdict=V.GOOD),
            bad(1, F.HTTP_5XX),
            bad(2, F.DB_MISSING),
            bad(3, F.EVENT_MISSING),
        ],
        FULL,
        {API: (3, 1), DB: (2, 1), EVENT: (1, 1), COURIER: (1, 0)},
    ),
    "everything failed at the API: no later stage was judged, so it has no counts": (
        [bad(0, F.API_TIMEOUT), bad(1, F.HTTP_4XX)],
        (API, DB, EVENT),
        {API: (0, 2)},
    ),
    "pending and not-sent orders are in no stage": (
        [order(0, V.PENDING), order(1, V.NOT_SENT, sent_at=None), order(2)],
        (API,),
        {API: (1, 0)},
    ),
    "a rejected order the courier was called for is courier-bad; a pending delivery is in no count": (
        [
            bad(0, F.HTTP_4XX, delivery_verdict=V.BAD, delivery_failure=F.COURIER_UNEXPECTED),
            order(1, delivery_verdict=V.PENDING),
            order(2, delivery_verdict=V.BAD, delivery_failure=F.COURIER_FAILED),
            order(3, delivery_verdict=V.GOOD),
        ],
        FULL,
        {API: (3, 1), DB: (3, 0), EVENT: (3, 0), COURIER: (1, 2)},
    ),
    "without dynamodb verified, an event failure passed the API straight to the event stage": (
        [bad(0, F.EVENT_MISSING), order(1), bad(2, F.HTTP_5XX)],
        (API, EVENT),
        {API: (2, 1), EVENT: (1, 1)},
    ),
    "the courier not verified: delivery verdicts are not counted": (
        [order(0, delivery_verdict=V.GOOD)],
        (API, DB, EVENT),
        {API: (1, 0), DB: (1, 0), EVENT: (1, 0)},
    ),
    "a failure at a stage the spec does not verify (the spec changed since) is in no count": (
        [bad(0, F.DB_MISSING), order(1)],
        (API, EVENT),
        {API: (1, 0), EVENT: (1, 0)},
    ),
    "a duplicate event is bad at the event stage": (
        [bad(0, F.EVENT_DUPLICATE), bad(1, F.DB_MISMATCH)],
        (API, DB, EVENT),
        {API: (2, 0), DB: (1, 1), EVENT: (0, 1)},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_stage_counts(case: str) -> None:
    orders, verified, expected = CASES[case]
    counts = stage_counts(orders, verified)
    assert counts == [StageCount(stage, good, bad) for stage, (good, bad) in expected.items()]


def test_the_breached_run_stage_by_stage() -> None:
    report = build_report(**load_case("breached"))
    data = stage_metrics(report, {"Probe": "shop"})

    counts = {(d.name, d.dimensions[-1][1]): d.value for d in data if isinstance(d, MetricDatum)}
    # 20 orders: http_5xx and http_2xx_error_body at the API, db_mismatch, event_missing; 2 deliveries bad.
    assert counts == {
        ("StageGood", "api"): 18,
        ("StageBad", "api"): 2,
        ("StageGood", "dynamodb"): 17,
        ("StageBad", "dynamodb"): 1,
        ("StageGood", "event"): 16,
        ("StageBad", "event"): 1,
        ("StageGood", "courier"): 18,
        ("StageBad", "courier"): 2,
    }
    assert all(d.dimensions[0] == ("Probe", "shop") and d.dimensions[1][0] == "Stage" for d in data)
    assert {d.unit for d in data if isinstance(d, MetricDatum)} == {"Count"}
    # The chain stages' bad orders are OrdersBad, and the product of their ratios is Availability.
    whole = {d.name: d.value for d in run_metrics(report) if not d.dimensions}
    chain = ("api", "dynamodb", "event")
    assert sum(counts[("StageBad", s)] for s in chain) == whole["OrdersBad"] == 4
    ratio = math.prod(
        counts[("StageGood", s)] / (counts[("StageGood", s)] + counts[("StageBad", s)]) for s in chain
    )
    assert ratio == pytest.approx(whole["Availability"]) == pytest.approx(0.8)

    lags = {d.dimensions[-1][1]: d for d in data if isinstance(d, MetricValues)}
    assert set(lags) == {"api", "dynamodb", "event", "courier"}
    # API lag = api_at - sent_at of each of the 20 orders (ms), every one distinct.
    assert lags["api"].values == (
        120.0, 130.0, 140.0, 160.0, 170.0, 180.0, 190.0, 200.0, 210.0, 220.0,
        230.0, 240.0, 250.0, 260.0, 270.0, 280.0, 290.0, 310.0, 1450.0, 2900.0,
    )  # fmt: skip
    assert lags["api"].counts == (1,) * 20 and lags["api"].unit == "Milliseconds"
    # DynamoDB: 400 ms for 19 orders, none for the one rejected with 502 (never seen there).
    assert (lags["dynamodb"].values, lags["dynamodb"].counts) == ((400.0,), (19,))
    # Event: 1100 ms for the 18 captured; courier: 4000 ms for the 18 called.
    assert (lags["event"].values, lags["event"].counts) == ((1100.0,), (18,))
    assert (lags["courier"].values, lags["courier"].counts) == ((4000.0,), (18,))


def test_a_stage_the_spec_does_not_verify_publishes_nothing() -> None:
    orders = [order(0, api_at=100.25, dynamodb_at=100.5, event_at=101.0, courier_at=103.0)]
    report = build_report(run=run(), orders=orders, spec=spec("spec_api_only.yaml"))

    data = stage_metrics(report)

    assert [(d.name, d.dimensions) for d in data] == [
        ("StageGood", (("Stage", "api"),)),
        ("StageBad", (("Stage", "api"),)),
        ("StageLag", (("Stage", "api"),)),
    ]
    assert data[2] == MetricValues("StageLag", (250.0,), (1,), "Milliseconds", (("Stage", "api"),))


def test_a_stage_no_order_reached_has_no_counts_but_its_observed_lags() -> None:
    # Rejected at the API, yet the item was written: a real lag, but no order was judged at dynamodb.
    orders = [bad(0, F.HTTP_2XX_ERROR_BODY, api_at=100.1, dynamodb_at=100.3)]
    report = build_report(run=run(), orders=orders, spec=spec("spec_full.yaml"))

    data = stage_metrics(report)

    assert [(d.name, d.dimensions[-1][1]) for d in data] == [
        ("StageGood", "api"),
        ("StageBad", "api"),
        ("StageLag", "api"),
        ("StageLag", "dynamodb"),
    ]


def test_equal_lags_are_counted_together_and_a_negative_one_is_zero() -> None:
    orders = [
        order(0, event_at=100.5),  # sent at 100.0: 500 ms
        order(1, event_at=101.5),  # sent at 101.0: 500 ms
        order(2, event_at=101.9),  # sent at 102.0: a clock 100 ms behind, published as 0
        order(3, event_at=103.25),  # sent at 103.0: 250 ms
    ]
    report = build_report(run=run(), orders=orders, spec=spec("spec_full.yaml"))

    [event] = [d for d in stage_metrics(report) if d.name == "StageLag" and d.dimensions[-1][1] == "event"]

    assert isinstance(event, MetricValues)
    assert (event.values, event.counts) == ((0.0, 250.0, 500.0), (1, 1, 2))


def test_more_distinct_values_than_one_entry_takes_go_in_several() -> None:
    sample = [float(i) for i in range(MAX_VALUES + 1)] + [7.0, 7.0004]

    entries = MetricValues.of("StageLag", sample, "Milliseconds")

    assert [len(entry.values) for entry in entries] == [MAX_VALUES, 1]
    assert sum(entry.sample_count for entry in entries) == len(sample)
    assert entries[0].counts[7] == 3  # 7.0004 rounds to the report's 3 decimals: 7.0
    assert entries[1].values == (float(MAX_VALUES),)
    aws = entries[0].to_aws(None)
    assert "Timestamp" not in aws and len(aws["Values"]) == len(aws["Counts"]) == MAX_VALUES
    assert MetricValues.of("StageLag", [], "Milliseconds") == []
