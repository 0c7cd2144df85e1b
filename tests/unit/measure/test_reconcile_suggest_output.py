"""``chainprobe reconcile --suggest``'s output over a fake CloudWatch: a raised handler counted twice
(5XXError + Lambda Errors) and the suggestion that drops Lambda Errors, read on the same window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from cloudwatch_fake import FakeCloudWatch
from test_reconcile import (
    RAISED,
    SPEC,
    T0,
    canary,
    metrics,
)

from chainprobe.cli.reconcile_commands import lines
from chainprobe.measure.reconcile import reconcile_run
from chainprobe.measure.sli import compute_sli
from chainprobe.measure.suggested_sli import suggest
from chainprobe.measure.window_sli import read_window_sli
from chainprobe.run_suggestion import ReconciledRun
from chainprobe.spec import load_spec

ORDERS_SPEC = load_spec(Path(__file__).resolve().parents[3] / "probes" / "orders.yaml")


def reconciled(*, with_suggestion: bool) -> ReconciledRun:
    orders = canary(RAISED)
    cloudwatch = FakeCloudWatch(metrics(orders, lambda_errors=(0, 3)))
    sli = compute_sli(orders)
    assert SPEC is not None
    result = reconcile_run(
        spec=SPEC,
        orders=orders,
        sli=sli,
        ended_at=T0 + 20,
        get_metric_data=cloudwatch.get_metric_data,
        wait_s=0,
    )
    assert result is not None
    suggestion = suggest(SPEC, result.reconciliation) if with_suggestion else None
    suggested = None
    if suggestion is not None:
        suggested = read_window_sli(
            suggestion.metric_math(),
            result.reading.window,
            cloudwatch.get_metric_data,
            shortfall=lambda _s: None,
        )
    return ReconciledRun(
        run_id="r",
        spec=ORDERS_SPEC,
        sli=sli,
        reading=result.reading,
        reconciliation=result.reconciliation,
        suggestion=suggestion,
        suggested=suggested,
    )


def test_the_suggestion_its_reading_and_the_block() -> None:
    out = lines(reconciled(with_suggestion=True))

    # black box 4/6; the formula 1 - (2 + 2)/6; without Lambda Errors 1 - 2/6, the black box's figure
    assert out[0] == "run r: black box 66.67%, metric math 33.33% (gap +33.33 pp)"
    changes = out[out.index(next(line for line in out if line.startswith("http_5xx: drop"))) :]
    assert changes[0] == (
        "http_5xx: drop AWS/Lambda Errors (lambdaFailures) from the failures: a handler that raised is "
        "already the gateway's 5XXError"
    )
    assert changes[1].startswith("  still misses: Lambda errors that never became a gateway 5xx")
    assert changes[2] == (
        "suggested expression on the same window: 66.67% (gap +0.00 pp), the spec's own 33.33%"
    )
    block: dict[str, Any] = yaml.safe_load("\n".join(out[out.index("metric_math:") :]))["metric_math"]
    assert block["availability_id"] == "availability"
    assert [q["Id"] for q in block["Metrics"]] == [
        "totalRequests",
        "apiFailures",
        "eventFailures",
        "availability",
    ]
    assert block["Metrics"][-1]["Expression"] == (
        "1 - ((FILL(apiFailures,0) + FILL(eventFailures,0)) / MAX([totalRequests], 1))"
    )


def test_without_suggest_only_the_reconciliation() -> None:
    out = lines(reconciled(with_suggestion=False))

    assert out[0] == "run r: black box 66.67%, metric math 33.33% (gap +33.33 pp)"
    assert any(line.startswith("http_5xx: black box 2, metric math 4") for line in out)
    assert not any("suggested" in line or line == "metric_math:" for line in out)
