"""The budget view of one spec: every SLI's ``budget_replay.SliBudget`` and where the figures came from.

Built by ``chainprobe.run_budget.compute_budget``, written by ``chainprobe.report.budget_view``.
``stages``: which stage spent the black-box budget (``measure.budget_stages``): None when the black-box
SLI is not read, empty when the window holds no per-stage history.
``exhausted`` and ``paging`` decide ``chainprobe budget``'s exit code (1 when either is non-empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chainprobe.measure.budget_replay import SliBudget
from chainprobe.measure.budget_stages import StageShare
from chainprobe.spec.duration import format_duration

__all__ = ["BudgetView"]


@dataclass(frozen=True, kw_only=True)
class BudgetView:
    """The budget of every SLI of one spec, and where its figures came from."""

    probe: str
    spec_source: str
    windows_source: str
    objective: float
    window: timedelta
    end: int
    slis: tuple[SliBudget, ...]
    ledger_runs: int
    notes: tuple[str, ...]
    stages: tuple[StageShare, ...] | None = None

    @property
    def window_text(self) -> str:
        return format_duration(self.window)

    @property
    def exhausted(self) -> tuple[str, ...]:
        return tuple(b.sli.key for b in self.slis if b.remaining <= 0)

    @property
    def paging(self) -> tuple[str, ...]:
        return tuple(f"{b.sli.key} {tier}" for b in self.slis for tier in b.paging_now)
