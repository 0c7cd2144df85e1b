"""The release shapes (step, spike, soak) on the real local stack: each sent on its schedule.

Each run is a shipped shape compressed in time (``--time-scale``; the rates are the shape's), 7-9 s
of sending. What is asserted does not depend on the machine's speed: the ledger holds exactly the
shape's arrivals, each once; their due times are the hand-computed schedule (to the millisecond,
relative to arrival 0); the count of arrivals per stage is exact; and no order left before it was
due, so the orders of a stage were all sent after that stage began (an open model can only be late:
how late depends on the machine and is reported, not asserted). The soak also reports the harness's
memory growth against its bound, and its exit code follows that bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chainprobe.drive.load.shapes import load_shapes
from chainprobe.ledger.store import Ledger
from tests.integration.spec_variants import Spec, spec_variant

ROOT = Path(__file__).resolve().parents[2]
CHAINPROBE = [str(Path(sys.executable).parent / "chainprobe")]
SHAPES = load_shapes(environ={})


def no_settling(data: Spec) -> None:
    data["event"]["settle_seconds"] = 0
    data["courier"]["settle_seconds"] = 0


@pytest.mark.parametrize(
    ("name", "scale", "counts"),
    [
        (
            "step",
            0.02,
            [3, 5, 7, 9, 12],
        ),  # 1.2 s steps at 2, 4, 6, 8, 10/s: cumulative 2.4, 7.2, 14.4, 24, 36
        ("spike", 0.05, [6, 15, 6]),  # 3 s at 2/s, 1 s at 15/s, 3 s at 2/s
        ("soak", 0.005, [45]),  # 9 s at 5/s
    ],
)
def test_a_release_shape_is_sent_on_its_schedule(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, name: str, scale: float, counts: list[int]
) -> None:
    spec = spec_variant(tmp_path, "orders-no-settle.yaml", no_settling)
    shape = SHAPES.get(name).scaled(scale)

    ran = subprocess.run(
        [
            *CHAINPROBE,
            *("load", "--spec", str(spec), "--shape", name, "--time-scale", str(scale)),
            *("--no-metric-math", "--report-dir", str(tmp_path / "reports")),
        ],
        env=cli_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert ran.returncode in (0, 1), ran.stderr
    assert "Traceback" not in ran.stderr
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    load_report = json.loads((tmp_path / "reports" / "load.json").read_text())
    assert report["complete"] is True, report["end_reason"]
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(report["run_id"])
    assert [o.seq for o in orders] == list(range(sum(counts)))  # every arrival once, none more
    assert load_report["achieved"]["sent"] == load_report["planned"]["orders"] == sum(counts)

    start = orders[0].planned_at  # arrival 0's due time
    for order in orders:
        due = shape.arrival_time(order.seq)
        assert due is not None and order.planned_at - start == pytest.approx(due, abs=1e-3), order
        assert order.sent_at is not None and order.sent_at >= order.planned_at, order  # never early
    per_stage, edge = [], 0.0
    for stage in shape.stages:
        in_stage = [o for o in orders if edge <= o.planned_at - start + 1e-6 < edge + stage.duration_s]
        per_stage.append(len(in_stage))
        assert all(o.sent_at is not None and o.sent_at >= start + edge for o in in_stage)
        edge += stage.duration_s
    assert per_stage == counts

    memory = load_report["memory"]  # sampled in every run; a bound only where the shape states one
    assert memory is not None and memory["samples"] >= 4, load_report
    assert memory["max_growth_mb"] == SHAPES.get(name).max_memory_growth_mb
    assert f"harness RSS {memory['baseline_mb']:.1f} -> {memory['end_mb']:.1f} MB" in ran.stdout
    if memory["exceeded"]:
        assert ran.returncode == 1
        assert "the harness's memory grew beyond the shape's bound" in ran.stderr
    elif name == "soak":
        assert ran.returncode == (0 if report["slo"]["met"] else 1)
