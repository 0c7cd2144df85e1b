"""Load shapes as data: named arrival-rate profiles, validated on load, with defaults and an override file.

A shape is a list of stages, each a duration and an arrival rate in orders per second, constant
(``rate``) or ramping linearly (``from`` -> ``to``). Two ship in ``shapes.yaml`` beside this module:
``ramp-hold`` (DESIGN profile (a), 13 minutes) and ``arrival-ramp`` (profile (b), 1 -> 10/s over 120 s);
beside them the shapes a release test uses: ``step`` (a staircase), ``spike`` (a sudden burst and the
recovery) and ``soak`` (a long steady rate whose ``max_memory_growth_mb`` bounds the harness's memory
growth: ``chainprobe.drive.load.memory_growth``). ``chainprobe.drive.load.stages`` reads a shape
written on the command line.
``scaled(x)`` compresses or stretches time and keeps the rates: ``ramp-hold`` at 0.1 runs in 78 s.

The shape answers the two questions a load run asks of it:

- *when does order k leave?* ``arrival_time(k)``: the time at which the cumulative planned arrivals
  ``arrivals_by(t)`` (the integral of the rate) reach ``k``, so the orders of a run follow the rate
  exactly, whatever the chain answers (an open model);
- *how many Locust users?* ``tick(t)``, the pure form of ``LoadTestShape.tick()``: users are slots for
  orders in flight, ``rate x users_per_rate`` clamped to ``[min_users, max_users]``; ``None`` once the
  shape is over.

Example::

    >>> shape = load_shapes().get("ramp-hold").scaled(0.1)
    >>> shape.duration_s, shape.rate_at(3.0), shape.rate_at(77.9) // 1
    (78.0, 2.0, 15.0)
    >>> load_shapes().get("arrival-ramp").planned_orders
    660
    >>> load_shapes().get("arrival-ramp").tick(60.0)
    (57, 57.0)

Environment: ``CHAINPROBE_SHAPES`` names an override file when no path is given.

Raises ``InvalidShapesError`` (a malformed file, one line naming the file and field) and
``UnknownShapeError`` (both ``ShapeError``). Limitations: a stage lasts a whole number of seconds
(``90s``, ``2m``) or a positive number of seconds; rates are orders per second, at most 10,000.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chainprobe.drive.load.exceptions import InvalidShapesError, UnknownShapeError
from chainprobe.spec.duration import parse_duration
from chainprobe.spec.exceptions import InvalidValueError, SpecError
from chainprobe.spec.reader import Fields, Node

__all__ = [
    "SHAPES_ENV",
    "LoadShape",
    "ShapeLibrary",
    "Stage",
    "load_shapes",
    "parse_shapes",
]

SHAPES_ENV = "CHAINPROBE_SHAPES"
SHAPES_KIND = "LoadShapes"
SHAPES_VERSION = 1
MAX_RATE = 10_000.0
LOOKAHEAD_S = 2.0  # users are sized for the peak rate of the next seconds: Locust ticks every second
MAX_SPAWN_RATE = 100.0  # Locust warns above 100 users started per second
_NAME = r"[a-z0-9][a-z0-9-]{0,62}"
_SIZING = ("users_per_rate", "min_users", "max_users")


@dataclass(frozen=True, kw_only=True)
class Stage:
    """``duration_s`` seconds whose arrival rate goes linearly from ``start_rate`` to ``end_rate``."""

    duration_s: float
    start_rate: float
    end_rate: float
    name: str | None = None

    @property
    def total(self) -> float:
        """The arrivals planned over the whole stage."""
        return (self.start_rate + self.end_rate) / 2 * self.duration_s

    def rate_at(self, t: float) -> float:
        """The rate ``t`` seconds into the stage."""
        return self.start_rate + (self.end_rate - self.start_rate) * t / self.duration_s

    def arrivals_by(self, t: float) -> float:
        """The arrivals planned in the first ``t`` seconds of the stage (the rate's integral)."""
        return self.start_rate * t + (self.end_rate - self.start_rate) * t * t / (2 * self.duration_s)

    def time_of(self, arrivals: float) -> float:
        """When the stage's cumulative arrivals reach ``arrivals`` (``0 <= arrivals <= total``)."""
        slope = (self.end_rate - self.start_rate) / (2 * self.duration_s)
        root = math.sqrt(max(0.0, self.start_rate**2 + 4 * slope * arrivals))
        if self.start_rate + root == 0:
            return 0.0
        # The stable form of the quadratic's root: exact for a constant rate (slope 0) too.
        return min(self.duration_s, 2 * arrivals / (self.start_rate + root))


@dataclass(frozen=True, kw_only=True)
class LoadShape:
    """A named arrival-rate profile; see the module docstring. ``time_scale`` is how it was scaled."""

    name: str
    stages: tuple[Stage, ...]
    description: str | None = None
    users_per_rate: float = 10.0
    min_users: int = 4
    max_users: int = 400
    time_scale: float = 1.0
    source: str = "<shape>"
    max_memory_growth_mb: float | None = None  # a soak's bound on the harness's RSS growth (memory_growth)

    @property
    def duration_s(self) -> float:
        return math.fsum(stage.duration_s for stage in self.stages)

    @property
    def planned_orders(self) -> int:
        """How many orders the shape sends: arrivals ``0 .. n-1`` all fall before its end."""
        return math.ceil(round(self.arrivals_by(self.duration_s), 9))

    @property
    def peak_rate(self) -> float:
        return max(max(stage.start_rate, stage.end_rate) for stage in self.stages)

    @property
    def mean_rate(self) -> float:
        return self.arrivals_by(self.duration_s) / self.duration_s

    def _locate(self, t: float) -> tuple[Stage, float, float] | None:
        """The stage at time ``t``, the time into it, and the arrivals planned before it."""
        start, before = 0.0, 0.0
        for stage in self.stages:
            if t < start + stage.duration_s:
                return stage, t - start, before
            start += stage.duration_s
            before += stage.total
        return None

    def rate_at(self, t: float) -> float:
        """The planned arrival rate at ``t`` seconds (0 before the start and after the end)."""
        if t < 0:
            return 0.0
        located = self._locate(t)
        return located[0].rate_at(located[1]) if located is not None else 0.0

    def arrivals_by(self, t: float) -> float:
        """Arrivals planned in ``[0, t)``: the integral of the rate."""
        if t <= 0:
            return 0.0
        located = self._locate(t)
        if located is None:
            return math.fsum(stage.total for stage in self.stages)
        stage, into, before = located
        return before + stage.arrivals_by(into)

    def arrival_time(self, k: int) -> float | None:
        """When arrival ``k`` (0-based) is due, in seconds from the start; ``None`` past the last one."""
        if k < 0 or k >= self.planned_orders:
            return None
        start, before = 0.0, 0.0
        for stage in self.stages:
            if stage.total > 0 and k < before + stage.total:
                return start + stage.time_of(k - before)
            start += stage.duration_s
            before += stage.total
        return None  # rounding at the very end: k is the last arrival of a shape ending on a boundary

    def peak_rate_between(self, t0: float, t1: float) -> float:
        """The highest planned rate in ``[t0, t1]`` (rates are linear between stage boundaries)."""
        points = [t0, t1 - 1e-9]
        edge = 0.0
        for stage in self.stages:
            if t0 < edge < t1:
                points.append(edge)
            edge += stage.duration_s
            if t0 < edge - 1e-9 < t1:
                points.append(edge - 1e-9)
        return max(self.rate_at(point) for point in points)

    def users_at(self, t: float) -> int:
        """Locust users wanted at ``t``: one per order in flight, for the next seconds' peak rate."""
        t = max(0.0, t)
        peak = self.peak_rate_between(t, min(t + LOOKAHEAD_S, self.duration_s))
        wanted = math.ceil(round(peak * self.users_per_rate, 9))
        return max(self.min_users, min(self.max_users, wanted))

    def tick(self, t: float) -> tuple[int, float] | None:
        """``LoadTestShape.tick()`` at ``t`` seconds into the schedule: ``(users, spawn rate)``, or
        ``None`` once the shape is over. Before the start (``t < 0``) it asks for the first users."""
        if t >= self.duration_s:
            return None
        users = self.users_at(t)
        return users, min(MAX_SPAWN_RATE, float(max(10, users)))

    def scaled(self, time_scale: float) -> LoadShape:
        """The same rates over durations multiplied by ``time_scale`` (``0.1``: ten times shorter)."""
        if not time_scale > 0 or math.isinf(time_scale):
            raise InvalidShapesError(f"time scale: expected a number greater than 0, got {time_scale!r}")
        stages = tuple(replace(stage, duration_s=stage.duration_s * time_scale) for stage in self.stages)
        return replace(self, stages=stages, time_scale=self.time_scale * time_scale)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data; ``from_dict`` reads it back."""
        return {
            "name": self.name,
            "description": self.description,
            "stages": [
                {"name": s.name, "duration_s": s.duration_s, "from": s.start_rate, "to": s.end_rate}
                for s in self.stages
            ],
            "users_per_rate": self.users_per_rate,
            "min_users": self.min_users,
            "max_users": self.max_users,
            "time_scale": self.time_scale,
            "source": self.source,
            "max_memory_growth_mb": self.max_memory_growth_mb,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadShape:
        return cls(
            name=str(data["name"]),
            description=data.get("description"),
            stages=tuple(
                Stage(
                    name=item.get("name"),
                    duration_s=float(item["duration_s"]),
                    start_rate=float(item["from"]),
                    end_rate=float(item["to"]),
                )
                for item in data["stages"]
            ),
            users_per_rate=float(data["users_per_rate"]),
            min_users=int(data["min_users"]),
            max_users=int(data["max_users"]),
            time_scale=float(data["time_scale"]),
            source=str(data.get("source", "<shape>")),
            max_memory_growth_mb=None
            if data.get("max_memory_growth_mb") is None
            else float(data["max_memory_growth_mb"]),
        )


@dataclass(frozen=True)
class ShapeLibrary:
    """The shapes that can be named: the shipped ones, then those of an override file."""

    shapes: Mapping[str, LoadShape]

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.shapes))

    def get(self, name: str) -> LoadShape:
        """The shape ``name``; raises ``UnknownShapeError`` naming the ones there are."""
        if name not in self.shapes:
            raise UnknownShapeError(f"no load shape named {name!r} (have: {', '.join(self.names())})")
        return self.shapes[name]


def load_shapes(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> ShapeLibrary:
    """The shipped shapes, overridden by those of ``path`` (else of ``$CHAINPROBE_SHAPES``, if set)."""
    shipped = resources.files("chainprobe.drive.load").joinpath("shapes.yaml").read_text(encoding="utf-8")
    shapes = dict(parse_shapes(shipped, source="shapes.yaml"))
    env = os.environ if environ is None else environ
    override = path if path is not None else (env.get(SHAPES_ENV, "").strip() or None)
    if override is not None:
        try:
            text = Path(override).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8"
            raise InvalidShapesError(f"{override}: cannot read the shapes file ({reason})") from error
        shapes.update(parse_shapes(text, source=str(override)))
    return ShapeLibrary(shapes)


def parse_shapes(text: str, *, source: str) -> dict[str, LoadShape]:
    """Validate a shapes file's text; ``source`` names it in errors."""
    try:
        return _read_shapes(Node(value=yaml.safe_load(text), path="", source=source))
    except yaml.YAMLError as error:
        raise InvalidShapesError(f"{source}: malformed YAML ({' '.join(str(error).split())})") from error
    except SpecError as error:
        raise InvalidShapesError(str(error)) from error


def _read_shapes(root: Node) -> dict[str, LoadShape]:
    if not isinstance(root.value, dict):
        root.wrong_type("a mapping with kind, version and shapes")
    fields = Fields(root, required=("kind", "version", "shapes"), optional=("defaults",))
    fields.get("kind").choice((SHAPES_KIND,))
    fields.get("version").integer(low=SHAPES_VERSION, high=SHAPES_VERSION)
    defaults_node = fields.optional("defaults")
    defaults = _read_sizing(Fields(defaults_node, optional=_SIZING), {}) if defaults_node else {}
    shapes = {}
    for name, node in fields.get("shapes").mapping(expected="a mapping of shape names").items():
        if not _is_name(name):
            node.fail(InvalidValueError, "expected a shape name of lower-case letters, digits and '-'")
        shapes[name] = _read_shape(name, node, defaults)
    if not shapes:
        fields.get("shapes").invalid("at least one shape")
    return shapes


def _is_name(name: str) -> bool:
    return re.fullmatch(_NAME, name) is not None


def _read_shape(name: str, node: Node, defaults: dict[str, Any]) -> LoadShape:
    fields = Fields(node, required=("stages",), optional=("description", "max_memory_growth_mb", *_SIZING))
    description = fields.optional("description")
    bound = fields.optional("max_memory_growth_mb")
    sizing = _read_sizing(fields, defaults)
    stages = tuple(_read_stage(item) for item in fields.get("stages").items(expected="a list of stages"))
    if math.fsum(stage.total for stage in stages) < 1:
        fields.get("stages").invalid("stages that plan at least one order")
    return LoadShape(
        name=name,
        description=description.text() if description else None,
        stages=stages,
        source=node.source,
        max_memory_growth_mb=bound.number(low=0, high=1_000_000, open_low=True) if bound else None,
        **sizing,
    )


def _read_sizing(fields: Fields, defaults: dict[str, Any]) -> dict[str, Any]:
    sizing = dict(defaults)
    if (node := fields.optional("users_per_rate")) is not None:
        sizing["users_per_rate"] = node.number(low=0, high=600, open_low=True)
    for key in ("min_users", "max_users"):
        if (node := fields.optional(key)) is not None:
            sizing[key] = node.integer(low=1, high=100_000)
    low, high = sizing.get("min_users", 1), sizing.get("max_users", 100_000)
    if low > high:
        fields.node.fail(InvalidValueError, f"min_users ({low}) is above max_users ({high})")
    return sizing


def _read_stage(node: Node) -> Stage:
    fields = Fields(node, required=("duration",), optional=("name", "rate", "from", "to"))
    name = fields.optional("name")
    duration = _duration(fields.get("duration"))
    constant, ramp = fields.has("rate"), fields.has("from") or fields.has("to")
    if constant == ramp:
        node.fail(InvalidValueError, "expected either rate, or from and to (a ramp)")
    if constant:
        rate = fields.get("rate").number(low=0, high=MAX_RATE)
        start, end = rate, rate
    else:
        for key in ("from", "to"):
            if not fields.has(key):
                node.child(key).fail(InvalidValueError, "a ramp needs both from and to")
        start = fields.get("from").number(low=0, high=MAX_RATE)
        end = fields.get("to").number(low=0, high=MAX_RATE)
    return Stage(name=name.text() if name else None, duration_s=duration, start_rate=start, end_rate=end)


def _duration(node: Node) -> float:
    if isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.number(low=0, open_low=True)
    text = node.text(expected="a duration such as 90s or 2m, or a number of seconds")
    try:
        return parse_duration(text).total_seconds()
    except ValueError:
        node.invalid("a duration such as 90s or 2m, or a number of seconds")
