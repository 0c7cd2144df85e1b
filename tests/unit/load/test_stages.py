"""``--stages``: a shape written on the command line, read strictly (one line, exit 2, before any order)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainprobe.cli.main import main
from chainprobe.drive.load.exceptions import InvalidShapesError
from chainprobe.drive.load.stages import parse_stages

ROOT = Path(__file__).resolve().parents[3]
SPEC = str(ROOT / "probes" / "orders.yaml")


@pytest.mark.parametrize(
    ("text", "stages", "duration", "planned"),
    [
        # 5 x 60 + (5 + 15) / 2 x 120 + 15 x 300 = 300 + 1200 + 4500
        ("60s:5/s,120s:5-15/s,300s:15/s", [(60, 5, 5), (120, 5, 15), (300, 15, 15)], 480, 6000),
        ("1m:2/s", [(60, 2, 2)], 60, 120),
        ("10s:0-4/s", [(10, 0, 4)], 10, 20),  # a ramp from nothing: 4 / 2 x 10
        ("2s:0.5/s,1h:0/s,3s:1.5-0.5/s", [(2, 0.5, 0.5), (3600, 0, 0), (3, 1.5, 0.5)], 3605, 4),
    ],
)
def test_segments_become_stages(
    text: str, stages: list[tuple[float, float, float]], duration: float, planned: int
) -> None:
    shape = parse_stages(text)
    assert [(s.duration_s, s.start_rate, s.end_rate) for s in shape.stages] == stages
    assert [s.name for s in shape.stages] == [f"s{i}" for i in range(1, len(stages) + 1)]
    assert (shape.name, shape.duration_s, shape.planned_orders) == ("stages", duration, planned)


def test_the_issues_example_schedules_its_arrivals() -> None:
    shape = parse_stages("60s:5/s,120s:5-15/s,300s:15/s")
    assert shape.arrival_time(0) == 0.0
    assert shape.arrival_time(299) == pytest.approx(59.8)  # the last of 300 at 5/s: 299 / 5
    assert shape.arrival_time(300) == pytest.approx(60.0)  # the ramp's first
    # 300 + 5t + t^2 / 24 = 1500 at t = 120: the ramp's last arrival is the hold's first
    assert shape.arrival_time(1500) == pytest.approx(180.0)
    assert shape.arrival_time(1515) == pytest.approx(181.0)  # 15 more at 15/s
    assert shape.arrival_time(6000) is None


BAD = [
    ("", "--stages: empty (expected DURATION:RATE/s or DURATION:FROM-TO/s, e.g. 60s:5/s or 120s:5-15/s)"),
    ("60s:5", "segment 1 '60s:5': expected DURATION:RATE/s"),
    ("60s:5/s,", "segment 2 '': expected"),
    ("60s:5/s, 60s:6/s", "segment 2 ' 60s:6/s': expected"),
    ("60:5/s", "segment 1 '60:5/s': expected"),
    ("60s:5/m", "segment 1 '60s:5/m': expected"),
    ("60s:-5/s", "segment 1 '60s:-5/s': expected"),
    ("60s:5-/s", "segment 1 '60s:5-/s': expected"),
    ("60s:1e3/s", "segment 1 '60s:1e3/s': expected"),
    ("0s:5/s", "segment 1 '0s:5/s': the duration must be above 0"),
    ("1m:20000/s", "segment 1 '1m:20000/s': a rate is at most 10000/s"),
    ("1m:0-10001/s", "a rate is at most 10000/s"),
    ("10s:0/s", "--stages: '10s:0/s' plans no order (rates x durations sum below 1)"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[text or "empty" for text, _ in BAD])
def test_bad_text_is_one_line(text: str, message: str) -> None:
    with pytest.raises(InvalidShapesError) as raised:
        parse_stages(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_bad_stages_on_the_command_line_exit_2_before_any_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("CHAINPROBE_LEDGER", str(tmp_path / "ledger.sqlite"))
    with pytest.raises(SystemExit) as raised:
        main(["load", "--spec", SPEC, "--stages", "60s:5/s,120s:5-15"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        "chainprobe: argument --stages: segment 2 '120s:5-15': expected DURATION:RATE/s or "
        "DURATION:FROM-TO/s, e.g. 60s:5/s or 120s:5-15/s (see 'chainprobe load --help')\n"
    )
    assert not (tmp_path / "ledger.sqlite").exists()  # nothing was recorded, nothing sent


def test_shape_and_stages_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["load", "--shape", "step", "--stages", "60s:5/s"])
    assert raised.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["load"])
    assert "one of the arguments --shape --stages is required" in capsys.readouterr().err
