"""``--html``: canary and verify write report.html into --report-dir (or refuse in one line without it);
``report --run ID --html FILE`` writes it to FILE; ``conclude(html=True)`` writes it with the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chainprobe.cli import run_commands
from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.main import main
from chainprobe.ledger import Ledger, Verdict
from chainprobe.ledger.model import OrderOutcome
from chainprobe.pipeline import RunOutcome, conclude
from chainprobe.report import RunReport, build_report, render_html
from chainprobe.spec import parse_spec
from tests.unit.cli.fake_verifier import FakeVerifier

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
"""
)


def one_order_run(ledger: Ledger) -> str:
    run = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="local", started_at=100.0)
    ledger.plan_order(run.run_id, seq=0, order_id="o-1", planned_at=100.0)
    ledger.record_api_answer(run.run_id, 0, sent_at=100.0, status=201, latency_ms=80.0)
    ledger.record_outcomes(run.run_id, [OrderOutcome(seq=0, chain_verdict=Verdict.GOOD)])
    return run.run_id


def a_report(tmp_path: Path) -> RunReport:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = one_order_run(ledger)
        ledger.mark_run_verified(run_id, ended_at=130.0)
        return build_report(run=ledger.get_run(run_id), orders=ledger.orders(run_id), spec=SPEC)


def must_not_run(**_: Any) -> RunOutcome:
    raise AssertionError("nothing should run")


@pytest.mark.parametrize(
    "argv",
    [
        ["canary", "--spec", "probes/orders.yaml", "--html"],
        ["verify", "--run", "r-1", "--html"],
    ],
)
def test_html_without_report_dir_is_refused_in_one_line_before_anything_runs(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(run_commands, "run_canary", must_not_run)
    monkeypatch.setattr(run_commands, "finish_run", must_not_run)

    assert main(argv) == ExitCode.USAGE

    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err == "chainprobe: --html writes report.html into --report-dir: give --report-dir DIR too\n"
    )


@pytest.mark.parametrize("command", ["canary", "verify"])
def test_html_with_report_dir_is_passed_on(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}
    report = a_report(tmp_path)

    def record(**kwargs: Any) -> RunOutcome:
        seen.update(kwargs)
        return RunOutcome(report=report, files=None)

    monkeypatch.setattr(run_commands, "run_canary", record)
    monkeypatch.setattr(run_commands, "finish_run", record)
    target = ["--spec", "probes/orders.yaml"] if command == "canary" else ["--run", "r-1"]

    assert main([command, *target, "--report-dir", str(tmp_path / "out"), "--html"]) == ExitCode.OK
    assert seen["html"] is True and seen["report_dir"] == tmp_path / "out"
    assert main([command, *target]) == ExitCode.OK
    assert seen["html"] is False


def test_report_html_writes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = a_report(tmp_path)
    monkeypatch.setattr(run_commands, "report_run", lambda **_: RunOutcome(report=report, files=None))
    target = tmp_path / "html" / "run.html"

    assert main(["report", "--run", report.run.run_id, "--html", str(target)]) == ExitCode.OK

    assert target.read_text(encoding="utf-8") == render_html(report)
    captured = capsys.readouterr()
    assert "chainprobe shop: SLO MET" in captured.out
    assert captured.err == f"chainprobe: HTML report in {target}\n"


def test_report_html_that_cannot_be_written_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = a_report(tmp_path)
    monkeypatch.setattr(run_commands, "report_run", lambda **_: RunOutcome(report=report, files=None))
    (tmp_path / "a-file").write_text("")

    code = main(["report", "--run", report.run.run_id, "--html", str(tmp_path / "a-file" / "run.html")])

    assert code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"chainprobe: cannot write {tmp_path / 'a-file' / 'run.html'}: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("html", [True, False])
def test_conclude_writes_report_html_when_asked(tmp_path: Path, html: bool) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = one_order_run(ledger)
        outcome = conclude(
            run_id,
            SPEC,
            FakeVerifier(),  # type: ignore[arg-type]
            ledger,
            tmp_path / "reports",
            html=html,
        )

    assert outcome.files is not None
    assert (tmp_path / "reports" / "report.html").exists() is html
    assert outcome.files.html == ((tmp_path / "reports" / "report.html") if html else None)
    assert outcome.files.json.exists()
