"""Every exit-code path of ``chainprobe``, through ``main``: 0 SLO met, 1 SLO breached, 2 bad usage or
config, 3 unreachable (a failed Locust driver), 4 an internal error (never 1: a bug is not a breach).

Most cases run ``chainprobe report --run ID`` on a ledger of hand-made runs (``CHAINPROBE_LEDGER``), so
the whole command runs: the ledger, the spec, the report, the gate, the exit code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from chainprobe import pipeline
from chainprobe.cli import load_commands
from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.main import main
from chainprobe.drive.canary import FaultMarkerError
from chainprobe.drive.load import DriverError, LoadSummary, RemoteTargetError, ShapeError, load_shapes
from chainprobe.drive.load.memory_growth import RssSample, memory_growth
from chainprobe.ledger import FailureClass, Ledger, OrderOutcome, Verdict
from chainprobe.ledger.exceptions import LedgerBusyError
from chainprobe.load_pipeline import LoadOutcome
from chainprobe.pipeline import RunOutcome, report_run
from chainprobe.report.writer import ReportDirError
from chainprobe.run_lifecycle import RunStop, StopCause
from chainprobe.spec.exceptions import SpecError
from chainprobe.stacks.exceptions import ServerStartError, StackConfigError, ToolMissingError
from chainprobe.target import TargetConfigError
from chainprobe.verify.courier import CourierJournalError

SPEC_TEXT = """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
courier:
  admin_url: "${courier_url}"
  url_path: /deliveries
  order_id_json_path: $.orderId
deadlines: {api: 10, courier: 30}
slo:
  availability: {objective: 0.5}
  delivery: {objective: 0.9, deadline_seconds: 20, gate: GATE}
"""


def test_the_documented_codes() -> None:
    assert {code.name: int(code) for code in ExitCode}.items() >= {
        "OK": 0,
        "SLO_BREACHED": 1,
        "USAGE": 2,
        "UNREACHABLE": 3,
        "INTERNAL": 4,
    }.items()


def recorded_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    bad: int = 0,
    delivery: Verdict | None = Verdict.GOOD,
    gate: bool = True,
) -> str:
    """A verified run of four orders (``bad`` of them http_5xx), the good ones' delivery ``delivery``."""
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC_TEXT.replace("GATE", "true" if gate else "false"))
    monkeypatch.setenv("CHAINPROBE_LEDGER", str(tmp_path / "ledger.sqlite"))
    monkeypatch.delenv("CHAINPROBE_DEBUG", raising=False)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = ledger.create_run(
            spec_path=str(spec), spec_name="shop", target="test", started_at=100.0
        ).run_id
        outcomes = []
        for seq in range(4):
            ledger.plan_order(run_id, seq=seq, order_id=f"o-{seq}", planned_at=100.0 + seq)
            status = 502 if seq < bad else 201
            ledger.record_api_answer(run_id, seq, sent_at=100.0 + seq, status=status, latency_ms=80.0)
            if seq < bad:
                outcomes.append(
                    OrderOutcome(seq=seq, chain_verdict=Verdict.BAD, chain_failure=FailureClass.HTTP_5XX)
                )
            else:
                failure = FailureClass.COURIER_FAILED if delivery is Verdict.BAD else None
                outcomes.append(
                    OrderOutcome(
                        seq=seq,
                        chain_verdict=Verdict.GOOD,
                        delivery_verdict=delivery,
                        delivery_failure=failure,
                    )
                )
        ledger.record_outcomes(run_id, outcomes)
        ledger.mark_run_verified(run_id, ended_at=140.0)
    return run_id


def test_slo_met_is_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = recorded_run(tmp_path, monkeypatch)
    assert main(["report", "--run", run_id]) == ExitCode.OK


def test_slo_breached_is_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = recorded_run(tmp_path, monkeypatch, bad=3)  # 25% against 50%
    assert main(["report", "--run", run_id]) == ExitCode.SLO_BREACHED


def test_pending_deliveries_of_a_non_gating_objective_leave_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = recorded_run(tmp_path, monkeypatch, delivery=Verdict.PENDING, gate=False)
    assert main(["report", "--run", run_id]) == ExitCode.OK


def test_pending_deliveries_of_a_gating_objective_are_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = recorded_run(tmp_path, monkeypatch, delivery=Verdict.PENDING, gate=True)
    assert main(["report", "--run", run_id]) == ExitCode.SLO_BREACHED  # the gate fails closed


def test_failed_deliveries_of_a_non_gating_objective_leave_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = recorded_run(tmp_path, monkeypatch, delivery=Verdict.BAD, gate=False)
    assert main(["report", "--run", run_id]) == ExitCode.OK


def test_an_unknown_run_is_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded_run(tmp_path, monkeypatch)
    assert main(["report", "--run", "r-nope"]) == ExitCode.USAGE
    assert capsys.readouterr().err == "chainprobe: no run r-nope in the ledger\n"


def test_bad_usage_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report"])
    assert exited.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("chainprobe: ") and len(err.splitlines()) == 1


def test_an_internal_error_is_4_never_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = recorded_run(tmp_path, monkeypatch, bad=3)  # the run breached its SLO: still 4, not 1

    def broken(**_: object) -> object:
        raise KeyError("orders")

    monkeypatch.setattr(pipeline, "build_report", broken)

    assert main(["report", "--run", run_id]) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert err.startswith("chainprobe: internal error: KeyError: 'orders'")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_locust_driver_that_cannot_start_is_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(**_: object) -> LoadOutcome:
        raise DriverError("the Locust master exited at start (logs in /tmp/load)")

    monkeypatch.setattr(load_commands, "run_load", fails)

    assert main(["load", "--shape", "arrival-ramp"]) == ExitCode.UNREACHABLE
    assert capsys.readouterr().err == "chainprobe: the Locust master exited at start (logs in /tmp/load)\n"


@pytest.mark.parametrize(("bad", "code"), [(0, ExitCode.UNREACHABLE), (3, ExitCode.SLO_BREACHED)])
def test_a_locust_driver_that_ended_badly_is_3_unless_the_slo_breached(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bad: int,
    code: ExitCode,
) -> None:
    run_id = recorded_run(tmp_path, monkeypatch, bad=bad)
    report = report_run(run_id=run_id, report_dir=None).report
    shape = load_shapes(environ={}).get("arrival-ramp")
    outcome = LoadOutcome(
        run=RunOutcome(report=report, files=None),
        summary=LoadSummary.build(shape=shape, orders=report.orders),
        driver_failed="the Locust worker 2 was lost",
    )
    monkeypatch.setattr(load_commands, "run_load", lambda **_: outcome)

    assert main(["load", "--shape", "arrival-ramp"]) == code
    assert "the Locust worker 2 was lost" in capsys.readouterr().err


@pytest.mark.parametrize(("growth", "code"), [(6.0, ExitCode.OK), (7.0, ExitCode.SLO_BREACHED)])
def test_a_soaks_memory_growth_beyond_its_bound_is_1(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    growth: float,
    code: ExitCode,
) -> None:
    run_id = recorded_run(tmp_path, monkeypatch, bad=0)
    report = report_run(run_id=run_id, report_dir=None).report
    shape = load_shapes(environ={}).get("soak")
    samples = [RssSample(t=0, rss_mb=100), RssSample(t=1, rss_mb=100)]
    samples += [RssSample(t=2, rss_mb=100 + growth), RssSample(t=3, rss_mb=100 + growth)]
    memory = memory_growth(samples, max_growth_mb=6.0)
    outcome = LoadOutcome(
        run=RunOutcome(report=report, files=None),
        summary=LoadSummary.build(shape=shape, orders=report.orders, memory=memory),
    )
    monkeypatch.setattr(load_commands, "run_load", lambda **_: outcome)

    assert report.gate.met
    assert main(["load", "--shape", "soak"]) == code
    captured = capsys.readouterr()
    assert f"growth +{growth:.1f} MB (bound 6 MB)" in captured.out
    assert ("the harness's memory grew beyond the shape's bound" in captured.err) is (
        code == ExitCode.SLO_BREACHED
    )


@pytest.mark.parametrize(
    ("publish_error", "stop", "code"),
    [
        ("CloudWatch refused the metrics", None, ExitCode.UNREACHABLE),  # met, but not published: 3
        (None, RunStop(StopCause.INTERRUPTED, "SIGINT"), ExitCode.INTERRUPTED),  # stopped: the stop's code
    ],
)
def test_a_load_run_that_met_its_slo_exits_with_what_went_wrong_around_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    publish_error: str | None,
    stop: RunStop | None,
    code: ExitCode,
) -> None:
    run_id = recorded_run(tmp_path, monkeypatch)
    report = report_run(run_id=run_id, report_dir=None).report
    assert report.gate.met
    shape = load_shapes(environ={}).get("arrival-ramp")
    outcome = LoadOutcome(
        run=RunOutcome(report=report, files=None, publish_error=publish_error, stop=stop),
        summary=LoadSummary.build(shape=shape, orders=report.orders),
    )
    monkeypatch.setattr(load_commands, "run_load", lambda **_: outcome)
    assert main(["load", "--shape", "arrival-ramp"]) == code


# -- what each kind of error becomes, raised inside a command ------------------------------------

ERRORS = [
    (SpecError("expected a number", source="shop.yaml", field="deadlines.api"), ExitCode.USAGE),
    (TargetConfigError("no table Orders"), ExitCode.USAGE),
    (FaultMarkerError("no send.fault_marker_path"), ExitCode.USAGE),
    (ShapeError("no shape named x"), ExitCode.USAGE),
    (RemoteTargetError("not loopback"), ExitCode.USAGE),
    (LedgerBusyError("locked"), ExitCode.USAGE),
    (ToolMissingError("java is missing"), ExitCode.USAGE),
    (StackConfigError("CHAINPROBE_LOCALSTACK_PORT: not a port"), ExitCode.USAGE),
    (ReportDirError("reports/: not a directory"), ExitCode.USAGE),
    (NoCredentialsError(), ExitCode.USAGE),
    (DriverError("the Locust master exited at start"), ExitCode.UNREACHABLE),
    (ServerStartError("LocalStack did not start"), ExitCode.UNREACHABLE),
    (CourierJournalError("courier journal at http://127.0.0.1:9: refused"), ExitCode.UNREACHABLE),
    (ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "Query"), ExitCode.UNREACHABLE),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:4566"), ExitCode.UNREACHABLE),
    (RuntimeError("a bug"), ExitCode.INTERNAL),
    (KeyError("a bug"), ExitCode.INTERNAL),
    (ValueError("a bug"), ExitCode.INTERNAL),
]


@pytest.mark.parametrize(("error", "code"), ERRORS, ids=[type(error).__name__ for error, _ in ERRORS])
def test_what_an_error_inside_a_command_exits_with(
    error: Exception,
    code: ExitCode,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = recorded_run(tmp_path, monkeypatch, bad=3)  # a breached run: no error may come out as 1

    def raises(**_: object) -> object:
        raise error

    monkeypatch.setattr(pipeline, "build_report", raises)

    assert main(["report", "--run", run_id]) == code
    err = capsys.readouterr().err
    assert err.startswith("chainprobe: ") and len(err.splitlines()) == 1 and "Traceback" not in err
