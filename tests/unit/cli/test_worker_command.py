"""``chainprobe worker --master HOST[:PORT]`` and the master's ``--expect-workers`` options: parsing and
bad input (one line, exit 2), without starting Locust."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chainprobe.cli import load_commands
from chainprobe.cli.load_commands import master_address, port_number
from chainprobe.cli.main import build_parser, main
from tests.unit.load.test_master_probe import refusing_port

CHAINPROBE = str(Path(sys.executable).parent / "chainprobe")


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


@pytest.mark.parametrize(
    ("value", "shown"),
    [(":5557", "':5557'"), ("", "''"), ("master:0", "'master:0'"), ("master:65536", "'master:65536'")],
)
def test_a_bad_master_value_is_exit_2_in_one_line_before_anything_starts(
    value: str, shown: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    probed: list[str] = []
    monkeypatch.setattr(load_commands, "probe_master", lambda *a, **k: probed.append("probed"))
    monkeypatch.setattr(os, "execv", lambda *a: probed.append("Locust started"))
    with pytest.raises(SystemExit) as exit_info:
        main(["worker", "--master", value])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"chainprobe: argument --master: expected HOST[:PORT], got {shown} (see 'chainprobe worker --help')"
    ]
    assert probed == []


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_bad_master_wait_is_exit_2(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["worker", "--master", "127.0.0.1:5557", "--master-wait", value])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("chainprobe: argument --master-wait: expected")


def test_the_master_wait_defaults_to_a_minute() -> None:
    assert build_parser().parse_args(["worker", "--master", "m"]).master_wait == 60.0


def test_an_unreachable_master_is_exit_3_in_one_line_naming_it_within_the_wait(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: object) -> None:
        raise AssertionError("Locust was started for an unreachable master")

    monkeypatch.setattr(os, "execv", never)
    port = refusing_port()
    began = time.monotonic()
    code = main(["worker", "--master", f"127.0.0.1:{port}", "--master-wait", "1.2"])
    took = time.monotonic() - began
    assert code == 3
    [line] = capsys.readouterr().err.splitlines()
    assert re.fullmatch(
        rf"chainprobe: the Locust master 127\.0\.0\.1:{port} is unreachable: connection refused "
        r"\(\d+ attempts in 1\.\d s\)",
        line,
    ), line
    assert 1.2 <= took < 1.2 + 5.0


def test_the_worker_command_exits_3_on_an_unreachable_master_without_a_traceback() -> None:
    port = refusing_port()
    command = [CHAINPROBE, "worker", "--master", f"localhost:{port}", "--master-wait", "0.5"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"chainprobe: the Locust master localhost:{port} is unreachable: "), line
