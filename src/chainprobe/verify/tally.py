"""What a run's verifier found in the capture queue that was not one of the run's own events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CaptureTally:
    """``foreign``: events no order in this ledger sent (another harness's, released for it);
    ``untagged``: events with no order id where the spec says it sits; ``other_runs``: events of this
    ledger's other runs, recorded against them (run id → count). Each message is counted once."""

    foreign: int = 0
    untagged: int = 0
    other_runs: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def to_dict(self) -> dict[str, Any]:
        return {"foreign": self.foreign, "untagged": self.untagged, "other_runs": dict(self.other_runs)}

    def describe(self) -> str | None:
        """One line for a summary, or ``None`` when the queue held only the run's own events."""
        parts = []
        if self.foreign:
            parts.append(f"{self.foreign} of other harnesses (left for them)")
        if self.untagged:
            parts.append(f"{self.untagged} without an order id")
        if self.other_runs:
            parts.append(f"{sum(self.other_runs.values())} of this ledger's other runs (recorded there)")
        return ", ".join(parts) or None
