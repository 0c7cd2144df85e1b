"""``chainprobe slo``: the export on stdout or in --out; refusals: one line, exit 2, nothing written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from slo_specs import ORDERS, write_spec

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.main import main


@pytest.fixture(autouse=True)
def no_chainprobe_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CHAINPROBE_")]:
        monkeypatch.delenv(name)


def test_openslo_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slo", "--spec", str(ORDERS), "--format", "openslo"]) == ExitCode.OK

    out, err = capsys.readouterr()
    kinds = [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(out)]
    assert kinds == [
        ("SLI", "orders-availability-sli"),
        ("SLO", "orders-availability"),
        ("SLI", "orders-latency-sli"),
        ("SLO", "orders-latency"),
        ("SLI", "orders-delivery-sli"),
        ("SLO", "orders-delivery"),
    ]
    assert err == ""


def test_out_writes_the_file_and_says_what_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "slo.yaml"

    slos = ("--slo", "availability, latency")
    code = main(
        ["slo", "--spec", str(ORDERS), "--format", "cloudwatch-appsignals", *slos, "--out", str(out_file)]
    )

    assert code == ExitCode.OK
    out, err = capsys.readouterr()
    assert out == ""
    assert list(yaml.safe_load(out_file.read_text())["Resources"]) == [
        "OrdersAvailabilitySlo",
        "OrdersLatencySlo",
    ]
    assert err == f"chainprobe: cloudwatch-appsignals: availability, latency in {out_file}\n"


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    try:
        code = main(["slo", *args])
    except SystemExit as stopped:  # argparse's own refusals
        code = int(stopped.code or 0)
    assert code == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--format", "sloth"), "chainprobe: sloth: the availability SLO is CloudWatch metrics"),
        (("--format", "openslo", "--slo", "throughput"), "chainprobe: --slo throughput: the spec defines "),
        (("--format", "prometheus"), "chainprobe: argument --format: invalid choice: 'prometheus'"),
    ],
)
def test_what_cannot_be_exported_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...], line: str
) -> None:
    out_file = tmp_path / "slo.yaml"

    assert refused(capsys, "--spec", str(ORDERS), "--out", str(out_file), *args).startswith(line)
    assert not out_file.exists()


def test_a_spec_without_slo_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def no_slo(data: dict[str, Any]) -> None:
        del data["slo"]

    err = refused(capsys, "--spec", str(write_spec(tmp_path, no_slo)), "--format", "openslo")

    assert err == f"chainprobe: {tmp_path / 'spec.yaml'}: slo: nothing to export (the spec defines no SLO)\n"


def test_an_unwritable_out_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = refused(
        capsys, "--spec", str(ORDERS), "--format", "openslo", "--out", str(tmp_path / "missing" / "slo.yaml")
    )

    assert err.startswith(f"chainprobe: cannot write {tmp_path / 'missing' / 'slo.yaml'}: ")
