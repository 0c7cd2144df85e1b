"""Locust's ``LoadTestShape`` for a chainprobe load shape: ``tick()`` is the shape's own ``tick``.

Kept apart from ``shapes`` (the data) because importing Locust monkey-patches the whole process with
gevent: the harness process, which validates shapes and runs the verifier in threads, never imports
Locust; only the Locust processes import this module.

The shape's clock is Locust's (``get_run_time()``, reset when the test starts), shifted by
``START_LEAD_S``: arrival 0 is due that long after the start, and the test ends that long after the
shape's duration. Users follow the rate (slots for orders in flight); the rate itself is kept by the
users' arrival schedule (``chainprobe.drive.load.schedule``).

Example::

    Environment(user_classes=[OrderUser], shape_class=ProfileShape(load_shapes().get("ramp-hold")))
"""

from __future__ import annotations

from locust import LoadTestShape

from chainprobe.drive.load.schedule import START_LEAD_S
from chainprobe.drive.load.shapes import LoadShape

__all__ = ["ProfileShape"]


class ProfileShape(LoadTestShape):
    """Ticks ``shape`` (set here, or later by whoever knows it, e.g. the locustfile's harness)."""

    def __init__(self, shape: LoadShape | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Locust leaves it unannotated
        self.shape = shape

    def tick(self) -> tuple[int, float] | None:
        if self.shape is None:
            raise RuntimeError("ProfileShape has no load shape: set .shape before the test starts")
        elapsed: float = self.get_run_time()  # type: ignore[no-untyped-call]
        return self.shape.tick(elapsed - START_LEAD_S)
