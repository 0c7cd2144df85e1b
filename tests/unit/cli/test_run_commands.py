"""``--publish-metrics``: the option, what conclude does when publishing fails, and the exit code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.main import build_parser
from chainprobe.cli.run_commands import finish
from chainprobe.ledger import FailureClass, Ledger, OrderOutcome, Verdict
from chainprobe.pipeline import RunOutcome, conclude
from chainprobe.report import PublishedMetrics, RunReport, build_report
from chainprobe.report.cloudwatch import MetricPublisher
from chainprobe.spec import parse_spec
from tests.unit.cli.fake_verifier import FakeVerifier

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
cloudwatch_publish: {dimensions: {Probe: shop}}
"""
)
PUBLISHED = PublishedMetrics(
    namespace="Chainprobe", dimensions={"Probe": "shop"}, count=7, timestamp=datetime(2026, 1, 1, tzinfo=UTC)
)


def one_order_run(ledger: Ledger, *, good: bool) -> str:
    run = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="local", started_at=100.0)
    ledger.plan_order(run.run_id, seq=0, order_id=f"o-{run.run_id}", planned_at=100.0)
    ledger.record_api_answer(run.run_id, 0, sent_at=100.0, status=201 if good else 502, latency_ms=80.0)
    ledger.mark_run_sent(run.run_id)
    outcome = (
        OrderOutcome(seq=0, chain_verdict=Verdict.GOOD)
        if good
        else OrderOutcome(seq=0, chain_verdict=Verdict.BAD, chain_failure=FailureClass.HTTP_5XX)
    )
    ledger.record_outcomes(run.run_id, [outcome])
    return run.run_id


def report(tmp_path: Path, *, good: bool) -> RunReport:
    with Ledger(tmp_path / f"ledger-{good}.sqlite") as ledger:
        run_id = one_order_run(ledger, good=good)
        ledger.mark_run_verified(run_id, ended_at=130.0)
        return build_report(run=ledger.get_run(run_id), orders=ledger.orders(run_id), spec=SPEC)


@pytest.mark.parametrize(
    ("good", "published", "error", "code"),
    [
        (True, PUBLISHED, None, ExitCode.OK),
        (True, None, "AWS said AccessDenied: no", ExitCode.UNREACHABLE),
        (False, None, "AWS said AccessDenied: no", ExitCode.SLO_BREACHED),  # the breach matters more
        (False, PUBLISHED, None, ExitCode.SLO_BREACHED),
    ],
)
def test_exit_code_and_lines(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    good: bool,
    published: PublishedMetrics | None,
    error: str | None,
    code: ExitCode,
) -> None:
    outcome = RunOutcome(
        report=report(tmp_path, good=good), files=None, published=published, publish_error=error
    )

    assert finish(outcome) == code

    err = capsys.readouterr().err
    if published is not None:
        assert "published 7 metrics to CloudWatch namespace Chainprobe (Probe=shop)" in err
    if error is not None:
        assert f"publishing metrics to CloudWatch failed: {error}" in err


class RefusingCloudWatch:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def put_metric_data(self, **_: Any) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "PutMetricData"),
            "AWS said AccessDenied: not allowed",
        ),
        (EndpointConnectionError(endpoint_url="https://monitoring.test"), "monitoring.test"),
    ],
)
def test_conclude_writes_the_reports_and_keeps_the_publish_error(
    tmp_path: Path, error: Exception, expected: str
) -> None:
    publisher = MetricPublisher(cloudwatch=RefusingCloudWatch(error), dimensions={"Probe": "shop"})
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = one_order_run(ledger, good=True)
        outcome = conclude(
            run_id,
            SPEC,
            FakeVerifier(),  # type: ignore[arg-type]
            ledger,
            tmp_path / "reports",
            publisher=publisher,
        )

    assert outcome.published is None
    assert outcome.publish_error is not None and expected in outcome.publish_error
    assert outcome.files is not None and outcome.files.json.exists()
    assert outcome.report.gate.met


def test_publish_metrics_is_an_option_of_canary_and_verify() -> None:
    parser = build_parser()
    canary = parser.parse_args(["canary", "--spec", "probes/orders.yaml", "--publish-metrics"])
    verify = parser.parse_args(["verify", "--run", "r-1", "--publish-metrics"])
    assert canary.publish_metrics and verify.publish_metrics
    assert not parser.parse_args(["canary", "--spec", "probes/orders.yaml"]).publish_metrics
