"""Back-to-back canaries on the real local stack: each run's metric math holds only its own failures.

Two canaries of nine orders run one after the other with no pause, every third order faulted: the
first with ``lambda-exception`` (API 5XXError and Lambda Errors both count each such order), the
second with ``handler-500`` (5XXError only; the table says a 5xx *may* move Lambda Errors). Each run
reads the spec's metric math (60-second periods) when it concludes, as a user's canary does.

Then both runs are read again over one period that holds them both (a period length chosen from
the two runs' times), as ``verify --run`` would read an old run: the first run then has the next
run's traffic in its window and the second the previous run's, in the same period. Other runs of
the same ledger are known traffic: their requests and their classes' failures are theirs.

Each run's own reading is taken while its minute is still open: it is incomplete (no gap), never a
partial figure called complete. What must hold for every re-reading (which waits for its window to
close): ``complete`` (each period counted at least the run's requests and the other run's), the
run's class credited with its own failures only (the second run's ``http_5xx`` never takes the first
run's Lambda errors: those are the first run's or, where either run's 5xx could have made them,
undetermined, never other traffic's), and the gap reconciled exactly: classes + undetermined +
other traffic, nothing unexplained. And a reading whose request counter counted none of the run's
requests (as after a restarted stack) has no gap, only a note.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import OrderRecord, Run
from chainprobe.ledger.store import Ledger
from chainprobe.pipeline import measure_metric_math, metric_math_source, neighbour_orders, run_canary
from chainprobe.report import sli_for_spec
from chainprobe.report.metric_math import MetricMathSummary, ReconciliationSummary
from chainprobe.spec import load_spec
from chainprobe.target import Target
from tests.integration.spec_variants import Spec, spec_variant

COUNT = 9
EVERY = 3
BAD = COUNT // EVERY  # orders 0, 3 and 6


def canary(target: Target, spec: Path, directory: Path, fault: str) -> dict[str, Any]:
    run_canary(
        spec_path=spec,
        count=COUNT,
        rate=3.0,
        report_dir=directory,
        say=print,
        target=target,
        fault_plan=FaultPlan(faults=(fault,), every=EVERY),
        metric_math_wait=60.0,
    )
    report: dict[str, Any] = json.loads((directory / "report.json").read_text())
    print(json.dumps({k: report[k] for k in ("run_id", "orders", "metric_math", "reconciliation")}, indent=2))
    return report


def reconciles_exactly(reconciliation: dict[str, Any]) -> None:
    """The gap is the classes' parts plus the undetermined failures' and other traffic's, nothing
    unexplained."""
    assert reconciliation["notes"] == []
    assert reconciliation["unexplained"] == {"gap": pytest.approx(0.0, abs=1e-6), "failures": 0}
    parts = sum(item["gap"] for item in reconciliation["by_class"].values())
    parts += reconciliation["undetermined"]["gap"] + reconciliation["other_traffic"]["gap"]
    assert reconciliation["gap"] == pytest.approx(parts, abs=5e-6)  # five figures rounded to 6 decimals
    assert all(item["explained"] for item in reconciliation["by_class"].values())


def shared_period(first: list[OrderRecord], second: list[OrderRecord]) -> int:
    """A period length (a multiple of 60 s) whose one period holds every request of both runs."""
    moments = [o.sent_at or 0.0 for o in first + second] + [o.api_at or 0.0 for o in first + second]
    low, high = min(moments), max(moments)
    for minutes in range(1, 240):
        period = 60 * minutes
        if math.floor(low / period) == math.floor(high / period):
            return period
    raise AssertionError("no period up to 4 h holds both runs")


def reread(
    target: Target, ledger_path: Path, directory: Path, run_id: str, period: int, counter: str = "OrdersAPI"
) -> tuple[MetricMathSummary, ReconciliationSummary]:
    """The run's metric math read again with every MetricStat at ``period`` (the API counters of ApiName
    ``counter``), the other runs of the ledger known, as ``verify --run`` reads an old run."""

    def at_period(data: Spec) -> None:
        for query in data["metric_math"]["Metrics"]:
            if "MetricStat" in query:
                query["MetricStat"]["Period"] = period
                for dimension in query["MetricStat"]["Metric"].get("Dimensions", []):
                    if dimension["Name"] == "ApiName":
                        dimension["Value"] = counter

    spec = load_spec(spec_variant(directory, f"orders-{period}-{counter}.yaml", at_period))
    with Ledger(ledger_path) as ledger:
        run: Run = ledger.get_run(run_id)
        orders = ledger.orders(run_id)
        neighbours = neighbour_orders(ledger, run)
    wait = 2 * period + 60.0 if counter == "OrdersAPI" else 3.0  # the window closes within 2 periods + lag
    source = metric_math_source(spec, target, enabled=True, wait_s=wait)
    summary, reconciliation = measure_metric_math(
        spec, run, orders, sli_for_spec(orders, spec), source, neighbours=neighbours
    )
    assert summary is not None and reconciliation is not None
    print(
        json.dumps({"metric_math": summary.to_dict(), "reconciliation": reconciliation.to_dict()}, indent=2)
    )
    return summary, reconciliation


def a_fresh_period_begins() -> None:
    """Returns once a new minute, the metric math's period, has begun: the earlier tests' requests on the
    suite's shared stack (all sent before this test started) then share no period with the two runs."""
    time.sleep(60.0 - time.time() % 60.0 + 0.2)


def test_back_to_back_canaries_each_reconcile_with_their_own_failures(
    target: Target, ledger_path: Path, tmp_path: Path, quick_spec: Path
) -> None:
    a_fresh_period_begins()
    first = canary(target, quick_spec, tmp_path / "first", "lambda-exception")
    second = canary(target, quick_spec, tmp_path / "second", "handler-500")  # no pause between them

    for report in (first, second):
        assert report["orders"]["by_class"] == {"http_5xx": BAD}
        metric_math, reconciliation = report["metric_math"], report["reconciliation"]
        # Read as the run concluded, its minute still open: the run's counts are all in, but the window
        # closes (a period after the last verdict, plus the publish lag) past the 60-second wait, so the
        # reading is incomplete and gives no gap: it never calls an open minute complete.
        assert metric_math["complete"] is False and reconciliation["gap"] is None
        assert any("while the window was open" in note for note in metric_math["notes"])
        assert reconciliation["own_requests"] == COUNT
        assert sum(p["own_requests"] for p in reconciliation["periods"]) == COUNT
        assert all(p["complete"] and p["requests"] >= p["own_requests"] for p in reconciliation["periods"])
    # The first run's raised orders moved 5XXError and Lambda Errors: its own, or (if the stack's
    # own traffic shared its minute) undetermined; never someone else's.
    first_5xx = first["reconciliation"]["by_class"]["http_5xx"]
    assert first_5xx["metric_math"] + first["reconciliation"]["undetermined"]["failures"] >= 2 * BAD
    assert BAD <= first_5xx["metric_math"] <= 2 * BAD
    # The second run's handled 500s moved 5XXError only: it is credited with exactly those, never
    # with the first run's Lambda errors even where the two runs share a minute.
    assert second["reconciliation"]["by_class"]["http_5xx"]["metric_math"] == BAD

    with Ledger(ledger_path) as ledger:
        orders = {
            run: ledger.orders(report["run_id"]) for run, report in (("first", first), ("second", second))
        }
    period = shared_period(orders["first"], orders["second"])
    for name, report in (("first", first), ("second", second)):
        summary, rec = reread(target, ledger_path, tmp_path, report["run_id"], period)
        assert summary.complete is True
        (shared,) = [share for share in rec.periods if share.segment.own]
        assert (shared.segment.own, shared.segment.other) == (COUNT, COUNT)  # the other run: known
        api, raised = shared.failures["apiFailures"], shared.failures["lambdaFailures"]
        # 5XXError: the run's 3, the other run's 3 (and whatever earlier tests' traffic left there).
        assert (api.own, api.unexplained) == (BAD, 0) and api.other >= BAD, name
        # Lambda Errors: the first run's 3, which either run's 5xx could have made by the table:
        # undetermined for both runs, credited to neither, and never counted as other traffic (what
        # other traffic is credited with are earlier tests' errors beyond them).
        assert (raised.own, raised.undetermined, raised.unexplained) == (0, BAD, 0), name
        assert raised.counted - raised.other >= BAD, name
        data = rec.to_dict()
        assert data["by_class"]["http_5xx"]["metric_math"] == BAD, name
        reconciles_exactly(data)

    summary, rec = reread(target, ledger_path, tmp_path, second["run_id"], 60, counter="NoSuchApi")
    assert (
        summary.complete is False and rec.gap is None and rec.to_dict()["by_class"]["http_5xx"]["gap"] is None
    )
    assert rec.notes[0].startswith(
        f"no gap: the run's own requests are not all counted (counted for the run: 0 of {COUNT})"
    )
