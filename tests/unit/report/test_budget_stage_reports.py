"""The budget view's stage breakdown: read from CloudWatch in one batch, and shown in every report."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chainprobe.ledger.model import Stage
from chainprobe.measure.budget import load_windows
from chainprobe.measure.budget_history import MAX_DATAPOINTS, read_history
from chainprobe.measure.budget_replay import SliBudget, replay
from chainprobe.measure.budget_stages import StageShare, stage_shares
from chainprobe.measure.budget_view import BudgetView
from chainprobe.measure.budget_window import STAT, SliDefinition
from chainprobe.report import writer
from chainprobe.report.alarms import load_inputs
from chainprobe.report.alarms.inputs import BlackboxMetrics
from chainprobe.report.budget_html import render_budget_html
from chainprobe.report.budget_view import budget_json, budget_markdown, terminal_lines, write_budget_reports
from chainprobe.run_budget import compute_budget, stage_breakdown, stage_definition

ORDERS = Path(__file__).resolve().parents[3] / "probes" / "orders.yaml"

M, D = 60, 86_400
E = 10 * D
BLACKBOX = SliDefinition(
    key="blackbox",
    title="black box",
    queries=(
        {"Id": "g", "MetricStat": STAT},
        {"Id": "b", "MetricStat": STAT},
        {"Id": "a", "Expression": "g / (g + b)"},
    ),
    availability_id="a",
    requests_ids=("g", "b"),
    missing_breaches=False,
)
SHARES = stage_shares(
    {Stage.API: 2.0, Stage.DYNAMODB: 2.0, Stage.EVENT: 2.0, Stage.COURIER: 2.0},
    {Stage.API: 3.0, Stage.DYNAMODB: 1.0, Stage.EVENT: 0.0, Stage.COURIER: 1.0},
    consumed_minutes=8.0,
)


def budget_of(sli: SliDefinition) -> SliBudget:
    # 6 good, 4 bad in the day at 99.5%: error rate 0.4, 7.2 budget minutes, 80 times over: 576 minutes.
    history = {E - 2 * 3600: {"g": 6.0, "b": 4.0}}
    return replay(sli, history, objective=0.995, windows=load_windows("30d"), window=timedelta(days=1), end=E)


def view(stages: tuple[StageShare, ...] | None) -> BudgetView:
    return BudgetView(
        probe="orders",
        spec_source="spec.yaml",
        windows_source="30d",
        objective=0.995,
        window=timedelta(days=1),
        end=E,
        slis=(budget_of(dataclasses.replace(BLACKBOX, key="sli", title="metric math")), budget_of(BLACKBOX)),
        ledger_runs=0,
        notes=(),
        stages=stages,
    )


def test_the_terminal_says_in_one_line_which_stage_spent_the_budget_and_keeps_courier_apart() -> None:
    lines = [line for line in terminal_lines(view(SHARES)) if "spent by stage" in line]

    assert lines == [
        "    spent by stage: api 3 bad: 75.0%, 6.0 min; dynamodb 1 bad: 25.0%, 2.0 min; event 0 bad: 0.0%, "
        "0.0 min; courier 1 bad of 3 (delivery SLI, apart)"
    ]
    assert [line for line in terminal_lines(view(())) if "spent by stage" in line] == [
        "    spent by stage: no per-stage history"
    ]
    assert not [line for line in terminal_lines(view(None)) if "spent by stage" in line]


def test_budget_json_lists_every_stage_with_its_share_and_an_empty_list_for_no_history() -> None:
    stages = json.loads(json.dumps(budget_json(view(SHARES))))["stages"]

    assert [(s["stage"], s["good"], s["bad"], s["share"], s["minutes"], s["in_budget"]) for s in stages] == [
        ("api", 2.0, 3.0, 0.75, 6.0, True),
        ("dynamodb", 2.0, 1.0, 0.25, 2.0, True),
        ("event", 2.0, 0.0, 0.0, 0.0, True),
        ("courier", 2.0, 1.0, None, None, False),
    ]
    assert budget_json(view(()))["stages"] == []
    assert budget_json(view(None))["stages"] is None


def test_budget_markdown_has_a_stage_table_or_says_there_is_no_history() -> None:
    text = budget_markdown(view(SHARES))

    assert "| api | 2 | 3 | 75.0% | 6.0 |" in text
    assert "| event | 2 | 0 | 0.0% | 0.0 |" in text
    assert "| courier | 2 | 1 | apart (delivery SLI) | - |" in text
    assert "_no per-stage history in the window._" in budget_markdown(view(()))
    assert "by stage" not in budget_markdown(view(None))


def test_the_html_page_draws_a_bar_per_stage_or_says_there_is_no_history() -> None:
    page = render_budget_html(view(SHARES))

    assert page.count('id="stages-blackbox-t"') == 1  # in the black-box SLI's section only
    assert "api: 3 bad, 75.0%, 6.0 min" in page and "1 bad of 3 (delivery SLI, apart)" in page
    chart = page[page.index('id="stages-blackbox-t"') :]
    chart = chart[: chart.index("</svg>")]
    assert chart.count("<rect") == 3  # a bar per chain stage (event's 0 wide); courier only as text
    assert 'width="495"' in chart  # api's 75% of the 660 px axis (70 to 730)
    empty = render_budget_html(view(()))
    assert "stages-blackbox" not in empty and "no per-stage history in the window" in empty
    assert "by stage" not in render_budget_html(view(None))


def test_the_stage_counts_are_read_in_one_batch_over_the_budget_window_only() -> None:
    calls: list[dict[str, Any]] = []
    at = {"stageGoodApi": (E - 3600, 2.0), "stageBadApi": (E - 3600, 11.0), "stageGoodEvent": (E - 3600, 2.0)}
    at["stageBadEvent"] = (E - D - 60, 5.0)  # before the budget window: not counted

    def get_metric_data(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        ids = [q["Id"] for q in kwargs["MetricDataQueries"]]
        return {
            "MetricDataResults": [
                {"Id": i, "Timestamps": [datetime.fromtimestamp(at[i][0], UTC)], "Values": [at[i][1]]}
                for i in ids
                if i in at
            ]
        }

    blackbox = BlackboxMetrics(namespace="Chainprobe", dimensions={"Probe": "orders"})
    shares = stage_breakdown(
        blackbox, start=E - D, end=E, consumed_minutes=22.0, get_metric_data=get_metric_data, now=E
    )

    assert [(s.stage, s.good, s.bad, s.share, s.minutes) for s in shares] == [
        (Stage.API, 2.0, 11.0, 1.0, 22.0),
        (Stage.EVENT, 2.0, 0.0, 0.0, 0.0),  # a good count in the window; its bad one is older
    ]
    assert len(calls) == 1 and calls[0]["StartTime"] == datetime.fromtimestamp(E - D, UTC)
    queries = stage_definition(blackbox).queries
    assert [q["Id"] for q in calls[0]["MetricDataQueries"]] == [q["Id"] for q in queries]
    dimensions = [
        (q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Metric"]["Dimensions"]) for q in queries
    ]
    assert dimensions[0] == (
        "StageGood",
        [{"Name": "Probe", "Value": "orders"}, {"Name": "Stage", "Value": "api"}],
    )
    assert dimensions[-1] == (
        "StageBad",
        [{"Name": "Probe", "Value": "orders"}, {"Name": "Stage", "Value": "courier"}],
    )
    assert len(queries) == 8 and all(q["MetricStat"]["Stat"] == "Sum" for q in queries)


def test_compute_budget_divides_the_budget_windows_stage_counts_by_the_black_box_consumed_minutes(
    tmp_path: Path,
) -> None:
    # The black box: 2 good, 11 bad an hour before E. Per stage: the same orders, and 5 bad at event
    # an hour before the budget window, inside the replay's look-back (not in the window's budget).
    at = {
        "blackboxGood": [(E - 3600, 2.0)],
        "blackboxBad": [(E - 3600, 11.0)],
        "stageGoodApi": [(E - 3600, 2.0)],
        "stageBadApi": [(E - 3600, 11.0)],
        "stageBadEvent": [(E - D - 3600, 5.0)],
    }

    stage_reads: list[int] = []

    def get_metric_data(**kwargs: Any) -> dict[str, Any]:
        start, end = (int(kwargs[k].timestamp()) for k in ("StartTime", "EndTime"))
        if any(q["Id"] == "stageGoodApi" for q in kwargs["MetricDataQueries"]):
            stage_reads.append(start)
        results = []
        for query in kwargs["MetricDataQueries"]:
            points = [(t, v) for t, v in at.get(query["Id"], []) if start <= t < end]
            stamps = [datetime.fromtimestamp(t, UTC) for t, _ in points]
            results.append({"Id": query["Id"], "Timestamps": stamps, "Values": [v for _, v in points]})
        return {"MetricDataResults": results}

    view = compute_budget(
        load_inputs(ORDERS, variables={}),
        window=timedelta(days=1),
        end=E,
        get_metric_data=get_metric_data,
        now=E,
        target_name="local",
        ledger_path=tmp_path / "absent.sqlite",
    )

    box = next(b for b in view.slis if b.sli.key == "blackbox")
    assert box.requests == 13
    assert view.stages is not None
    assert [(s.stage, s.good, s.bad, s.share) for s in view.stages] == [(Stage.API, 2.0, 11.0, 1.0)]
    assert view.stages[0].minutes == box.consumed_minutes
    assert stage_reads == [E - D]  # one batch, for the black-box SLI alone, from the window's start
    assert view.notes[0].startswith("the last minute (")  # read at its end: not closed yet


def test_the_eight_stage_queries_are_read_in_chunks_no_call_of_which_can_exceed_the_datapoint_limit() -> None:
    # 15 days of 1-minute data for 8 queries is 172,800 points per query: chunks. A range of n periods
    # can hold n + 1 period starts (CloudWatch's bound, and the local plugin's, counts both ends).
    sizes: list[int] = []

    def get_metric_data(**kwargs: Any) -> dict[str, Any]:
        seconds = (kwargs["EndTime"] - kwargs["StartTime"]).total_seconds()
        queries = kwargs["MetricDataQueries"]
        sizes.append(sum(math.ceil(seconds / q["MetricStat"]["Period"]) + 1 for q in queries))
        return {"MetricDataResults": []}

    definition = stage_definition(BlackboxMetrics(namespace="Chainprobe", dimensions={"Probe": "orders"}))
    read_history(definition, start=E - 15 * D, end=E, get_metric_data=get_metric_data, now=E)

    assert sizes == [MAX_DATAPOINTS, 72_016]  # 21,600 minutes: 12,599 (+1) and 9,001 (+1), 8 queries each


def test_budget_files_are_renamed_into_place_so_a_failed_write_keeps_the_earlier_ones_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_budget_reports(view(SHARES), tmp_path, html="<html>first</html>")
    before = {path.name: path.read_text() for path in first}

    def crash(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", crash)  # every new file is complete, its rename fails
    with pytest.raises(OSError, match="No space left"):
        write_budget_reports(view(()), tmp_path, html="<html>second</html>")

    assert {path.name: path.read_text() for path in first} == before  # whole, and the earlier run's
    assert json.loads(before["budget.json"])["stages"]  # (the second run's has none)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["budget.html", "budget.json", "budget.md"]


def test_budget_files_are_redacted_and_a_run_without_html_removes_an_earlier_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINPROBE_API_KEY", "s3cr3t-value")
    write_budget_reports(view(SHARES), tmp_path, html="<p>key s3cr3t-value</p>")
    assert "s3cr3t-value" not in (tmp_path / "budget.html").read_text()

    written = write_budget_reports(view(SHARES), tmp_path, html=None)

    assert sorted(p.name for p in written) == sorted(p.name for p in tmp_path.iterdir())
    assert sorted(p.name for p in written) == ["budget.json", "budget.md"]
