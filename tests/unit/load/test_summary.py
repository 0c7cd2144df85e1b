"""Planned vs achieved: the load summary built from the ledger's orders and Locust's stats."""

from __future__ import annotations

import json
import os

import pytest

from chainprobe.drive.load.context import DriverResult, RequestStats, RunContext
from chainprobe.drive.load.shapes import LoadShape, Stage
from chainprobe.drive.load.summary import LoadSummary
from chainprobe.ledger.model import OrderRecord

SHAPE = LoadShape(name="steady", stages=(Stage(duration_s=10, start_rate=2, end_rate=2),))
START = 5_000.0


def orders(*, late_s: float = 0.01, skip: frozenset[int] = frozenset(), unsent: int = 0) -> list[OrderRecord]:
    records = []
    for seq in range(SHAPE.planned_orders):
        if seq in skip:
            continue
        due = START + seq / 2
        sent = None if seq >= SHAPE.planned_orders - unsent else due + late_s
        records.append(OrderRecord(run_id="r-1", seq=seq, order_id=f"o-{seq}", planned_at=due, sent_at=sent))
    return records


def test_on_time_orders_achieve_the_planned_rate() -> None:
    summary = LoadSummary.build(shape=SHAPE, orders=orders())
    assert (summary.planned, summary.recorded, summary.sent) == (20, 20, 20)
    assert summary.start == START  # from the due times and sequence numbers alone
    assert summary.planned_rate == summary.achieved_rate == 2.0
    assert summary.lateness_ms == {"p50": 10.0, "p95": 10.0, "max": 10.0}
    assert [(p.t, p.planned, p.achieved) for p in summary.series] == [(float(t), 2.0, 2.0) for t in range(10)]
    assert summary.worst_bucket() is None
    labels = [label for label, _ in summary.lines()]
    assert labels == ["load", "arrivals"]
    assert "sent 20 at 2.00/s (100.0%)" in summary.arrivals_line()


def test_a_lost_share_shows_as_a_shortfall() -> None:
    lost = frozenset(range(10, 20))  # the second half never planned: a worker died, say
    result = DriverResult(start=START, processes=2, workers_lost=(1,), stopped_by="shape")
    summary = LoadSummary.build(shape=SHAPE, orders=orders(skip=lost, unsent=0), result=result, notes=("x",))
    assert summary.sent == 10 and summary.achieved_ratio == 0.5
    worst = summary.worst_bucket()
    assert worst is not None and worst.t == 5.0 and worst.achieved == 0.0
    assert dict(summary.lines())["rate"] == "furthest behind at +5 s: 0.00/s sent for 2.00/s planned"
    assert dict(summary.lines())["driver"] == "x"


def test_recorded_but_unsent_orders_are_told_apart() -> None:
    summary = LoadSummary.build(shape=SHAPE, orders=orders(unsent=2))
    assert (summary.recorded, summary.sent) == (20, 18)
    assert "2 recorded but never sent" in summary.arrivals_line()


def test_locust_stats_and_the_json_and_markdown() -> None:
    stats = RequestStats(requests=20, failures=1, p50_ms=40.0, p95_ms=90.0, p99_ms=120.0, max_ms=130.0)
    result = DriverResult(stats=stats, start=START, processes=1, peak_users=20)
    summary = LoadSummary.build(shape=SHAPE, orders=orders(late_s=0.2), result=result)
    assert (
        dict(summary.lines())["locust"] == "20 requests, 1 failures (5.00%), p50 40 ms, p95 90 ms, p99 120 ms"
    )
    data = json.loads(json.dumps(summary.to_dict("r-1")))
    assert data["schema"] == "chainprobe.load/1"
    assert data["planned"] == {"orders": 20, "rate_mean": 2.0, "rate_peak": 2.0, "duration_s": 10.0}
    assert data["achieved"]["sent"] == 20 and data["achieved"]["lateness_ms"]["p95"] == 200.0
    assert data["locust"]["requests"] == 20 and data["locust"]["response_time_ms"]["p95"] == 90.0
    assert len(data["series"]) == 10
    markdown = summary.markdown()
    assert "## Load: steady (10 s), 1 Locust process, peak 20 users" in markdown
    assert "| orders | 20 | 20 sent (100.0%) |" in markdown
    assert "Locust: 20 requests, 1 failures" in markdown


def test_no_order_is_no_figure() -> None:
    summary = LoadSummary.build(shape=SHAPE, orders=[])
    assert summary.start is None and summary.lateness_ms is None and summary.sent == 0
    assert all(point.achieved == 0 for point in summary.series)


def test_the_run_context_survives_json(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [key for key in os.environ if key.startswith("CHAINPROBE_")]:
        monkeypatch.delenv(key)
    context = RunContext(
        run_id="r-1",
        spec_path="/p/orders.yaml",
        endpoints={"api_url": "http://127.0.0.1:1/prod", "port": 1},
        ledger_path="/l.sqlite",
        shape=SHAPE.scaled(0.5),
        processes=3,
    )
    assert RunContext.from_json(context.to_json()) == context
    started = context.started(at=12.5)
    assert started.start == 12.5 and started.processes == 3
    assert RunContext.from_dict(json.loads(started.to_json())) == started


def test_values_from_the_environment_are_never_written_but_come_back_from_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "k-3f9a0c77d1"
    for name in [n for n in os.environ if n.startswith("CHAINPROBE_")]:  # only this test's variables
        monkeypatch.delenv(name)
    monkeypatch.setenv("CHAINPROBE_API_KEY", secret)
    context = RunContext(
        run_id="r-1",
        spec_path="/p/orders.yaml",
        endpoints={"api_url": "http://127.0.0.1:1/prod", "api_key": secret},
        ledger_path="/l.sqlite",
        shape=SHAPE,
    )

    written = context.to_json()

    assert secret not in written
    assert RunContext.from_json(written).endpoints == context.endpoints  # read back from the environment


def test_the_driver_result_survives_json() -> None:
    result = DriverResult(stats=RequestStats(requests=3, errors={"x": 1}), start=1.0, workers_lost=(2,))
    assert DriverResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
