"""``chainprobe reconcile``: what cannot be reconciled is one line, exit 2, before any stack is looked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import chainprobe.cli.reconcile_commands as reconcile_commands
from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.main import main
from chainprobe.ledger.store import Ledger

ORDERS = Path(__file__).resolve().parents[3] / "probes" / "orders.yaml"


@pytest.fixture
def ledger_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.sqlite"
    monkeypatch.setenv("CHAINPROBE_LEDGER", str(path))

    def no_stack(**_kwargs: Any) -> None:
        raise AssertionError("the stack was looked for")

    monkeypatch.setattr(reconcile_commands, "resolve_target", no_stack)
    return path


def recorded(ledger_path: Path, spec_path: Path, *, sent: bool) -> str:
    with Ledger(ledger_path) as ledger:
        run = ledger.create_run(
            spec_path=str(spec_path), spec_name="orders", target="local", started_at=100.0
        )
        if sent:
            ledger.plan_order(run.run_id, seq=0, order_id="o-0", planned_at=100.0)
            ledger.record_api_answer(run.run_id, 0, sent_at=100.0, status=201, latency_ms=80.0)
        return run.run_id


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["reconcile", *args]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    return err


def test_an_unknown_run(ledger_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorded(ledger_path, ORDERS, sent=True)

    assert "r-nope" in refused(capsys, "--run", "r-nope", "--suggest")


def test_a_spec_without_metric_math(
    ledger_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(ORDERS.read_text())
    del data["metric_math"]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data))
    run_id = recorded(ledger_path, spec, sent=True)

    err = refused(capsys, "--run", run_id, "--suggest")

    assert err == f"chainprobe: {spec}: the spec has no metric_math section to reconcile with\n"


def test_a_run_that_sent_nothing(ledger_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = recorded(ledger_path, ORDERS, sent=False)

    assert (
        refused(capsys, "--run", run_id) == f"chainprobe: run {run_id} sent no order: nothing to reconcile\n"
    )
