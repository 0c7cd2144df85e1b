"""The metric-math SLI over a run's window and its reconciliation with the black box, on a fake CloudWatch.

The fake answers GetMetricData with the project's metric-math evaluator over datapoints a scenario
gives (as the local CloudWatch does), so the spec's own ``Metrics:`` list (probes/orders.yaml) is
what gets evaluated. Each scenario is a canary of six orders, every third one marked with a fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cloudwatch_fake import FakeClock, FakeCloudWatch, Points

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.measure.reconcile import CLASS_EFFECTS, reconcile_run
from chainprobe.measure.sli import compute_sli
from chainprobe.measure.window_sli import RunWindow, roles_of
from chainprobe.spec import load_spec
from chainprobe.spec.model import MetricMathSpec

SPEC = load_spec(Path(__file__).resolve().parents[3] / "probes" / "orders.yaml").metric_math
T0 = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC).timestamp()  # the first order leaves at 12:00:10
COUNT = 6
MARKED = (0, 3)

COUNT_METRIC = ("AWS/ApiGateway", "Count")
API_5XX = ("AWS/ApiGateway", "5XXError")
LAMBDA_ERRORS = ("AWS/Lambda", "Errors")


def canary(statuses: Mapping[int, tuple[int, FailureClass]] | None = None) -> list[OrderRecord]:
    """Six orders half a second apart; ``statuses`` gives the marked ones their API status and class."""
    orders = []
    for seq in range(COUNT):
        status, failure = (statuses or {}).get(seq, (201, None))
        orders.append(
            OrderRecord(
                run_id="r",
                seq=seq,
                order_id=f"o-{seq}",
                planned_at=T0 + seq / 2,
                sent_at=T0 + seq / 2,
                api_at=T0 + seq / 2 + 0.1,
                api_status=status,
                api_latency_ms=100.0,
                chain_verdict=Verdict.BAD if failure else Verdict.GOOD,
                chain_failure=failure,
            )
        )
    return orders


def metrics(orders: Sequence[OrderRecord], *, lambda_errors: Sequence[int] = ()) -> Points:
    """What the API and Lambda publish for ``orders``: Count and 5XXError per request, Errors where raised."""
    points: Points = {COUNT_METRIC: [], API_5XX: [], LAMBDA_ERRORS: []}
    for order in orders:
        assert order.sent_at is not None and order.api_status is not None
        points[COUNT_METRIC].append((order.sent_at, 1.0))
        points[API_5XX].append((order.sent_at, 1.0 if order.api_status >= 500 else 0.0))
        points[LAMBDA_ERRORS].append((order.sent_at, 1.0 if order.seq in lambda_errors else 0.0))
    return points


def run(
    orders: Sequence[OrderRecord],
    cloudwatch: FakeCloudWatch,
    *,
    spec: MetricMathSpec | None = SPEC,
    wait_s: float = 90.0,
) -> Any:
    clock = FakeClock()
    assert spec is not None
    return reconcile_run(
        spec=spec,
        orders=orders,
        sli=compute_sli(orders),
        ended_at=T0 + 20,
        get_metric_data=cloudwatch.get_metric_data,
        wait_s=wait_s,
        poll_s=2.5,
        sleep=clock.sleep,
        clock=clock,
    )


HANDLER_500 = {seq: (500, FailureClass.HTTP_5XX) for seq in MARKED}
RAISED = {seq: (502, FailureClass.HTTP_5XX) for seq in MARKED}
NAIVE_EVENT = {seq: (201, FailureClass.EVENT_MISSING) for seq in MARKED}


@pytest.mark.parametrize(
    ("scenario", "statuses", "lambda_errors", "metric_math", "gap", "by_class"),
    [
        ("no fault", {}, (), 1.0, 0.0, {}),
        ("handler-500", HANDLER_500, (), 4 / 6, 0.0, {FailureClass.HTTP_5XX: (2, 2, 0.0)}),
        # naive publish mode: the client gets 201, the event never leaves; the black box sees it, nothing else
        ("events-entry-failure", NAIVE_EVENT, (), 1.0, -2 / 6, {FailureClass.EVENT_MISSING: (2, 0, -2 / 6)}),
        # raised in the handler: 5XXError and Lambda Errors both count the order (the formula's double count)
        ("lambda-exception", RAISED, MARKED, 2 / 6, 2 / 6, {FailureClass.HTTP_5XX: (2, 4, 2 / 6)}),
    ],
)
def test_scenarios(
    scenario: str,
    statuses: Mapping[int, tuple[int, FailureClass]],
    lambda_errors: Sequence[int],
    metric_math: float,
    gap: float,
    by_class: Mapping[FailureClass, tuple[int, int, float]],
) -> None:
    orders = canary(statuses)
    result = run(orders, FakeCloudWatch(metrics(orders, lambda_errors=lambda_errors)))

    reading, rec = result.reading, result.reconciliation
    assert reading.complete and reading.notes == ()
    assert reading.availability == pytest.approx(metric_math)
    assert rec.gap == pytest.approx(gap)
    found = {item.failure: (item.black_box, item.metric_math, item.gap) for item in rec.by_class}
    assert found == {k: (bb, mm, pytest.approx(g)) for k, (bb, mm, g) in by_class.items()}
    assert all(item.explained for item in rec.by_class)
    assert rec.unexplained == pytest.approx(0.0) and rec.unexplained_failures == 0
    assert (rec.requests, rec.orders_sent, rec.other_requests) == (6, 6, 0)


def test_the_reasons_name_the_queries_and_say_what_the_formula_does() -> None:
    raised = canary(RAISED)
    (item,) = run(raised, FakeCloudWatch(metrics(raised, lambda_errors=MARKED))).reconciliation.by_class
    assert item.reason == (
        "counted by apiFailures (AWS/ApiGateway 5XXError) for all 2, "
        "and by lambdaFailures (AWS/Lambda Errors) for 2; "
        "the formula adds them, so one order counts more than once"
    )
    naive = canary(NAIVE_EVENT)
    (item,) = run(naive, FakeCloudWatch(metrics(naive))).reconciliation.by_class
    assert item.reason.startswith("invisible to the expression: a failed PutEvents entry")


def test_a_4xx_is_in_the_denominator_only() -> None:
    orders = canary({1: (400, FailureClass.HTTP_4XX)})
    (item,) = run(orders, FakeCloudWatch(metrics(orders))).reconciliation.by_class
    assert (item.black_box, item.metric_math, item.explained) == (1, 0, True)
    assert item.reason.startswith("in the denominator only")


def test_late_metrics_give_an_incomplete_reading_at_the_timeout_never_a_hang() -> None:
    orders = canary(HANDLER_500)
    cloudwatch = FakeCloudWatch(metrics(orders), visible=lambda _call, at: at < T0 + 1.4)  # 3 of 6 arrive
    result = run(orders, cloudwatch, wait_s=10.0)

    reading = result.reading
    assert not reading.complete
    assert len(cloudwatch.calls) == 5  # at 0, 2.5, 5, 7.5 and 10 s of the fake clock
    assert reading.notes == (
        "incomplete after 10 s: in 12:00:00-12:01:00: 3 requests counted for the run's 6; "
        "metrics arrive late (best effort)",
    )
    rec = result.reconciliation
    assert rec.notes == (
        "no gap: the run's own requests are not all counted (counted for the run: 3 of 6): "
        "it would compare unlike things",
    )
    assert rec.gap is None and rec.unexplained is None and rec.other_traffic is None
    assert [item.gap for item in rec.by_class] == [None]
    assert reading.availability == pytest.approx(1 - 1 / 3)  # what had arrived: order 0 failed of 0-2


def test_the_wait_ends_once_the_counts_caught_up() -> None:
    orders = canary(HANDLER_500)
    cloudwatch = FakeCloudWatch(metrics(orders), visible=lambda call, _at: call >= 3)
    result = run(orders, cloudwatch)
    assert result.reading.complete and len(cloudwatch.calls) == 3


def test_the_wait_also_covers_the_failure_counters_the_classes_always_move() -> None:
    orders = canary(HANDLER_500)
    points = metrics(orders)
    late_5xx = FakeCloudWatch(points, visible=lambda call, at: call >= 4 or (at, 1.0) not in points[API_5XX])
    result = run(orders, late_5xx)
    assert result.reading.complete and len(late_5xx.calls) == 4


def test_the_window_is_one_ratio_of_sums_and_the_periods_are_reported_apart() -> None:
    # 12:00: one request, failed. 12:01: 99 requests, all good. Mean of per-period ratios: 50%.
    orders = [
        *canary({0: (500, FailureClass.HTTP_5XX)})[:1],
        *(
            OrderRecord(
                run_id="r",
                seq=seq,
                order_id=f"o-{seq}",
                planned_at=T0 + 60,
                sent_at=T0 + 60,
                api_status=201,
                chain_verdict=Verdict.GOOD,
            )
            for seq in range(1, 100)
        ),
    ]
    result = run(orders, FakeCloudWatch(metrics(orders)))
    reading = result.reading
    assert reading.availability == pytest.approx(0.99)
    assert result.reconciliation.gap == pytest.approx(0.0)
    busy = [(p.start.minute, p.availability, p.requests) for p in reading.periods if p.requests]
    assert busy == [(0, 0.0, 1.0), (1, 1.0, 99.0)]
    quiet = [p.availability for p in reading.periods if not p.requests]
    assert quiet and set(quiet) == {1.0}  # FILL and MAX([totalRequests], 1): an empty minute reads 100%


def test_the_window_starts_on_the_first_orders_period_and_ends_a_period_after_the_last_verdict() -> None:
    orders = canary()
    window = RunWindow.around(orders, ended_at=T0 + 20, period=60)
    assert window is not None
    assert (window.start.time().isoformat(), window.end.time().isoformat()) == ("12:00:00", "12:02:00")
    assert RunWindow.around([], ended_at=None, period=60) is None
    result = run(orders, FakeCloudWatch(metrics(orders)))
    assert result.reading.window == window


def test_the_request_is_the_pasted_list_with_the_series_returned() -> None:
    orders = canary()
    cloudwatch = FakeCloudWatch(metrics(orders))
    run(orders, cloudwatch)
    sent = cloudwatch.calls[0]["MetricDataQueries"]
    assert [q["Id"] for q in sent] == [q["Id"] for q in SPEC.metrics]
    assert [q.get("Expression") for q in sent] == [q.get("Expression") for q in SPEC.metrics]
    assert all(q["ReturnData"] for q in sent)


def test_other_traffic_is_its_own_part_of_the_gap_never_unexplained() -> None:
    orders = canary(HANDLER_500)
    points = metrics(orders)
    for i in range(4):  # four requests of another user, one of them failing
        points[COUNT_METRIC].append((T0 + 5 + i, 1.0))
        points[API_5XX].append((T0 + 5 + i, 1.0 if i == 0 else 0.0))
    rec = run(orders, FakeCloudWatch(points)).reconciliation

    assert (rec.requests, rec.orders_sent, rec.own_requests, rec.other_requests) == (10, 6, 6, 4)
    assert rec.gap == pytest.approx(4 / 6 - (1 - 3 / 10))
    (item,) = rec.by_class
    assert (item.metric_math, item.gap) == (2, 0.0)
    assert (rec.other_failures, rec.undetermined_failures, rec.unexplained_failures) == (1, 0, 0)
    assert rec.other_traffic == pytest.approx((1 - 2 / 6) - (1 - 3 / 10))
    assert rec.unexplained == pytest.approx(0.0)


def test_a_failing_read_is_a_note_not_an_exception() -> None:
    def refuse(**_kwargs: Any) -> dict[str, Any]:
        raise ConnectionError("no route to CloudWatch")

    orders = canary()
    clock = FakeClock()
    result = reconcile_run(
        spec=SPEC,
        orders=orders,
        sli=compute_sli(orders),
        ended_at=T0 + 20,
        get_metric_data=refuse,
        sleep=clock.sleep,
        clock=clock,
    )
    assert result is not None
    assert result.reading.availability is None and not result.reading.complete
    assert result.reading.notes == ("reading CloudWatch failed: ConnectionError: no route to CloudWatch",)
    assert result.reconciliation.gap is None


def test_an_expression_of_another_shape_is_read_without_attribution() -> None:
    queries = [dict(q) for q in SPEC.metrics[:2]] + [
        {"Id": "availability", "Expression": "1 - FILL(apiFailures, 0) * 0.01", "ReturnData": True}
    ]
    spec = MetricMathSpec(metrics=tuple(queries), availability_id="availability")
    assert not roles_of(spec).known
    orders = canary(HANDLER_500)
    result = run(orders, FakeCloudWatch(metrics(orders)), spec=spec)
    assert result.reading.availability == pytest.approx(0.98)
    assert result.reading.requests is None
    (item,) = result.reconciliation.by_class
    assert not item.explained and item.reason.startswith("no attribution")


def test_roles_come_from_the_first_division_of_the_availability_expression() -> None:
    roles = roles_of(SPEC)
    assert roles.failures == ("apiFailures", "lambdaFailures", "eventFailures")
    assert roles.requests == ("totalRequests",)


def test_every_chain_failure_class_is_in_the_table() -> None:
    chain = {failure for failure in FailureClass if not failure.is_delivery}
    assert set(CLASS_EFFECTS) == chain


def test_periods_start_on_the_grid() -> None:
    orders = canary()
    reading = run(orders, FakeCloudWatch(metrics(orders))).reading
    assert all(p.start.second == 0 for p in reading.periods)
    assert reading.periods[0].start == reading.window.start
    assert reading.window.end - reading.window.start == timedelta(minutes=2)
