"""Which stage spent the black-box budget: each stage's bad orders over the budget window, as a share.

The black-box SLI is the chain's availability, ``OrdersGood / (OrdersGood + OrdersBad)``
(``measure.sli``), and the chain stages' ``StageBad`` sum to ``OrdersBad`` (``report.stage_metrics``:
an order is bad at exactly one chain stage, its failure's). So a chain stage's share of the consumed
budget is its bad orders over all chain stages' bad orders, and its budget minutes that share of the
consumed minutes. ``courier`` is delivery, its own SLI (delivery availability over the delivery-verified
orders): a courier failure spends no black-box budget, so the courier's counts are shown apart, with
no share (``share`` None, ``in_budget`` False).

Stages with no datapoint in the window are left out (no zeros that would read as a stage that passed
nothing); no stage at all (history older than per-stage publishing) is an empty tuple, which the
reports say as "no per-stage history". A window whose chain stages hold no bad order has every share
None (nothing spent, nothing to divide). The shares are of the runs that published per-stage results
(a run only in the local ledger is in the budget but in no stage). Pure. Example::

    >>> shares = stage_shares({Stage.API: 2.0, Stage.EVENT: 2.0}, {Stage.API: 3.0, Stage.EVENT: 1.0},
    ...                       consumed_minutes=8.0)
    >>> [(s.stage.value, s.share, s.minutes) for s in shares]
    [('api', 0.75, 6.0), ('event', 0.25, 2.0)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chainprobe.ledger.model import Stage
from chainprobe.measure.budget_window import History

__all__ = ["BUDGET_STAGES", "StageShare", "stage_shares", "window_sums"]

BUDGET_STAGES = (Stage.API, Stage.DYNAMODB, Stage.EVENT)
"""The stages whose failures spend the black-box (chain availability) budget, in chain order."""


@dataclass(frozen=True)
class StageShare:
    """One stage's good and bad orders over the window and its share of the consumed budget."""

    stage: Stage
    good: float
    bad: float
    share: float | None
    """Bad at this stage / bad at every chain stage; None for courier or when nothing was spent."""
    minutes: float | None
    """``share`` of the consumed budget minutes."""

    @property
    def in_budget(self) -> bool:
        """Whether the stage's failures spend the black-box budget (a chain stage, not courier)."""
        return self.stage in BUDGET_STAGES


def stage_shares(
    good: Mapping[Stage, float], bad: Mapping[Stage, float], *, consumed_minutes: float
) -> tuple[StageShare, ...]:
    """The stages with data in ``good`` or ``bad`` (chain order, courier last) and their shares."""
    stages = [stage for stage in (*BUDGET_STAGES, Stage.COURIER) if stage in good or stage in bad]
    spent = sum(bad.get(stage, 0.0) for stage in stages if stage in BUDGET_STAGES)
    shares = []
    for stage in stages:
        share = bad.get(stage, 0.0) / spent if spent > 0 and stage in BUDGET_STAGES else None
        minutes = None if share is None else share * consumed_minutes
        shares.append(StageShare(stage, good.get(stage, 0.0), bad.get(stage, 0.0), share, minutes))
    return tuple(shares)


def window_sums(history: History, ids: Iterable[str]) -> dict[str, float]:
    """Each of ``ids``' sum over the minutes of ``history`` that hold it (absent: no datapoint); the
    reader (``budget_history.read_history``) already bounds the history to the window."""
    wanted = set(ids)
    sums: dict[str, float] = {}
    for row in history.values():
        for key, value in row.items():
            if key in wanted:
                sums[key] = sums.get(key, 0.0) + value
    return sums
