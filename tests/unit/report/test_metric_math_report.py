"""The metric-math side of a report: the SLI row, the reconciliation lines, the denominator line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from report_inputs import order, run, spec

from chainprobe.ledger import FailureClass, Verdict
from chainprobe.measure.attribution import FailureShare, SegmentShare
from chainprobe.measure.reconcile import ClassGap
from chainprobe.measure.run_traffic import Segment
from chainprobe.measure.window_sli import RunWindow
from chainprobe.report import build_report, render_html, render_markdown, render_terminal
from chainprobe.report.metric_math import (
    MetricMathSummary,
    ReconciliationSummary,
    class_rows,
    denominator_line,
    measured_text,
    period_rows,
)

WINDOW = RunWindow(
    start=datetime(2026, 1, 1, 12, 0, tzinfo=UTC), end=datetime(2026, 1, 1, 12, 3, tzinfo=UTC), period=60
)
NOTE = "incomplete after 90 s: 3 requests counted for 6 orders the API answered; metrics arrive late"
LATE = MetricMathSummary(availability=1.0, complete=False, window=WINDOW, notes=(NOTE,))
EVENT = ClassGap(
    failure=FailureClass.EVENT_MISSING,
    black_box=1,
    metric_math=0,
    gap=-1 / 3,
    explained=True,
    reason="invisible to the expression: …",
)
RECONCILIATION = ReconciliationSummary(
    gap=-1 / 3, by_class=(EVENT,), unexplained=0.0, unexplained_failures=0, requests=3, orders_sent=3
)


def test_a_skipped_metric_math_shows_why_in_place_of_a_number() -> None:
    assert (
        measured_text(MetricMathSummary.skipped("--no-metric-math"), None)
        == "n/a (skipped: --no-metric-math)"
    )


def test_an_incomplete_reading_is_flagged_with_its_note() -> None:
    orders = [order(0), order(1), order(2, Verdict.BAD, FailureClass.EVENT_MISSING)]
    report = build_report(
        run=run(), orders=orders, spec=spec("spec_full.yaml"), metric_math=LATE, reconciliation=RECONCILIATION
    )
    terminal = render_terminal(report)
    assert "metric-math 100.00% (gap -33.33 pp to the black-box SLI), incomplete" in terminal
    assert "reconcile   window 12:00:00-12:03:00 UTC, 60 s periods, incomplete" in terminal
    assert (
        "reconcile   event_missing: black box 1, metric math 0, -33.33 pp, explained: invisible" in terminal
    )
    assert f"reconcile   {NOTE}" in terminal
    markdown = render_markdown(report)
    assert "#### Metric math vs black box" in markdown and f"- {NOTE}" in markdown
    assert report.to_dict()["metric_math"]["complete"] is False


def test_the_denominator_line_says_whose_requests_it_counted() -> None:
    more = ReconciliationSummary(gap=0.0, requests=26, orders_sent=20)
    assert denominator_line(more) == (
        "the denominator counted 26 requests for 20 orders sent: 6 not the run's "
        "(other traffic dilutes the metric-math SLI)"
    )
    fewer = ReconciliationSummary(gap=0.0, requests=18, orders_sent=20)
    assert denominator_line(fewer) == (
        "the denominator counted 18 requests for 20 orders sent: "
        "2 missing (never reached the API, or metrics late)"
    )
    assert denominator_line(ReconciliationSummary(gap=None)) is None


def test_the_runs_own_traffic_and_other_traffic_are_reported_apart_per_period() -> None:
    shared = SegmentShare(
        segment=Segment(start=WINDOW.start, end=WINDOW.start + timedelta(minutes=1), own=30, other=31),
        requests=61,
        failures={"apiFailures": FailureShare(counted=10, own=8, other=2, expected=10)},
    )
    http_5xx = ClassGap(
        failure=FailureClass.HTTP_5XX, black_box=8, metric_math=8, gap=0.0, explained=True, reason="…"
    )
    rec = ReconciliationSummary(
        gap=(1 - 8 / 30) - (1 - 10 / 61),  # black box 22 good of 30; metric math 51 of 61
        by_class=(http_5xx,),
        unexplained=0.0,
        unexplained_failures=0,
        requests=61,
        orders_sent=30,
        own_requests=30,
        other_traffic=(1 - 9 / 30) - (1 - 10 / 61),  # the run's figure with the undetermined one
        other_failures=2,
        undetermined=(1 - 8 / 30) - (1 - 9 / 30),  # may be the run's: never charged to other traffic
        undetermined_failures=1,
        periods=(shared,),
    )
    assert (
        denominator_line(rec)
        == "the denominator counted 61 requests: 30 of the run's 30 orders and 31 of other traffic"
    )
    lost = ReconciliationSummary(gap=None, requests=0, orders_sent=9, own_requests=9)
    assert denominator_line(lost) == (
        "the denominator counted 0 requests for the run's 9: some are missing (late, lost)"
    )
    rows = class_rows(rec)
    assert [row[0] for row in rows] == ["http_5xx", "undetermined", "other traffic", "unexplained"]
    assert rows[1][2:] == [
        "1",
        "+3.33 pp",
        "",
        "failures the run's or other traffic's: the counts cannot tell whose",
    ]
    assert rows[2][2:] == ["2", "-13.61 pp", "", "31 requests and 2 failures not the run's"]
    assert period_rows(rec) == [["12:00:00-12:01:00", "61", "30", "31", "2", "0"]]
    orders = [order(i, Verdict.BAD, FailureClass.HTTP_5XX) for i in range(8)] + [
        order(i) for i in range(8, 30)
    ]
    summary = MetricMathSummary(availability=51 / 61, complete=True, window=WINDOW)
    report = build_report(
        run=run(), orders=orders, spec=spec("spec_full.yaml"), metric_math=summary, reconciliation=rec
    )
    markdown = render_markdown(report)
    assert (
        "Whose traffic, per period:" in markdown
        and "| 12:00:00-12:01:00 | 61 | 30 | 31 | 2 | 0 |" in markdown
    )
    assert "<p>Whose traffic, per period:</p>" in render_html(report)
    terminal = render_terminal(report)
    assert "other traffic: -13.61 pp (31 requests and 2 failures not the run's)" in terminal
    assert (
        "undetermined: +3.33 pp (1 failures the run's or other traffic's: the counts cannot tell" in terminal
    )
    data = rec.to_dict()
    assert data["other_traffic"] == {"gap": -0.136066, "failures": 2}
    assert data["undetermined"] == {"gap": 0.033333, "failures": 1}
    assert data["periods"] == [
        {
            "start": "2026-01-01T12:00:00Z",
            "end": "2026-01-01T12:01:00Z",
            "requests": 61,
            "own_requests": 30,
            "own_unanswered": 0,
            "other_requests": 31,
            "complete": True,
            "other_failures": 2,
            "undetermined_failures": 0,
        }
    ]
