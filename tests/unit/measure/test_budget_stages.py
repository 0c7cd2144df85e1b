"""Which stage spent the black-box budget (``measure.budget_stages``), against hand-computed cases."""

from __future__ import annotations

import pytest

from chainprobe.ledger.model import Stage
from chainprobe.measure.budget_stages import BUDGET_STAGES, stage_shares, window_sums
from chainprobe.report.stage_metrics import CHAIN_STAGES

A, D, E, C = Stage.API, Stage.DYNAMODB, Stage.EVENT, Stage.COURIER

# (good per stage, bad per stage, consumed minutes) -> [(stage, good, bad, share, minutes)]
CASES = {
    "no data: no stage (the reports say 'no per-stage history', not zeros)": ({}, {}, 10.0, []),
    "one stage only, all the bad there": ({A: 2.0}, {A: 11.0}, 22.0, [(A, 2.0, 11.0, 1.0, 22.0)]),
    "spread over the chain: bad / all chain bad, of the consumed minutes": (
        {A: 10.0, D: 8.0, E: 7.0},
        {A: 2.0, D: 1.0, E: 1.0},
        8.0,
        [(A, 10.0, 2.0, 0.5, 4.0), (D, 8.0, 1.0, 0.25, 2.0), (E, 7.0, 1.0, 0.25, 2.0)],
    ),
    "courier counted apart: its bad spends no black-box budget, no share": (
        {A: 4.0, D: 3.0, E: 3.0, C: 0.0},
        {A: 1.0, D: 0.0, E: 0.0, C: 3.0},
        5.0,
        [
            (A, 4.0, 1.0, 1.0, 5.0),
            (D, 3.0, 0.0, 0.0, 0.0),
            (E, 3.0, 0.0, 0.0, 0.0),
            (C, 0.0, 3.0, None, None),
        ],
    ),
    "courier only bad: nothing of the chain's budget spent, no shares": (
        {A: 3.0, C: 1.0},
        {A: 0.0, C: 2.0},
        0.0,
        [(A, 3.0, 0.0, None, None), (C, 1.0, 2.0, None, None)],
    ),
    "a stage with only a bad count (every order failed there): good 0": (
        {},
        {E: 4.0},
        3.0,
        [(E, 0.0, 4.0, 1.0, 3.0)],
    ),
}


@pytest.mark.parametrize("good, bad, minutes, expected", CASES.values(), ids=CASES.keys())
def test_stage_shares(good, bad, minutes, expected) -> None:  # type: ignore[no-untyped-def]
    shares = stage_shares(good, bad, consumed_minutes=minutes)

    assert [(s.stage, s.good, s.bad, s.share, s.minutes) for s in shares] == expected
    assert [s.in_budget for s in shares] == [stage is not C for stage, *_ in expected]


def test_the_budget_stages_are_the_chain_verdicts_stages() -> None:
    # The chain stages' StageBad sum to OrdersBad: the black-box SLI's stages, courier not among them.
    assert BUDGET_STAGES == CHAIN_STAGES


def test_window_sums_add_only_the_wanted_ids() -> None:
    history = {0: {"a": 1.0, "x": 5.0}, 60: {"a": 2.0, "b": 0.0}, 120: {"a": 4.0, "b": 3.0}}

    assert window_sums(history, ["a", "b"]) == {"a": 7.0, "b": 3.0}
    assert window_sums(history, ["c"]) == {}  # no datapoint: absent, not 0
