"""Helpers of the report tests: golden inputs (JSON) read into ledger records, and a small order factory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chainprobe.ledger import FailureClass, OrderRecord, Run, RunState, Verdict
from chainprobe.report import MetricMathSummary, ReconciliationSummary
from chainprobe.spec import ProbeSpec, load_spec

GOLDEN = Path(__file__).parent / "golden"


def load_case(name: str) -> dict[str, Any]:
    """A golden case's inputs: spec, run, orders and optional metric-math / reconciliation summaries."""
    data = json.loads((GOLDEN / name / "input.json").read_text())
    return {
        "spec": load_spec(GOLDEN / data["spec"]),
        "run": _run(data["run"]),
        "orders": [order_from_dict(item) for item in data["orders"]],
        "metric_math": MetricMathSummary(**data["metric_math"]) if "metric_math" in data else None,
        "reconciliation": ReconciliationSummary(**data["reconciliation"])
        if "reconciliation" in data
        else None,
    }


def order_from_dict(item: dict[str, Any]) -> OrderRecord:
    values = dict(item)
    for key in ("chain_verdict", "delivery_verdict"):
        if values.get(key) is not None:
            values[key] = Verdict(values[key])
    for key in ("chain_failure", "delivery_failure", "api_failure"):
        if values.get(key) is not None:
            values[key] = FailureClass(values[key])
    return OrderRecord(**values)


def _run(item: dict[str, Any]) -> Run:
    return Run(**{**item, "state": RunState(item["state"])})


def spec(name: str) -> ProbeSpec:
    return load_spec(GOLDEN / name)


def order(
    seq: int, verdict: Verdict = Verdict.GOOD, failure: FailureClass | None = None, **fields: Any
) -> OrderRecord:
    values: dict[str, Any] = {"sent_at": 100.0 + seq, "api_status": 201, "api_latency_ms": 100.0}
    values.update(fields)
    return OrderRecord(
        run_id="r-t",
        seq=seq,
        order_id=f"o-{seq}",
        planned_at=100.0 + seq,
        chain_verdict=verdict,
        chain_failure=failure,
        **values,
    )


def run(ended_at: float | None = 160.0) -> Run:
    return Run(
        run_id="r-t",
        spec_path="probes/shop.yaml",
        spec_name="shop",
        target="local",
        started_at=100.0,
        ended_at=ended_at,
        state=RunState.VERIFIED,
    )
