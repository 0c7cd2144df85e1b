"""``--publish-metrics``: the option, what conclude does when publishing fails, and the exit code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chainprobe.cli import run_commands
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


class RecordingCloudWatch:
    def __init__(self) -> None:
        self.calls = 0

    def put_metric_data(self, **_: Any) -> None:
        self.calls += 1


def test_a_run_is_published_once_and_the_second_publish_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudwatch = RecordingCloudWatch()
    publisher = MetricPublisher(cloudwatch=cloudwatch, dimensions={"Probe": "shop"})
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = one_order_run(ledger, good=True)
        first = conclude(run_id, SPEC, FakeVerifier(), ledger, None, publisher=publisher)  # type: ignore[arg-type]
        sent = cloudwatch.calls
        second = conclude(run_id, SPEC, FakeVerifier(), ledger, None, publisher=publisher)  # type: ignore[arg-type]

    assert first.published is not None and first.publish_note is None and sent > 0
    assert second.published is None and second.publish_error is None
    assert cloudwatch.calls == sent  # nothing sent the second time
    assert finish(second) == ExitCode.OK  # the run's data are in CloudWatch: nothing failed
    lines = [line for line in capsys.readouterr().err.splitlines() if run_id in line]
    assert len(lines) == 1
    assert "was already published at " in lines[0] and "to Chainprobe (Probe=shop)" in lines[0]
    assert "not published again" in lines[0] and "--republish" in lines[0]


def test_republish_publishes_again_and_says_it_double_counts(tmp_path: Path) -> None:
    cloudwatch = RecordingCloudWatch()
    publisher = MetricPublisher(cloudwatch=cloudwatch, dimensions={"Probe": "shop"})
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = one_order_run(ledger, good=True)
        conclude(run_id, SPEC, FakeVerifier(), ledger, None, publisher=publisher)  # type: ignore[arg-type]
        sent = cloudwatch.calls
        again = conclude(
            run_id,
            SPEC,
            FakeVerifier(),  # type: ignore[arg-type]
            ledger,
            None,
            publisher=publisher,
            republish=True,
        )

    assert again.published is not None and cloudwatch.calls == 2 * sent
    assert again.publish_note is not None and "2 times" in again.publish_note
    assert "counted" in again.publish_note or "count 2x" in again.publish_note


def test_a_failed_publish_leaves_the_run_unpublished(tmp_path: Path) -> None:
    refused = ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "PutMetricData")
    failing = MetricPublisher(cloudwatch=RefusingCloudWatch(refused), dimensions={"Probe": "shop"})
    cloudwatch = RecordingCloudWatch()
    working = MetricPublisher(cloudwatch=cloudwatch, dimensions={"Probe": "shop"})
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = one_order_run(ledger, good=True)
        failed = conclude(run_id, SPEC, FakeVerifier(), ledger, None, publisher=failing)  # type: ignore[arg-type]
        retried = conclude(run_id, SPEC, FakeVerifier(), ledger, None, publisher=working)  # type: ignore[arg-type]

    assert failed.publish_error is not None and failed.published is None
    assert retried.published is not None and retried.publish_note is None and cloudwatch.calls > 0


@pytest.mark.parametrize(("flag", "expected"), [([], False), (["--republish"], True)])
def test_verify_passes_republish_to_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str], expected: bool
) -> None:
    asked: dict[str, Any] = {}

    def finish_run(**kwargs: Any) -> RunOutcome:
        asked.update(kwargs)
        return RunOutcome(report=report(tmp_path, good=True), files=None)

    monkeypatch.setattr(run_commands, "finish_run", finish_run)
    args = build_parser().parse_args(["verify", "--run", "r-1", "--publish-metrics", *flag])

    assert args.handler(args) == ExitCode.OK
    assert (asked["run_id"], asked["publish_metrics"], asked["republish"]) == ("r-1", True, expected)


def test_publish_metrics_is_an_option_of_canary_and_verify() -> None:
    parser = build_parser()
    canary = parser.parse_args(["canary", "--spec", "probes/orders.yaml", "--publish-metrics"])
    verify = parser.parse_args(["verify", "--run", "r-1", "--publish-metrics"])
    assert canary.publish_metrics and verify.publish_metrics
    assert not parser.parse_args(["canary", "--spec", "probes/orders.yaml"]).publish_metrics
