"""The shapes a release test uses (step, spike, soak): hand-computed arrival schedules, shipped and scaled."""

from __future__ import annotations

import pytest

from chainprobe.drive.load.shapes import LoadShape, load_shapes, parse_shapes

SHAPES = load_shapes(environ={})


def stage_counts(shape: LoadShape) -> list[int]:
    """How many of the shape's arrivals are due in each stage (by their due times)."""
    counts, edge = [], 0.0
    due = [shape.arrival_time(k) for k in range(shape.planned_orders)]
    for stage in shape.stages:
        counts.append(sum(1 for t in due if t is not None and edge <= t < edge + stage.duration_s))
        edge += stage.duration_s
    return counts


@pytest.mark.parametrize(
    ("name", "duration", "planned", "rates", "bound"),
    [
        # 60 x (2 + 4 + 6 + 8 + 10)
        ("step", 300.0, 1800, [(2, 2), (4, 4), (6, 6), (8, 8), (10, 10)], None),
        # 60 x 2 + 20 x 15 + 60 x 2
        ("spike", 140.0, 540, [(2, 2), (15, 15), (2, 2)], None),
        # 1800 x 5
        ("soak", 1800.0, 9000, [(5, 5)], 64.0),
    ],
)
def test_release_shapes_as_shipped(
    name: str, duration: float, planned: int, rates: list[tuple[float, float]], bound: float | None
) -> None:
    shape = SHAPES.get(name)
    assert (shape.duration_s, shape.planned_orders, shape.max_memory_growth_mb) == (duration, planned, bound)
    assert [(s.start_rate, s.end_rate) for s in shape.stages] == rates


@pytest.mark.parametrize(
    ("name", "k", "due"),
    [
        ("step", 0, 0.0),
        ("step", 119, 59.5),  # the last of 120 at 2/s
        ("step", 120, 60.0),  # the first of the 4/s step
        ("step", 121, 60.25),
        ("step", 360, 120.0),  # 120 + 240 before the 6/s step
        ("step", 1799, 299.9),  # 1200 before the 10/s step: 240 + 599 / 10
        ("spike", 119, 59.5),
        ("spike", 120, 60.0),  # the spike's first
        ("spike", 419, 60 + 299 / 15),  # its last
        ("spike", 420, 80.0),  # the recovery's first
        ("spike", 539, 139.5),
        ("soak", 8999, 1799.8),
    ],
)
def test_release_shapes_arrivals(name: str, k: int, due: float) -> None:
    assert SHAPES.get(name).arrival_time(k) == pytest.approx(due)


@pytest.mark.parametrize(
    ("name", "scale", "planned", "counts"),
    [
        # stages of 1.2 s: 2.4, 4.8, 7.2, 9.6, 12 arrivals; cumulative 2.4, 7.2, 14.4, 24, 36:
        # k = 0..2 | 3..7 | 8..14 | 15..23 | 24..35
        ("step", 0.02, 36, [3, 5, 7, 9, 12]),
        # 3 s at 2/s, 1 s at 15/s, 3 s at 2/s
        ("spike", 0.05, 27, [6, 15, 6]),
        ("soak", 0.005, 45, [45]),  # 9 s at 5/s
    ],
)
def test_scaled_release_shapes_per_stage(name: str, scale: float, planned: int, counts: list[int]) -> None:
    shape = SHAPES.get(name).scaled(scale)
    assert shape.planned_orders == planned
    assert stage_counts(shape) == counts
    assert shape.max_memory_growth_mb == SHAPES.get(name).max_memory_growth_mb  # scaling keeps the bound


def test_a_memory_bound_is_validated_and_survives_json() -> None:
    text = "kind: LoadShapes\nversion: 1\nshapes:\n  long:\n    max_memory_growth_mb: {}\n    stages:\n"
    text += "      - {{duration: 10s, rate: 1}}\n"
    shape = parse_shapes(text.format(32), source="s.yaml")["long"]
    assert shape.max_memory_growth_mb == 32.0
    assert LoadShape.from_dict(shape.to_dict()) == shape
    with pytest.raises(Exception, match="max_memory_growth_mb"):
        parse_shapes(text.format(0), source="s.yaml")
