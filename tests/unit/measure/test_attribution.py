"""Whose requests and failures the metric math counted, period by period, by hand-computed cases.

Minutes from 12:00 UTC, 60-second periods, the window 12:00-12:03 unless a case says otherwise. The
run's orders are ``own``; other runs' orders from the same ledger are ``known``; traffic nobody
recorded shows only in the counts. Counters: ``totalRequests`` (API Count), ``apiFailures`` (API
5XXError), ``lambdaFailures`` (Lambda Errors), as in probes/orders.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cloudwatch_fake import FakeClock, FakeCloudWatch, Points

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.measure.attribution import Attribution, attribute
from chainprobe.measure.metricmath import Series
from chainprobe.measure.reconcile import API_5XX, CLASS_EFFECTS, LAMBDA_ERRORS, reconcile_run
from chainprobe.measure.run_traffic import LedgerRequest, Segment, ledger_requests, segments_of
from chainprobe.measure.sli import compute_sli
from chainprobe.spec import load_spec

SPEC = load_spec(Path(__file__).resolve().parents[3] / "probes" / "orders.yaml").metric_math
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
T0 = START.timestamp()
HTTP_5XX = FailureClass.HTTP_5XX
FAILURES = {"apiFailures": API_5XX, "lambdaFailures": LAMBDA_ERRORS}


def at(minute: int, second: float) -> float:
    return T0 + 60 * minute + second


def orders(
    run: str, first: float, count: int, bad: Sequence[int] = (), *, status: int = 500, answer: float = 0.1
) -> list[OrderRecord]:
    """``count`` orders half a second apart from ``first``; the ``bad`` ones answered ``status`` (5xx)."""
    return [
        OrderRecord(
            run_id=run,
            seq=seq,
            order_id=f"{run}-{seq}",
            planned_at=first + seq / 2,
            sent_at=first + seq / 2,
            api_at=first + seq / 2 + answer,
            api_status=status if seq in bad else 201,
            api_latency_ms=100.0,
            chain_verdict=Verdict.BAD if seq in bad else Verdict.GOOD,
            chain_failure=HTTP_5XX if seq in bad else None,
        )
        for seq in range(count)
    ]


def counted(**per_query: Mapping[int, float]) -> dict[str, Series]:
    """``totalRequests={0: 11}``: the counter's sum per minute of the window."""
    return {
        query_id: Series(60, {START + timedelta(minutes=m): v for m, v in by_minute.items()})
        for query_id, by_minute in per_query.items()
    }


def attributed(
    own: Sequence[OrderRecord], known: Sequence[OrderRecord], series: Mapping[str, Series], periods: int = 3
) -> Attribution:
    requests = [*ledger_requests(own, own=True), *ledger_requests(known, own=False)]
    effects = {failure: (effect.counts, effect.may_count) for failure, effect in CLASS_EFFECTS.items()}
    return attribute(
        segments_of(START, periods, 60, requests),
        series,
        requests=("totalRequests",),
        failures=FAILURES,
        effect_of=effects.__getitem__,
        period=60,
    )


def shares(result: Attribution) -> list[tuple[int, int, int, dict[str, tuple[int, int, int, int]]]]:
    """Per segment with traffic: minute, own requests, other requests, and per counter that counted
    something (own, other, undetermined, unexplained)."""
    return [
        (
            round((share.segment.start - START).total_seconds()) // 60,
            share.segment.own,
            share.other_requests,
            {
                q: (f.own, f.other, f.undetermined, f.unexplained)
                for q, f in share.failures.items()
                if f.counted
            },
        )
        for share in result.segments
        if share.requests or any(f.counted for f in share.failures.values())
    ]


MINE = orders("mine", at(0, 30), 6, bad=(0, 3))  # 12:00:30-12:00:32.5, two 5xx
PREVIOUS = orders("prev", at(0, 1), 5, bad=(2,))  # 12:00:01-12:00:03, one 5xx
NEXT = orders("next", at(2, 10), 3, bad=(1,), status=502)  # 12:02:10, one raised 5xx


@pytest.mark.parametrize(
    ("case", "known", "series", "expected", "credited"),
    [
        (
            "the previous run's traffic in the first period, known from the ledger",
            PREVIOUS,
            counted(totalRequests={0: 11}, apiFailures={0: 3}),
            [(0, 6, 5, {"apiFailures": (2, 1, 0, 0)})],
            {HTTP_5XX: {"apiFailures": 2, "lambdaFailures": 0}},
        ),
        (
            "the previous run's traffic in the first period, known only from the counts",
            (),
            counted(totalRequests={0: 11}, apiFailures={0: 3}),
            [(0, 6, 5, {"apiFailures": (2, 1, 0, 0)})],
            {HTTP_5XX: {"apiFailures": 2, "lambdaFailures": 0}},
        ),
        (
            "the next run's traffic in the last period: none of it is the run's",
            NEXT,
            counted(totalRequests={0: 6, 2: 3}, apiFailures={0: 2, 2: 1}, lambdaFailures={2: 1}),
            [
                (0, 6, 0, {"apiFailures": (2, 0, 0, 0)}),
                (2, 0, 3, {"apiFailures": (0, 1, 0, 0), "lambdaFailures": (0, 1, 0, 0)}),
            ],
            {HTTP_5XX: {"apiFailures": 2, "lambdaFailures": 0}},
        ),
        (
            "a shared period: the other run can make 1 Lambda error of 2, so 1 is the run's, 1 undetermined",
            orders("prev", at(0, 1), 3, bad=(1,), status=502),
            counted(totalRequests={0: 9}, apiFailures={0: 3}, lambdaFailures={0: 2}),
            [(0, 6, 3, {"apiFailures": (2, 1, 0, 0), "lambdaFailures": (1, 0, 1, 0)})],
            {HTTP_5XX: {"apiFailures": 2, "lambdaFailures": 1}},
        ),
        (
            "a shared period where the counts settle it: 3 Lambda errors, 2 the run's and 1 the other's",
            orders("prev", at(0, 1), 3, bad=(1,), status=502),
            counted(totalRequests={0: 9}, apiFailures={0: 3}, lambdaFailures={0: 3}),
            [(0, 6, 3, {"apiFailures": (2, 1, 0, 0), "lambdaFailures": (2, 1, 0, 0)})],
            {HTTP_5XX: {"apiFailures": 2, "lambdaFailures": 2}},
        ),
        (
            "a shared period with traffic nobody recorded: its Lambda error is undetermined",
            (),
            counted(totalRequests={0: 9}, apiFailures={0: 2}, lambdaFailures={0: 1}),
            [(0, 6, 3, {"apiFailures": (2, 0, 0, 0), "lambdaFailures": (0, 0, 1, 0)})],
            {HTTP_5XX: {"apiFailures": 2, "lambdaFailures": 0}},
        ),
        (
            "the run alone in its period: a Lambda error is its own, a 5XXError too many is unexplained",
            (),
            counted(totalRequests={0: 6}, apiFailures={0: 3}, lambdaFailures={0: 1}),
            [(0, 6, 0, {"apiFailures": (2, 0, 0, 1), "lambdaFailures": (1, 0, 0, 0)})],
            {HTTP_5XX: {"apiFailures": 2, "lambdaFailures": 1}},
        ),
    ],
)
def test_attribution(
    case: str,
    known: Sequence[OrderRecord],
    series: Mapping[str, Series],
    expected: list[Any],
    credited: Mapping[FailureClass, Mapping[str, int]],
) -> None:
    result = attributed(MINE, known, series)
    assert shares(result) == expected, case
    assert result.credited == credited, case
    assert result.shortfall is None, case


def test_an_order_that_may_be_counted_in_either_period_joins_them() -> None:
    straddling = orders("mine", at(0, 59.9), 1, answer=0.3)  # sent 12:00:59.9, answered 12:01:00.2
    result = attributed(straddling, PREVIOUS, counted(totalRequests={0: 5, 1: 1}, apiFailures={0: 1}))
    assert [(s.segment.start.minute, s.segment.end.minute) for s in result.segments] == [(0, 2), (2, 3)]
    assert shares(result) == [(0, 1, 5, {"apiFailures": (0, 1, 0, 0)})]
    assert result.shortfall is None


@pytest.mark.parametrize(
    ("case", "known", "series", "missing"),
    [
        (
            "a late datapoint of the run's",
            (),
            counted(totalRequests={0: 4}, apiFailures={0: 2}),
            "in 12:00:00-12:01:00: 4 requests counted for the run's 6",
        ),
        (
            "the previous run's requests cannot stand in for the run's late ones",
            PREVIOUS,
            counted(totalRequests={0: 9}, apiFailures={0: 3}),
            "in 12:00:00-12:01:00: 9 requests counted for the run's 6 and 5 of other runs",
        ),
        (
            "a late failure datapoint",
            PREVIOUS,
            counted(totalRequests={0: 11}, apiFailures={0: 2}),
            "in 12:00:00-12:01:00: apiFailures counted 2 of at least 3",
        ),
        (
            "a restarted stack lost the counts of the run's first requests",
            (),
            counted(totalRequests={0: 1}),
            "in 12:00:00-12:01:00: 1 requests counted for the run's 6",
        ),
    ],
)
def test_complete_only_when_the_runs_own_requests_are_counted(
    case: str, known: Sequence[OrderRecord], series: Mapping[str, Series], missing: str
) -> None:
    assert attributed(MINE, known, series).shortfall == missing, case


# -- through reconcile_run, on the fake CloudWatch -----------------------------------------------------


def published(*runs: Sequence[OrderRecord], raised: bool = False) -> Points:
    """What the gateway and Lambda publish for the orders of ``runs`` (Lambda Errors for raised 5xx)."""
    points: Points = {
        ("AWS/ApiGateway", "Count"): [],
        ("AWS/ApiGateway", "5XXError"): [],
        ("AWS/Lambda", "Errors"): [],
    }
    for order in (order for run in runs for order in run):
        assert order.sent_at is not None and order.api_status is not None
        failed = 1.0 if order.api_status >= 500 else 0.0
        points[("AWS/ApiGateway", "Count")].append((order.sent_at + 0.05, 1.0))
        points[("AWS/ApiGateway", "5XXError")].append((order.sent_at + 0.05, failed))
        points[("AWS/Lambda", "Errors")].append((order.sent_at + 0.05, failed if raised else 0.0))
    return points


def reconciled(
    own: Sequence[OrderRecord],
    known: Sequence[OrderRecord],
    cloudwatch: FakeCloudWatch,
    *,
    wait_s: float = 90.0,
) -> Any:
    clock = FakeClock()
    assert SPEC is not None
    return reconcile_run(
        spec=SPEC,
        orders=own,
        sli=compute_sli(own),
        ended_at=max(order.api_at or 0.0 for order in own) + 5,
        get_metric_data=cloudwatch.get_metric_data,
        neighbours=known,
        wait_s=wait_s,
        poll_s=2.5,
        sleep=clock.sleep,
        clock=clock,
    )


@pytest.mark.parametrize("raised", [False, True], ids=["handler-500", "lambda-exception"])
def test_back_to_back_runs_in_one_period_each_reconcile_exactly(raised: bool) -> None:
    status = 502 if raised else 500
    first = orders("a", at(0, 10), 6, bad=(0, 3), status=status)
    second = orders("b", at(0, 40), 6, bad=(0, 3), status=status)
    cloudwatch = FakeCloudWatch(published(first, second, raised=raised))
    per_order = 2 if raised else 1
    for own, known in ((first, second), (second, first)):
        result = reconciled(own, known, cloudwatch)
        reading, rec = result.reading, result.reconciliation
        assert reading.complete and rec.notes == ()
        assert reading.availability == pytest.approx(1 - 4 * per_order / 12)
        (item,) = rec.by_class
        assert (item.black_box, item.metric_math, item.explained) == (2, 2 * per_order, True)
        assert item.gap == pytest.approx((per_order - 1) * 2 / 6)
        assert (rec.own_requests, rec.other_requests) == (6, 6)
        assert (rec.other_failures, rec.undetermined_failures, rec.unexplained_failures) == (
            2 * per_order,
            0,
            0,
        )
        assert rec.other_traffic == pytest.approx((1 - 2 * per_order / 6) - (1 - 4 * per_order / 12))
        assert rec.unexplained == pytest.approx(0.0)
        assert rec.gap == pytest.approx(item.gap + rec.other_traffic)


def test_a_restarted_stacks_lost_counts_give_no_figure_beyond_100_pp() -> None:
    # 28 orders answered 5xx, then the stack restarted: only the last request is counted, no failure.
    own = orders("mine", at(0, 5), 28, bad=range(28))
    points = published(own)
    points[("AWS/ApiGateway", "5XXError")] = []
    cloudwatch = FakeCloudWatch(points, visible=lambda _call, moment: moment > at(0, 18))
    rec = reconciled(own, (), cloudwatch, wait_s=5.0).reconciliation
    (item,) = rec.by_class
    assert (item.black_box, item.metric_math, item.gap) == (28, 0, None)  # was (0 - 28) / 1: -2800 pp
    assert rec.gap is None and rec.unexplained is None and rec.other_traffic is None
    assert rec.notes and rec.notes[0].startswith("no gap: the run's own requests are not all counted")


def test_an_expression_value_that_is_no_availability_gives_no_gap() -> None:
    own = orders("mine", at(0, 5), 4, bad=range(4), status=502)  # raised: 5XXError and Lambda Errors each
    rec = reconciled(own, (), FakeCloudWatch(published(own, raised=True))).reconciliation
    assert rec.gap is None and rec.notes == (
        "no gap: the expression gave -1, not an availability "
        "(its failure counters add to more than its requests)",
    )
    (item,) = rec.by_class
    assert (item.black_box, item.metric_math, item.gap) == (4, 8, None)


def test_every_class_moves_at_most_two_counters_so_a_class_share_stays_within_100_pp() -> None:
    # A class's share is (counted - n) / judged with at most one count per order and counter.
    for failure, effect in CLASS_EFFECTS.items():
        assert len(set(effect.counts) | set(effect.may_count)) <= 2, failure


# What AWS does for an order of each class (hand-written, not read from the table): its API status
# (None: no answer) and the failure counters it moves. Every row of the class table must then give
# the class exactly what its orders moved, and say why in the words of its row.
AWS_DOES: dict[FailureClass, tuple[int | None, tuple[str, ...], int, str]] = {
    FailureClass.HTTP_5XX: (
        500,
        ("5XXError",),
        2,
        "counted by apiFailures (AWS/ApiGateway 5XXError) for all 2",
    ),
    FailureClass.HTTP_4XX: (400, (), 0, "in the denominator only"),
    FailureClass.HTTP_2XX_ERROR_BODY: (200, (), 0, "invisible to the expression"),
    FailureClass.API_TIMEOUT: (
        None,
        ("5XXError",),
        2,
        "counted by apiFailures (AWS/ApiGateway 5XXError) for 2",
    ),
    FailureClass.CONNECTION_ERROR: (None, (), 0, "maybe not even in the denominator"),
    FailureClass.DB_MISSING: (201, (), 0, "invisible to the expression"),
    FailureClass.DB_MISMATCH: (201, (), 0, "invisible to the expression"),
    FailureClass.EVENT_MISSING: (201, (), 0, "invisible to the expression"),
    FailureClass.EVENT_DUPLICATE: (201, (), 0, "invisible to the expression"),
}


@pytest.mark.parametrize("failure", list(AWS_DOES), ids=lambda failure: failure.value)
def test_each_class_row_credits_its_orders_with_what_they_moved(failure: FailureClass) -> None:
    status, moves, credited, reason = AWS_DOES[failure]
    own = orders("mine", at(0, 5), 6, bad=(0, 3), status=status or 0)
    own = [
        replace(o, chain_failure=failure, api_status=status, api_failure=None if status else failure)
        if o.chain_failure
        else o
        for o in own
    ]
    points: Points = {
        ("AWS/ApiGateway", "Count"): [],
        ("AWS/ApiGateway", "5XXError"): [],
        ("AWS/Lambda", "Errors"): [],
    }
    for order in own:
        assert order.sent_at is not None
        bad = order.chain_failure is not None
        if order.api_status is not None or "5XXError" in moves:  # a timed-out request answered 504 later
            points[("AWS/ApiGateway", "Count")].append((order.sent_at, 1.0))
        points[("AWS/ApiGateway", "5XXError")].append(
            (order.sent_at, 1.0 if bad and "5XXError" in moves else 0.0)
        )
    rec = reconciled(own, (), FakeCloudWatch(points)).reconciliation
    (item,) = rec.by_class
    assert (item.failure, item.black_box, item.metric_math, item.explained) == (failure, 2, credited, True)
    assert item.reason.startswith(reason)
    assert rec.unexplained_failures == 0 and rec.other_failures == 0


def test_the_runs_failures_add_up_over_segments_and_count_the_unexplained() -> None:
    """MINE's 2 5xx in minute 0 and 1 more in minute 2: credited 3; alone, a 5XXError too many is its own."""
    later = orders("mine", at(2, 10), 3, bad=(1,))
    series = counted(totalRequests={0: 6, 2: 3}, apiFailures={0: 3, 2: 1})
    result = attributed([*MINE, *later], (), series)
    assert result.credited == {HTTP_5XX: {"apiFailures": 3, "lambdaFailures": 0}}
    assert result.unexplained_failures == 1 and result.own_failures("apiFailures") == 4  # 3 credited + 1


def test_another_runs_unanswered_request_leaves_a_lambda_error_undetermined() -> None:
    """The other run's timed-out request may or may not have been counted (``other_maybe``): it could
    have raised the Lambda error the run's two 5xx also may have, so that error is nobody's for sure."""
    (timeout,) = orders("prev", at(0, 1), 1)
    timed_out = replace(
        timeout,
        api_at=None,
        api_status=None,
        chain_verdict=Verdict.BAD,
        chain_failure=FailureClass.API_TIMEOUT,
    )
    result = attributed(
        MINE, [timed_out], counted(totalRequests={0: 6}, apiFailures={0: 2}, lambdaFailures={0: 1})
    )
    assert shares(result) == [(0, 6, 0, {"apiFailures": (2, 0, 0, 0), "lambdaFailures": (0, 0, 1, 0)})]
    assert result.segments[0].segment.other_maybe == 1


def test_counts_are_rounded_to_whole_requests_and_a_shortfall_is_no_negative_other() -> None:
    result = attributed(MINE, (), counted(totalRequests={0: 5.9999999}, apiFailures={0: 1.9999999}))
    assert shares(result) == [(0, 6, 0, {"apiFailures": (2, 0, 0, 0)})]
    short = attributed(MINE, (), counted(totalRequests={0: 4}, apiFailures={0: 2}))
    assert short.segments[0].other_requests == 0 and short.other_requests == 0
    assert short.shortfall is not None


def timed_out(run: str, sent: float) -> OrderRecord:
    """An order the API never answered (``api_timeout``): the gateway may or may not have counted it."""
    (order,) = orders(run, sent, 1)
    return replace(
        order, api_at=None, api_status=None, chain_verdict=Verdict.BAD, chain_failure=FailureClass.API_TIMEOUT
    )


@pytest.mark.parametrize(
    ("case", "own", "known", "series", "minute_2"),
    [
        (
            "requests counted, none the run's: a 5XXError beyond the other run's 5xx is still the others'",
            (),
            NEXT,
            counted(totalRequests={0: 6, 2: 3}, apiFailures={0: 2, 2: 2}),
            (2, 0, 3, {"apiFailures": (0, 2, 0, 0)}),
        ),
        (
            "no request counted, but the other run's 5xx may have raised the Lambda errors",
            (),
            NEXT,
            counted(totalRequests={0: 6}, apiFailures={0: 2}, lambdaFailures={2: 2}),
            (2, 0, 0, {"lambdaFailures": (0, 2, 0, 0)}),
        ),
        (
            "no request counted, but another run's unanswered request may have been",
            (),
            [timed_out("next", at(2, 10))],
            counted(totalRequests={0: 6}, apiFailures={0: 2}, lambdaFailures={2: 1}),
            (2, 0, 0, {"lambdaFailures": (0, 1, 0, 0)}),
        ),
        (
            "only the run's unanswered request: its segment is the run's, the Lambda error its own",
            [timed_out("mine", at(2, 10))],
            (),
            counted(totalRequests={0: 6, 2: 1}, apiFailures={0: 2}, lambdaFailures={2: 1}),
            (2, 0, 1, {"lambdaFailures": (1, 0, 0, 0)}),
        ),
    ],
)
def test_a_segment_without_the_runs_answered_requests(
    case: str,
    own: Sequence[OrderRecord],
    known: Sequence[OrderRecord],
    series: Mapping[str, Series],
    minute_2: Any,
) -> None:
    result = attributed([*MINE, *own], known, series)
    assert shares(result) == [(0, 6, 0, {"apiFailures": (2, 0, 0, 0)}), minute_2], case


def test_the_runs_classes_share_what_they_may_have_moved_one_per_order_in_name_order() -> None:
    """2 Lambda errors, the run alone: its api_timeout takes 1 (one per order), its two http_5xx the other."""
    series = counted(totalRequests={0: 7}, apiFailures={0: 2}, lambdaFailures={0: 2})
    result = attributed([*MINE, timed_out("mine", at(0, 40))], (), series)
    assert result.credited == {
        HTTP_5XX: {"apiFailures": 2, "lambdaFailures": 1},
        FailureClass.API_TIMEOUT: {"apiFailures": 0, "lambdaFailures": 1},
    }


@pytest.mark.parametrize(
    ("case", "series", "expected"),
    [
        (
            "5 Lambda errors, the run's two 5xx and the other's one may each have raised one: 2, 1, 2 left",
            counted(totalRequests={0: 9}, apiFailures={0: 3}, lambdaFailures={0: 5}),
            {"apiFailures": (2, 1, 0, 0), "lambdaFailures": (2, 1, 2, 0)},
        ),
        (
            "2 5XXErrors of the 3 known: the run's two count first, the other's gets what is left, none",
            counted(totalRequests={0: 9}, apiFailures={0: 2}),
            {"apiFailures": (2, 0, 0, 0)},
        ),
    ],
)
def test_a_shared_period_credits_each_side_at_most_what_it_could_have_made(
    case: str, series: Mapping[str, Series], expected: dict[str, tuple[int, int, int, int]]
) -> None:
    result = attributed(MINE, orders("prev", at(0, 1), 3, bad=(1,), status=502), series)
    assert shares(result) == [(0, 6, 3, expected)], case


def request(first: float, last: float, *, own: bool = True, answered: bool = True) -> LedgerRequest:
    """A request that may have reached the gateway ``first``..``last`` seconds after 12:00."""
    failure = HTTP_5XX if answered else None
    return LedgerRequest(first=T0 + first, last=T0 + last, answered=answered, failure=failure, own=own)


@pytest.mark.parametrize(
    ("case", "requests", "expected"),
    [
        ("wholly before the window: left out", [request(-30, -10)], [(0, 0, 0, 0)] * 3),
        (
            "reaching in from before: maybe, in the first period",
            [request(-5, 5)],
            [(0, 1, 0, 0), *[(0, 0, 0, 0)] * 2],
        ),
        (
            "reaching out past the end: maybe, in the last",
            [request(175, 185)],
            [*[(0, 0, 0, 0)] * 2, (0, 1, 0, 0)],
        ),
        ("another run's, reaching in", [request(-5, 5, own=False)], [(0, 0, 0, 1), *[(0, 0, 0, 0)] * 2]),
        (
            "inside, unanswered: maybe",
            [request(65, 70, answered=False)],
            [(0, 0, 0, 0), (0, 1, 0, 0), (0, 0, 0, 0)],
        ),
        (
            "inside, answered: counted",
            [request(65, 70, own=False)],
            [(0, 0, 0, 0), (0, 0, 1, 0), (0, 0, 0, 0)],
        ),
    ],
)
def test_where_a_request_near_the_window_edges_is_placed(
    case: str, requests: list[LedgerRequest], expected: list[tuple[int, int, int, int]]
) -> None:
    found = segments_of(START, 3, 60, requests)
    assert [(s.own, s.own_maybe, s.other, s.other_maybe) for s in found] == expected, case


def test_only_the_classes_of_requests_counted_for_sure_are_other_runs() -> None:
    """The run's bad orders count wherever they fall; another run's reaching in may have failed outside."""
    (segment,) = segments_of(START, 1, 60, [request(-5, 5), request(-5, 5, own=False)])
    assert segment.own_classes == {HTTP_5XX: 1} and segment.other_classes == {}


def test_a_segment_a_hair_short_of_whole_periods_still_has_them() -> None:
    segment = Segment(start=START, end=START + timedelta(seconds=119.9999))
    assert segment.periods(60) == (START, START + timedelta(seconds=60))


def test_ledger_requests_by_hand() -> None:
    (order,) = orders("r", at(0, 30), 1)
    never_sent = replace(order, sent_at=None, api_at=None, api_status=None, chain_verdict=Verdict.NOT_SENT)
    skewed = replace(order, api_at=order.planned_at - 0.5)  # the answer stamped before the send: clock skew
    unanswered = replace(order, api_at=None, api_status=None)
    failed = replace(order, api_at=order.planned_at + 1, api_status=None)  # a connection error, at a time
    assert ledger_requests([never_sent], own=True) == []
    assert [
        (r.first - T0, r.last - T0, r.answered)
        for r in ledger_requests([skewed, unanswered, failed], own=True)
    ] == [
        (30.0, 30.0, True),
        (30.0, 30.0, False),
        (30.0, 31.0, False),
    ]
