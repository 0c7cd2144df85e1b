"""Helpers of the alarm tests: probes/orders.yaml and variants of it written to a temporary file."""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[4]
ORDERS = ROOT / "probes" / "orders.yaml"
GOLDEN = Path(__file__).parent / "golden"


def orders() -> dict[str, Any]:
    """probes/orders.yaml as data."""
    data: dict[str, Any] = yaml.safe_load(ORDERS.read_text())
    return data


def write_spec(tmp_path: Path, change: Callable[[dict[str, Any]], None], name: str = "spec.yaml") -> Path:
    """probes/orders.yaml with ``change`` applied, written to ``tmp_path / name``."""
    data = copy.deepcopy(orders())
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def metric_stat(query_id: str, namespace: str, name: str, **dimensions: str) -> dict[str, Any]:
    """A ``MetricStat`` query (Sum over 60 s), hidden."""
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": 60,
            "Stat": "Sum",
        },
        "ReturnData": False,
    }


def windows_file(tmp_path: Path, period: str, *tiers: str) -> Path:
    """A windows file for ``period`` with the given tier lines (YAML flow mappings)."""
    path = tmp_path / f"windows-{period}.yaml"
    body = "\n".join(f"  - {tier}" for tier in tiers)
    path.write_text(f"kind: BurnRateWindows\nversion: 1\nslo_period: {period}\ntiers:\n{body}\n")
    return path


def report_inputs() -> ModuleType:
    """The run-report tests' helpers (``tests/unit/report/report_inputs.py``), for a real ``RunReport``."""
    if "report_inputs" in sys.modules:
        return sys.modules["report_inputs"]
    location = Path(__file__).parents[1] / "report_inputs.py"
    module_spec = importlib.util.spec_from_file_location("report_inputs", location)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["report_inputs"] = module
    module_spec.loader.exec_module(module)
    return module
