"""Helpers of the report tests: golden inputs (JSON) read into ledger records, and a small order factory."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from chainprobe.ledger import FailureClass, OrderRecord, Run, RunState, Verdict
from chainprobe.measure.reconcile import ClassGap
from chainprobe.measure.window_sli import PeriodPoint, RunWindow
from chainprobe.report import MetricMathSummary, ReconciliationSummary
from chainprobe.spec import ProbeSpec, load_spec
from chainprobe.verify.cleanup import ItemCleanup
from chainprobe.verify.tally import CaptureTally

GOLDEN = Path(__file__).parent / "golden"


def load_case(name: str) -> dict[str, Any]:
    """A golden case's inputs: spec, run, orders and optional metric-math / reconciliation summaries
    capture tally and item cleanup."""
    data = json.loads((GOLDEN / name / "input.json").read_text())
    return {
        "spec": load_spec(GOLDEN / data["spec"]),
        "run": _run(data["run"]),
        "orders": [order_from_dict(item) for item in data["orders"]],
        "metric_math": _metric_math(data["metric_math"]) if "metric_math" in data else None,
        "reconciliation": _reconciliation(data["reconciliation"]) if "reconciliation" in data else None,
        "capture": CaptureTally(**data["capture"]) if "capture" in data else None,
        "cleanup": ItemCleanup(**data["cleanup"]) if "cleanup" in data else None,
    }


def _metric_math(item: dict[str, Any]) -> MetricMathSummary:
    window = item.get("window")
    return MetricMathSummary(
        **{
            **item,
            "window": RunWindow(
                start=_when(window["start"]), end=_when(window["end"]), period=window["period"]
            )
            if window
            else None,
            "periods": tuple(
                PeriodPoint(**{**point, "start": _when(point["start"])}) for point in item.get("periods", [])
            ),
            "notes": tuple(item.get("notes", ())),
        }
    )


def _reconciliation(item: dict[str, Any]) -> ReconciliationSummary:
    by_class = tuple(
        ClassGap(failure=FailureClass(name), **fields) for name, fields in item.get("by_class", {}).items()
    )
    return ReconciliationSummary(**{**item, "by_class": by_class})


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


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
