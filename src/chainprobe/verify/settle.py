"""How long verdicts waited for their settle windows, for the report.

An order *waits* from the verification pass at which its verdicts could have been final without settle
windows (every stage seen, what "must not happen" not seen) to the pass at which they were final, the
windows closed. Orders whose verdicts were final the moment they could be (a bad stage, a window already
closed when the timeline completed) did not wait and are not counted.

Example::

    tally = SettleTally(windows=spec.settle_windows())
    tally.ready("o-1", now=101.0)      # could be final now, held by a window
    tally.final("o-1", now=110.5)      # final: waited 9.5 s
    tally.to_dict()  # {"windows_s": {"event": 10.0, "courier": 30.0}, "waited": 1, "wait_s": {...}}
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from chainprobe.spec.model import SettleWindows

__all__ = ["SettleTally"]


@dataclass
class SettleTally:
    """The settle windows of a run's spec and the waits its verdicts had (seconds)."""

    windows: SettleWindows
    waits: list[float] = field(default_factory=list)
    _ready_at: dict[str, float] = field(default_factory=dict, repr=False)

    def ready(self, order_id: str, *, now: float) -> None:
        """The order's verdicts could be final at ``now`` but for a settle window (first call counts)."""
        self._ready_at.setdefault(order_id, now)

    def final(self, order_id: str, *, now: float) -> None:
        """The order's verdicts are final at ``now``; a wait is recorded when it was held."""
        ready_at = self._ready_at.pop(order_id, None)
        if ready_at is not None:
            self.waits.append(max(0.0, now - ready_at))

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.waits) if self.waits else None

    @property
    def max_s(self) -> float | None:
        return max(self.waits) if self.waits else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "windows_s": {"event": self.windows.event, "courier": self.windows.courier},
            "waited": len(self.waits),
            "wait_s": {"median": _round(self.median_s), "max": _round(self.max_s)},
        }

    def describe(self) -> str:
        """One line for a summary: the windows, and how many verdicts waited how long."""
        windows = [
            f"{stage} {seconds:g} s"
            for stage, seconds in (("event", self.windows.event), ("courier", self.windows.courier))
            if seconds is not None
        ]
        held = (
            f"{len(self.waits)} verdicts waited, median {self.median_s:.1f} s, max {self.max_s:.1f} s"
            if self.median_s is not None and self.max_s is not None
            else "no verdict waited"
        )
        return f"{', '.join(windows) or 'no window'}; {held}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
