"""Limits and names the command line refuses in one line (exit 2), before anything runs; and redaction
of what the CLI prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.main import build_parser, fail
from chainprobe.cli.run_commands import MAX_COUNT
from chainprobe.cli.stack_commands import say

CANARY = ["canary", "--spec", "probes/orders.yaml"]
LOAD = ["load", "--shape", "arrival-ramp"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            [*CANARY, "--count", str(MAX_COUNT + 1)],
            "argument --count: at most 1,000,000 orders per canary, got 1,000,001",
        ),
        (
            [*CANARY, "--count", "10000000"],
            "argument --count: at most 1,000,000 orders per canary, got 10,000,000",
        ),
        ([*CANARY, "--count", "0"], "argument --count: expected a whole number >= 1, got 0"),
        ([*CANARY, "--count", "1e3"], "argument --count: expected a whole number >= 1, got '1e3'"),
        ([*CANARY, "--rate", "nan"], "argument --rate: expected a finite number > 0, got nan"),
        ([*CANARY, "--rate", "inf"], "argument --rate: expected a finite number > 0, got inf"),
        ([*CANARY, "--rate=-inf"], "argument --rate: expected a finite number > 0, got -inf"),
        ([*CANARY, "--rate", "0"], "argument --rate: expected a number > 0, got 0"),
        ([*CANARY, "--rate", "fast"], "argument --rate: expected a number > 0, got 'fast'"),
        ([*CANARY, "--metric-math-wait", "nan"], "argument --metric-math-wait: expected a finite number > 0"),
        (
            [*CANARY, "--fault-every", "inf"],
            "argument --fault-every: expected a whole number >= 1, got 'inf'",
        ),
        (
            [*CANARY, "--fault", "handler-5000"],
            "argument --fault: unknown fault 'handler-5000'; known faults: ",
        ),
        ([*LOAD, "--time-scale", "nan"], "argument --time-scale: expected a finite number > 0, got nan"),
        ([*LOAD, "--time-scale", "inf"], "argument --time-scale: expected a finite number > 0, got inf"),
        ([*LOAD, "--max-seconds", "nan"], "argument --max-seconds: expected a finite number > 0, got nan"),
        ([*LOAD, "--metric-math-wait", "inf"], "argument --metric-math-wait: expected a finite number > 0"),
        ([*LOAD, "--workers", "two"], "argument --workers: expected a whole number >= 0, got 'two'"),
    ],
)
def test_refused_in_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(argv)  # parsing only: a broken check must not run a canary
    assert raised.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"chainprobe: {message}")


def test_the_maximum_count_is_accepted() -> None:
    args = build_parser().parse_args([*CANARY, "--count", str(MAX_COUNT), "--fault", "handler-500"])
    assert args.count == MAX_COUNT and args.fault == ["handler-500"]


def test_every_line_the_cli_prints_is_redacted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINPROBE_API_KEY", "key-123456789")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws/secret+value")
    assert fail("cannot reach http://h/orders?key=key-123456789", ExitCode.UNREACHABLE) == 3
    say("AWS said aws/secret+value and aws%2Fsecret%2Bvalue")
    err = capsys.readouterr().err
    assert err == ("chainprobe: cannot reach http://h/orders?key=***\nchainprobe: AWS said *** and ***\n")


def test_a_usage_error_that_quotes_a_secret_is_redacted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """argparse quotes the bad value back: a key pasted into the wrong option never reaches the terminal."""
    monkeypatch.setenv("CHAINPROBE_API_KEY", "key-123456789")
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args([*CANARY, "--rate", "key-123456789"])
    assert raised.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "key-123456789" not in err and "***" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", [CANARY, LOAD, ["verify", "--run", "r-1"], ["report", "--run", "r-1"]])
def test_an_unwritable_report_dir_is_refused_while_parsing(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args([*command, "--report-dir", str(blocker / "reports")])
    assert raised.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    reason = "cannot write reports there (Not a directory)"
    assert err.startswith(f"chainprobe: argument --report-dir: {blocker / 'reports'}: {reason}")
    assert err.count("\n") == 1


def test_a_writable_report_dir_is_created(tmp_path: Path) -> None:
    args = build_parser().parse_args([*CANARY, "--report-dir", str(tmp_path / "new" / "reports")])
    assert args.report_dir == tmp_path / "new" / "reports" and args.report_dir.is_dir()
