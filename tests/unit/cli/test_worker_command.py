"""``chainprobe worker --master HOST[:PORT]`` and the master's ``--expect-workers`` options: parsing and
bad input (one line, exit 2), without starting Locust."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from chainprobe.cli.load_commands import master_address, port_number
from chainprobe.cli.main import build_parser, main


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10.0.0.5:5557", ("10.0.0.5", 5557)), ("master.local", ("master.local", 5557)), ("h:1", ("h", 1))],
)
def test_a_master_address_is_a_host_and_a_port(text: str, expected: tuple[str, int]) -> None:
    assert master_address(text) == expected


@pytest.mark.parametrize("text", [":5557", "h:", "h:port", "h:0", "h:65536"])
def test_a_bad_master_address_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="HOST\\[:PORT\\]"):
        master_address(text)


def test_the_master_options_parse() -> None:
    bind = ("--master-bind-host", "10.1.0.1", "--master-bind-port", "5660")
    args = build_parser().parse_args(["load", "--shape", "arrival-ramp", "--expect-workers", "2", *bind])
    assert (args.expect_workers, args.master_bind_host, args.master_bind_port) == (2, "10.1.0.1", 5660)
    defaults = build_parser().parse_args(["load", "--shape", "arrival-ramp"])
    assert (defaults.expect_workers, defaults.master_bind_host, defaults.master_bind_port) == (
        0,
        "127.0.0.1",
        0,
    )
    assert port_number("0") == 0
    with pytest.raises(argparse.ArgumentTypeError):
        port_number("70000")


def test_a_worker_without_a_master_or_with_a_missing_spec_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["worker"])
    assert exit_info.value.code == 2
    assert main(["worker", "--master", "127.0.0.1:5557", "--spec", str(tmp_path / "nope.yaml")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == f"chainprobe: no spec file {tmp_path / 'nope.yaml'}"
