"""``chainprobe load``: its options, and the refusals that happen before any load (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainprobe.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[3]
SPEC = str(ROOT / "probes" / "orders.yaml")


def test_the_options_and_their_defaults() -> None:
    args = build_parser().parse_args(["load", "--shape", "ramp-hold"])
    assert (args.spec, args.shape, args.time_scale, args.workers) == (
        "probes/orders.yaml",
        "ramp-hold",
        1.0,
        0,
    )
    assert (args.max_seconds, args.allow_remote, args.metric_math, args.report_dir) == (
        None,
        False,
        True,
        None,
    )
    args = build_parser().parse_args(
        [
            "load",
            "--shape",
            "x",
            "--time-scale",
            "0.1",
            "--workers",
            "2",
            "--max-seconds",
            "90",
            "--allow-remote",
        ]
    )
    assert (args.time_scale, args.workers, args.max_seconds, args.allow_remote) == (0.1, 2, 90.0, True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--time-scale", "0"], "argument --time-scale: expected a number > 0, got 0"),
        (["--workers", "-1"], "argument --workers: expected a whole number >= 0, got -1"),
    ],
)
def test_bad_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["load", "--shape", "arrival-ramp", *argv])
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_an_unknown_shape_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "--spec", SPEC, "--shape", "ramp-holdd"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "chainprobe: no load shape named 'ramp-holdd' (have: arrival-ramp, ramp-hold, soak, spike, step)\n"
    )


def test_a_remote_target_is_refused_before_any_load(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("CHAINPROBE_API_URL", "http://10.1.2.3/prod")
    monkeypatch.setenv("CHAINPROBE_COURIER_URL", "http://10.1.2.3:8080")
    monkeypatch.setenv("CHAINPROBE_LEDGER", str(tmp_path / "ledger.sqlite"))
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["load", "--spec", SPEC, "--shape", "arrival-ramp"]) == 2

    err = capsys.readouterr().err.splitlines()
    assert err == [
        "chainprobe: refusing to send load to 10.1.2.3: 10.1.2.3 is not a loopback address "
        "(pass --allow-remote for a deliberate run against a real target)"
    ]
    assert not (tmp_path / "ledger.sqlite").exists()  # refused before any run was recorded
