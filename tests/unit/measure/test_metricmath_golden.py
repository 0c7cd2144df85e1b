"""Golden input/output for the design's availability SLI, and the modules' docstring examples.

The golden file holds a GetMetricData request, per-scenario datapoints and the expected
MetricDataResults (newest first, as GetMetricData answers). It fails if FILL stops filling:
without it the zero-traffic scenario has no datapoints and 12:02 drops out of the other.
"""

import doctest
import importlib
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from chainprobe.measure.metricmath import Series, evaluate

GOLDEN = json.loads((Path(__file__).parent / "golden" / "availability_sli.json").read_text())


def golden_fetch(datapoints: Mapping[str, Mapping[str, float]]) -> Any:
    def fetch(metric_stat: Mapping[str, Any], start: datetime, end: datetime, period: int) -> Series:
        metric = metric_stat["Metric"]
        points = datapoints.get(f"{metric['Namespace']}/{metric['MetricName']}", {})
        return Series(period, {datetime.fromisoformat(ts): value for ts, value in points.items()})

    return fetch


def as_json(result: Mapping[str, Any]) -> dict[str, Any]:
    return {**result, "Timestamps": [ts.isoformat() for ts in result["Timestamps"]]}


@pytest.mark.parametrize("scenario", sorted(GOLDEN["scenarios"]))
def test_availability_golden(scenario: str) -> None:
    case = GOLDEN["scenarios"][scenario]
    result = evaluate(
        GOLDEN["queries"],
        start=datetime.fromisoformat(GOLDEN["start"]),
        end=datetime.fromisoformat(GOLDEN["end"]),
        fetch=golden_fetch(case["datapoints"]),
    )
    actual = [as_json(r.to_dict()) for r in result.results]
    expected = case["expected"]
    assert [{**a, "Values": pytest.approx(a["Values"])} for a in expected] == actual


@pytest.mark.parametrize(
    "module",
    [
        "",
        ".series",
        ".parser",
        ".operators",
        ".functions",
        ".queries",
        ".results",
        ".evaluator",
        ".exceptions",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    loaded = importlib.import_module(f"chainprobe.measure.metricmath{module}")
    failures, _ = doctest.testmod(loaded, optionflags=doctest.ELLIPSIS)
    assert failures == 0
