"""Failures whose owner the counts cannot tell are never charged to other traffic: the gap's
``undetermined`` part holds them, apart from ``other_traffic`` (``reconcile_run`` on a fake CloudWatch).

The run of every case is the back-to-back test's first canary: nine orders in 12:00, three of them
raised in the handler (``lambda-exception``: a 502, so 5XXError and Lambda Errors both move), black
box 6/9. What shares its minute differs. Hand-computed, with A the metric math over the window, O the
expression over the run's own counts and U the same with the undetermined failures added:
``undetermined = O - U``, ``other_traffic = U - A``, ``gap = 6/9 - A = Σ classes + both + unexplained``.

The CI case (a previous test's four handled 5xx in the minute, unknown to the ledger): 13 requests,
5XXError 7, Lambda Errors 3. Lambda Errors' 3 may be the run's (its 5xx may raise) or the unknown
traffic's (any 5xx may): undetermined. Before, ``other_traffic`` was ``O - A`` and the report's "other
traffic" row counted 4 + 3 = 7 failures: the run's own Lambda errors charged to other traffic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cloudwatch_fake import FakeClock, FakeCloudWatch, Points

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.measure.reconcile import reconcile_run
from chainprobe.measure.sli import compute_sli
from chainprobe.report.metric_math import class_rows, summaries
from chainprobe.spec import load_spec

SPEC = load_spec(Path(__file__).resolve().parents[3] / "probes" / "orders.yaml").metric_math
T0 = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC).timestamp()
RAISED = (0, 3, 6)


def orders(run_id: str, start: float, status: int) -> list[OrderRecord]:
    """Nine orders a third of a second apart from ``start``; 0, 3 and 6 answered ``status`` (http_5xx)."""
    return [
        OrderRecord(
            run_id=run_id,
            seq=seq,
            order_id=f"{run_id}-{seq}",
            planned_at=start + seq / 3,
            sent_at=start + seq / 3,
            api_at=start + seq / 3 + 0.1,
            api_status=status if seq in RAISED else 201,
            chain_verdict=Verdict.BAD if seq in RAISED else Verdict.GOOD,
            chain_failure=FailureClass.HTTP_5XX if seq in RAISED else None,
        )
        for seq in range(9)
    ]


def published(requests: Sequence[tuple[float, bool, bool]]) -> Points:
    """Count, 5XXError and Lambda Errors for requests ``(moment, a 5xx, raised)``."""
    points: Points = {("AWS/ApiGateway", "Count"): [], ("AWS/ApiGateway", "5XXError"): []}
    points[("AWS/Lambda", "Errors")] = []
    for moment, failed, raised in requests:
        points[("AWS/ApiGateway", "Count")].append((moment, 1.0))
        points[("AWS/ApiGateway", "5XXError")].append((moment, 1.0 if failed else 0.0))
        points[("AWS/Lambda", "Errors")].append((moment, 1.0 if raised else 0.0))
    return points


RUN = orders("first", T0, 502)
RUN_REQUESTS = [(o.sent_at or 0.0, o.seq in RAISED, o.seq in RAISED) for o in RUN]
SECOND = orders("second", T0 + 5, 500)  # handler-500: 5XXError only


@dataclass(frozen=True)
class Case:
    others: Sequence[tuple[float, bool, bool]]  # other requests in the minute, as published
    neighbours: Sequence[OrderRecord]  # the ledger's other runs
    undetermined: tuple[int, float]  # failures, gap part
    other_traffic: tuple[int, float]
    credited: int  # the run's failures credited to http_5xx
    gap: float


CASES = {
    # Alone in its minute: both counters' failures are the run's (the formula counts each raised order twice).
    "alone": Case((), (), (0, 0.0), (0, 0.0), credited=6, gap=6 / 9 - (1 - 6 / 9)),
    # The CI case: 13 requests, 5XXError 7 (the run's 3, the burst's 4), Lambda Errors 3, undetermined.
    # O = 1 - 3/9, U = 1 - 6/9, A = 1 - 10/13.
    "unknown burst of four 5xx": Case(
        tuple((T0 + 20 + i, True, False) for i in range(4)),
        (),
        (3, (1 - 3 / 9) - (1 - 6 / 9)),
        (4, (1 - 6 / 9) - (1 - 10 / 13)),
        credited=3,
        gap=6 / 9 - (1 - 10 / 13),
    ),
    # The back-to-back re-read: the next run's nine (three handled 5xx) known. 5XXError 6: 3 and 3;
    # Lambda Errors 3, either run's 5xx may have raised: undetermined. A = 1 - 9/18.
    "known handler-500 run": Case(
        tuple((o.sent_at or 0.0, o.seq in RAISED, False) for o in SECOND),
        SECOND,
        (3, (1 - 3 / 9) - (1 - 6 / 9)),
        (3, (1 - 6 / 9) - (1 - 9 / 18)),
        credited=3,
        gap=6 / 9 - (1 - 9 / 18),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_undetermined_failures_are_their_own_part_never_other_traffics(case: Case) -> None:
    clock = FakeClock()
    result = reconcile_run(
        spec=SPEC,
        orders=RUN,
        sli=compute_sli(RUN),
        ended_at=T0 + 30,
        get_metric_data=FakeCloudWatch(published([*RUN_REQUESTS, *case.others])).get_metric_data,
        neighbours=case.neighbours,
        sleep=clock.sleep,
        clock=clock,
    )
    assert result is not None and result.reading.complete
    rec = result.reconciliation
    assert (rec.undetermined_failures, rec.undetermined) == (
        case.undetermined[0],
        pytest.approx(case.undetermined[1]),
    )
    assert (rec.other_failures, rec.other_traffic) == (
        case.other_traffic[0],
        pytest.approx(case.other_traffic[1]),
    )
    (http_5xx,) = rec.by_class
    assert http_5xx.metric_math == case.credited
    assert rec.gap == pytest.approx(case.gap)
    assert rec.unexplained == pytest.approx(0.0)
    parts = [http_5xx.gap, rec.undetermined, rec.other_traffic, rec.unexplained]
    assert sum(part or 0.0 for part in parts) == pytest.approx(case.gap)


def test_the_reports_other_traffic_row_counts_only_other_traffics_failures() -> None:
    clock = FakeClock()
    burst = CASES["unknown burst of four 5xx"].others
    result = reconcile_run(
        spec=SPEC,
        orders=RUN,
        sli=compute_sli(RUN),
        ended_at=T0 + 30,
        get_metric_data=FakeCloudWatch(published([*RUN_REQUESTS, *burst])).get_metric_data,
        sleep=clock.sleep,
        clock=clock,
    )
    assert result is not None
    _, summary = summaries(result)
    rows = {row[0]: row[2:4] for row in class_rows(summary)}
    assert rows["undetermined"] == ["3", "+33.33 pp"]
    assert rows["other traffic"] == ["4", "+10.26 pp"]  # before: "7", +43.59 pp
