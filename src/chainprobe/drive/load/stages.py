"""A load shape written on the command line: ``--stages "60s:5/s,120s:5-15/s,300s:15/s"``.

The text is a comma-separated list of segments, each ``DURATION:RATE/s`` (a constant rate) or
``DURATION:FROM-TO/s`` (a linear ramp from ``FROM`` to ``TO`` orders per second). A duration is a
whole number and a unit (``90s``, ``2m``, ``1h``: ``chainprobe.spec.duration``); a rate is a number
(``5``, ``2.5``) of orders per second, at most ``MAX_RATE``. Parsing is strict: no spaces, no empty
segment, no other unit, at least one order planned. The result is an ordinary ``LoadShape`` named
``stages`` (its stages named ``s1``, ``s2``, …), scaled, run and reported like a named one.

Example::

    >>> shape = parse_stages("60s:5/s,120s:5-15/s,300s:15/s")
    >>> shape.duration_s, shape.planned_orders, shape.rate_at(120.0)
    (480.0, 6000, 10.0)
    >>> try:
    ...     parse_stages("60s:5")
    ... except InvalidShapesError as error:
    ...     print(str(error).split(":")[1])
     segment 1 '60s

Raises ``InvalidShapesError`` (a ``ShapeError``: exit 2), one line naming the segment.
"""

from __future__ import annotations

import math
import re

from chainprobe.drive.load.exceptions import InvalidShapesError
from chainprobe.drive.load.shapes import MAX_RATE, LoadShape, Stage
from chainprobe.spec.duration import parse_duration

__all__ = ["STAGES_SHAPE_NAME", "parse_stages"]

STAGES_SHAPE_NAME = "stages"
_NUMBER = r"\d+(?:\.\d+)?"
_SEGMENT = re.compile(rf"(?P<duration>\d+[smhdw]):(?P<start>{_NUMBER})(?:-(?P<end>{_NUMBER}))?/s")
_EXPECTED = "expected DURATION:RATE/s or DURATION:FROM-TO/s, e.g. 60s:5/s or 120s:5-15/s"


def parse_stages(text: str) -> LoadShape:
    """The shape ``text`` describes; see the module docstring."""
    if not text:
        raise InvalidShapesError(f"--stages: empty ({_EXPECTED})")
    stages = tuple(_segment(index, part) for index, part in enumerate(text.split(","), start=1))
    if math.fsum(stage.total for stage in stages) < 1:
        raise InvalidShapesError(f"--stages: {text!r} plans no order (rates x durations sum below 1)")
    return LoadShape(name=STAGES_SHAPE_NAME, stages=stages, description=text, source="--stages")


def _segment(index: int, part: str) -> Stage:
    where = f"--stages: segment {index} {part!r}"
    match = _SEGMENT.fullmatch(part)
    if match is None:
        raise InvalidShapesError(f"{where}: {_EXPECTED}")
    try:
        duration = parse_duration(match["duration"]).total_seconds()
    except ValueError:
        raise InvalidShapesError(f"{where}: the duration must be above 0") from None
    start = float(match["start"])
    end = float(match["end"]) if match["end"] is not None else start
    if max(start, end) > MAX_RATE:
        raise InvalidShapesError(f"{where}: a rate is at most {MAX_RATE:g}/s")
    return Stage(name=f"s{index}", duration_s=duration, start_rate=start, end_rate=end)
