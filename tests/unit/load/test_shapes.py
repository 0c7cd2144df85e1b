"""Load shapes as data: the shipped profiles' rates and ticks, time scale, overrides, one-line errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from chainprobe.drive.load.exceptions import InvalidShapesError, UnknownShapeError
from chainprobe.drive.load.shapes import LoadShape, Stage, load_shapes, parse_shapes

HEADER = "kind: LoadShapes\nversion: 1\n"


@pytest.fixture(scope="module")
def ramp_hold() -> LoadShape:
    return load_shapes(environ={}).get("ramp-hold")


@pytest.fixture(scope="module")
def arrival_ramp() -> LoadShape:
    return load_shapes(environ={}).get("arrival-ramp")


def test_ramp_hold_is_design_profile_a(ramp_hold: LoadShape) -> None:
    assert ramp_hold.duration_s == 780.0
    assert ramp_hold.rate_at(0) == ramp_hold.rate_at(59.9) == 2.0  # 1 min at 2/s
    assert ramp_hold.rate_at(60) == 2.0 and ramp_hold.rate_at(120) == pytest.approx(3.5)
    assert ramp_hold.rate_at(179.999) == pytest.approx(5.0, abs=1e-3)  # 2 min ramping to 5/s
    assert ramp_hold.rate_at(180) == 4.0  # then from 4/s ...
    assert ramp_hold.rate_at(480 - 1e-6) == pytest.approx(15.0)  # ... to 15/s ...
    assert ramp_hold.rate_at(600) == ramp_hold.rate_at(779) == 15.0  # ... and holding
    assert ramp_hold.rate_at(780) == 0.0 and ramp_hold.rate_at(-1) == 0.0
    # 2*60 + (2+5)/2*120 + (4+15)/2*300 + 15*300
    assert ramp_hold.planned_orders == 120 + 420 + 2850 + 4500


def test_arrival_ramp_is_design_profile_b(arrival_ramp: LoadShape) -> None:
    assert arrival_ramp.duration_s == 120.0
    assert arrival_ramp.rate_at(0) == 1.0 and arrival_ramp.rate_at(60) == 5.5
    assert arrival_ramp.rate_at(119.999) == pytest.approx(10.0, abs=1e-3)
    assert arrival_ramp.planned_orders == 660


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (-1.0, (12, 12.0)),  # before arrival 0: the first users (rate 1/s over the next 2 s: 1.15/s x 10)
        (0.0, (12, 12.0)),
        (60.0, (57, 57.0)),  # 5.65/s (peak of the next 2 s) x 10 s of answer time
        (118.5, (100, 100.0)),  # 10/s x 10; spawned at most 100 a second
        (120.0, None),  # the shape is over: Locust stops the test
    ],
)
def test_arrival_ramp_ticks(arrival_ramp: LoadShape, t: float, expected: tuple[int, float] | None) -> None:
    assert arrival_ramp.tick(t) == expected


def test_ramp_hold_ticks_follow_the_rate_and_its_drop(ramp_hold: LoadShape) -> None:
    assert ramp_hold.tick(30.0) == (20, 20.0)  # 2/s
    assert ramp_hold.tick(178.5) == (50, 50.0)  # 5/s just before the drop
    assert ramp_hold.tick(181.0) == (42, 42.0)  # 4.11/s, the peak of the 2 s after it
    assert ramp_hold.tick(700.0) == (150, 100.0)  # 15/s held
    assert ramp_hold.tick(780.0) is None


def test_users_are_clamped_to_the_shapes_bounds() -> None:
    shape = LoadShape(name="x", stages=(Stage(duration_s=100, start_rate=0.1, end_rate=5),), max_users=40)
    assert shape.tick(0.0) == (4, 10.0)  # 0.2/s x 10 s = 2 users: min_users
    assert shape.tick(99.0) == (40, 40.0)  # 5/s x 10 s = 50 users: max_users


def test_time_scale_compresses_durations_and_keeps_rates(ramp_hold: LoadShape) -> None:
    scaled = ramp_hold.scaled(0.1)
    assert scaled.duration_s == pytest.approx(78.0)  # a 13-minute shape in 78 s
    assert scaled.time_scale == 0.1
    assert scaled.rate_at(3.0) == ramp_hold.rate_at(30.0) == 2.0
    assert scaled.rate_at(70.0) == ramp_hold.rate_at(700.0) == 15.0
    assert scaled.tick(70.0) == ramp_hold.tick(700.0)
    assert scaled.planned_orders == 789  # a tenth of the orders: same rates, a tenth of the time
    assert ramp_hold.scaled(2).duration_s == 1560.0


@pytest.mark.parametrize("scale", [0, -1, float("inf"), float("nan")])
def test_a_bad_time_scale_is_refused(ramp_hold: LoadShape, scale: float) -> None:
    with pytest.raises(InvalidShapesError, match="time scale"):
        ramp_hold.scaled(scale)


def test_arrival_times_invert_the_cumulative_rate(ramp_hold: LoadShape, arrival_ramp: LoadShape) -> None:
    for shape in (ramp_hold, arrival_ramp, ramp_hold.scaled(0.1)):
        times = [shape.arrival_time(k) for k in range(shape.planned_orders)]
        assert all(t is not None for t in times)
        assert times[0] == 0.0
        assert all(a < b for a, b in itertools.pairwise(times))  # type: ignore[operator]
        assert max(abs(shape.arrivals_by(t) - k) for k, t in enumerate(times)) < 1e-6  # type: ignore[arg-type]
        assert times[-1] < shape.duration_s  # type: ignore[operator]
        assert shape.arrival_time(shape.planned_orders) is None
    assert arrival_ramp.arrival_time(1) == pytest.approx(0.965, abs=1e-3)


def test_the_shape_survives_json(ramp_hold: LoadShape) -> None:
    scaled = ramp_hold.scaled(0.25)
    assert LoadShape.from_dict(scaled.to_dict()) == scaled


def test_an_override_file_replaces_and_adds_shapes(tmp_path: Path) -> None:
    override = tmp_path / "shapes.yaml"
    override.write_text(
        HEADER
        + "defaults: {users_per_rate: 2, max_users: 50}\n"
        + "shapes:\n"
        + "  arrival-ramp: {stages: [{duration: 10s, from: 1, to: 3}]}\n"
        + "  steady: {description: five a second, min_users: 1, stages: [{duration: 1m, rate: 5}]}\n"
    )
    library = load_shapes(override)
    assert library.names() == ("arrival-ramp", "ramp-hold", "soak", "spike", "steady", "step")
    assert library.get("arrival-ramp").planned_orders == 20
    steady = library.get("steady")
    assert (steady.users_per_rate, steady.min_users, steady.max_users) == (2.0, 1, 50)
    assert steady.tick(0) == (10, 10.0)
    assert library.get("ramp-hold").users_per_rate == 10.0  # shipped shapes keep their defaults
    assert load_shapes(environ={"CHAINPROBE_SHAPES": str(override)}).get("steady") == steady


def test_an_unknown_shape_names_the_known_ones() -> None:
    with pytest.raises(UnknownShapeError) as raised:
        load_shapes(environ={}).get("ramp-holdd")
    assert (
        str(raised.value)
        == "no load shape named 'ramp-holdd' (have: arrival-ramp, ramp-hold, soak, spike, step)"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "shapes: {x: {stages: [{duration: 1m}]}}",
            "s.yaml: shapes.x.stages[0]: expected either rate, or from and to (a ramp)",
        ),
        (
            "shapes: {x: {stages: [{duration: 1m, rate: 2, from: 1, to: 2}]}}",
            "s.yaml: shapes.x.stages[0]: expected either rate, or from and to (a ramp)",
        ),
        (
            "shapes: {x: {stages: [{duration: 1m, from: 1}]}}",
            "s.yaml: shapes.x.stages[0].to: a ramp needs both from and to",
        ),
        (
            "shapes: {x: {stages: [{duration: 1 minute, rate: 2}]}}",
            "s.yaml: shapes.x.stages[0].duration: expected a duration such as 90s or 2m, "
            "or a number of seconds, got '1 minute'",
        ),
        (
            "shapes: {x: {stages: [{duration: 0, rate: 2}]}}",
            "s.yaml: shapes.x.stages[0].duration: expected a number greater than 0, got 0",
        ),
        (
            "shapes: {x: {stages: [{duration: 1m, rate: -2}]}}",
            "s.yaml: shapes.x.stages[0].rate: expected a number between 0 and 10000, got -2",
        ),
        (
            "shapes: {x: {stages: [{duration: 1m, rate: 0}]}}",
            "s.yaml: shapes.x.stages: expected stages that plan at least one order, got a list",
        ),
        (
            "shapes: {x: {stages: [{duraton: 1m, rate: 2}]}}",
            "s.yaml: shapes.x.stages[0].duraton: unknown field (did you mean duration?); "
            "expected one of: duration, from, name, rate, to",
        ),
        (
            "shapes: {Bad_Name: {stages: [{duration: 1m, rate: 2}]}}",
            "s.yaml: shapes.Bad_Name: expected a shape name of lower-case letters, digits and '-'",
        ),
        (
            "defaults: {min_users: 9, max_users: 3}\nshapes: {x: {stages: [{duration: 1m, rate: 2}]}}",
            "s.yaml: defaults: min_users (9) is above max_users (3)",
        ),
        ("shapes: {x: {stages: [{duration: 1m, rate: 2}]", "s.yaml: malformed YAML (while parsing"),
    ],
)
def test_a_malformed_shapes_file_is_one_line_naming_file_and_field(body: str, message: str) -> None:
    with pytest.raises(InvalidShapesError) as raised:
        parse_shapes(HEADER + body + "\n", source="s.yaml")
    text = str(raised.value)
    assert "\n" not in text
    assert text.startswith(message), text


def test_the_kind_and_version_are_checked() -> None:
    with pytest.raises(
        InvalidShapesError, match=r"s\.yaml: version: expected an integer between 1 and 1, got 2"
    ):
        parse_shapes("kind: LoadShapes\nversion: 2\nshapes: {}\n", source="s.yaml")
    with pytest.raises(InvalidShapesError, match="kind: expected one of LoadShapes"):
        parse_shapes("kind: Shapes\nversion: 1\nshapes: {}\n", source="s.yaml")


def test_an_unreadable_override_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidShapesError, match=r"missing.yaml: cannot read the shapes file \(No such file"):
        load_shapes(tmp_path / "missing.yaml")
