"""``chainprobe alarms``: the template on stdout or in --out, notes on stderr; refusals: one line, exit 2."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from alarm_specs import ORDERS, windows_file, write_spec

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.main import main


@pytest.fixture(autouse=True)
def no_chainprobe_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CHAINPROBE_")]:
        monkeypatch.delenv(name)


def test_the_template_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alarms", "--spec", str(ORDERS)]) == ExitCode.OK

    out, err = capsys.readouterr()
    assert yaml.safe_load(out)["AWSTemplateFormatVersion"] == "2010-09-09"
    assert err.splitlines()[-1] == (
        "chainprobe: 12 window alarms, 6 composite alarms (page, ticket), a dashboard of 9 widgets"
    )
    assert "chainprobe: note: sli (availability): NonStandardSyntax" in err


def test_out_writes_the_file_and_says_how_to_deploy_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "alarms.yaml"

    assert main(["alarms", "--spec", str(ORDERS), "--out", str(out_file)]) == ExitCode.OK

    out, err = capsys.readouterr()
    assert out == ""
    assert yaml.safe_load(out_file.read_text())["Resources"]["SliPageFast"]["Type"] == (
        "AWS::CloudWatch::CompositeAlarm"
    )
    assert f"--template-file {out_file} --stack-name chainprobe-orders-alarms" in err
    assert "--parameter-overrides PageTopicArn=<sns topic arn> TicketTopicArn=<sns topic arn>" in err


def test_environment_values_render_the_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHAINPROBE_TABLE", "OrdersStaging")

    assert main(["alarms", "--spec", str(ORDERS)]) == ExitCode.OK

    assert '"TableName", "OrdersStaging"' in capsys.readouterr().out


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["alarms", *args]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    return line


def test_a_limit_violation_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    windows = windows_file(
        tmp_path,
        "30d",
        "{name: slow, severity: ticket, budget_percent: 50, long_window: 10d, short_window: 1d}",
    )

    line = refused(capsys, "--spec", str(ORDERS), "--windows", str(windows))

    assert line.startswith(
        f"chainprobe: {windows}: tier slow: long_window 10d: longer than a CloudWatch alarm"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("slo"), "slo: burn-rate alarms need the SLO"),
        (lambda d: (d.pop("metric_math"), d.pop("cloudwatch_publish")), "nothing to alarm on"),
        (lambda d: d["slo"].update(window="28d"), "no burn-rate windows ship for a 28d SLO period"),
        (lambda d: d.update(unknown=1), "unknown: "),
    ],
)
def test_what_cannot_be_generated_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, expected: str
) -> None:
    line = refused(capsys, "--spec", str(write_spec(tmp_path, change)))

    assert line.startswith("chainprobe: ") and expected in line


def test_an_unwritable_out_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, "--spec", str(ORDERS), "--out", str(tmp_path / "missing" / "alarms.yaml"))

    assert line.startswith("chainprobe: cannot write ") and "No such file or directory" in line
