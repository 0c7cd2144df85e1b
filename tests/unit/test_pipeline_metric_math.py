"""The pipeline's metric-math step: skipped with a note, or measured; a failure is a note, not a failure."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chainprobe.ledger import OrderRecord, Run, RunState, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.measure.sli import compute_sli
from chainprobe.pipeline import MetricMathSource, measure_metric_math, metric_math_source, neighbour_orders
from chainprobe.spec import load_spec
from chainprobe.stacks.clients import AwsClients
from chainprobe.target import Target

SPEC = load_spec(Path(__file__).resolve().parents[2] / "probes" / "orders.yaml")
RUN = Run(
    run_id="r",
    spec_path="p",
    spec_name="orders",
    target="local",
    started_at=100.0,
    ended_at=110.0,
    state=RunState.VERIFIED,
)
ORDERS = [
    OrderRecord(
        run_id="r",
        seq=0,
        order_id="o-0",
        planned_at=100.0,
        sent_at=100.0,
        api_status=201,
        chain_verdict=Verdict.GOOD,
    )
]
TARGET = Target(name="local", endpoints={}, clients=AwsClients.local("http://127.0.0.1:1"))


def measure(source: MetricMathSource | None, spec: Any = SPEC) -> Any:
    return measure_metric_math(spec, RUN, ORDERS, compute_sli(ORDERS), source)


@pytest.mark.parametrize(
    ("spec", "enabled", "note"),
    [
        (SPEC, False, "skipped: --no-metric-math"),
        (replace(SPEC, metric_math=None), True, "skipped: the spec has no metric_math section"),
    ],
)
def test_a_skipped_metric_math_says_why(spec: Any, enabled: bool, note: str) -> None:
    summary, reconciliation = measure(metric_math_source(spec, TARGET, enabled=enabled, wait_s=None), spec)
    assert summary.availability is None and summary.notes == (note,) and reconciliation is None
    assert summary.to_dict()["notes"] == [note]


def test_the_wait_comes_from_the_argument_the_environment_or_the_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHAINPROBE_METRIC_MATH_WAIT", raising=False)
    assert metric_math_source(SPEC, TARGET, enabled=True, wait_s=None).wait_s == 90.0
    remote = replace(TARGET, name="api.example.com")
    assert metric_math_source(SPEC, remote, enabled=True, wait_s=None).wait_s == 300.0
    monkeypatch.setenv("CHAINPROBE_METRIC_MATH_WAIT", "12")
    assert metric_math_source(SPEC, TARGET, enabled=True, wait_s=None).wait_s == 12.0
    assert metric_math_source(SPEC, TARGET, enabled=True, wait_s=3.0).wait_s == 3.0


def test_a_cloudwatch_that_cannot_be_read_is_a_note() -> None:
    def refuse(**_kwargs: Any) -> dict[str, Any]:
        raise OSError("connection refused")

    summary, reconciliation = measure(MetricMathSource(get_metric_data=refuse, wait_s=0.0))
    assert summary.availability is None and summary.complete is False
    assert summary.notes == ("reading CloudWatch failed: OSError: connection refused",)
    assert reconciliation is not None and reconciliation.gap is None


def test_no_source_measures_nothing() -> None:
    assert measure(None) == (None, None)


def test_the_neighbours_are_other_runs_of_the_chain_against_the_same_target_near_the_run(
    tmp_path: Path,
) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        runs = {
            name: ledger.create_run(spec_path="p", spec_name=chain, target=target, run_id=name, started_at=at)
            for name, chain, target, at in (
                ("mine", "orders", "local", 10_000.0),
                ("before", "orders", "local", 9_990.0),
                ("elsewhere", "orders", "aws", 10_001.0),
                ("another-chain", "payments", "local", 10_002.0),
                ("long-ago", "orders", "local", 1_000.0),
            )
        }
        for name in runs:
            ledger.plan_order(name, seq=0, order_id=f"{name}-0", sent_at=runs[name].started_at)
            ledger.mark_run_verified(name, ended_at=runs[name].started_at + 5)
        found = neighbour_orders(ledger, ledger.get_run("mine"))
    assert [order.order_id for order in found] == ["before-0"]
