"""Every row of the reconciliation class table, with the expected values written out by hand.

The class table itself (which metrics each class always moves, which it may move, what the metric
math makes of it when the expression reads none): changing any row fails it. What ``reconcile`` and the
attribution make of each class against window counts is in test_attribution.py.
"""

from __future__ import annotations

import pytest

from chainprobe.ledger import FailureClass
from chainprobe.measure.reconcile import CLASS_EFFECTS
from chainprobe.measure.window_sli import MetricRef

FC = FailureClass
API_5XX = ("AWS/ApiGateway", "5XXError")
ERRORS = ("AWS/Lambda", "Errors")
INVISIBLE = "invisible to the expression"
DENOMINATOR = "in the denominator only"
MAYBE_NOT = "maybe not even in the denominator"

# failure class -> (always counted by, maybe counted by, what the metric math makes of it otherwise)
TABLE: dict[FailureClass, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], str]] = {
    FC.HTTP_5XX: ((API_5XX,), (ERRORS,), INVISIBLE),
    FC.HTTP_4XX: ((), (), DENOMINATOR),
    FC.HTTP_2XX_ERROR_BODY: ((), (), INVISIBLE),
    FC.API_TIMEOUT: ((), (API_5XX, ERRORS), MAYBE_NOT),
    FC.CONNECTION_ERROR: ((), (), MAYBE_NOT),
    FC.DB_MISSING: ((), (), INVISIBLE),
    FC.DB_MISMATCH: ((), (), INVISIBLE),
    FC.EVENT_MISSING: ((), (), INVISIBLE),
    FC.EVENT_DUPLICATE: ((), (), INVISIBLE),
}


def refs(metrics: tuple[MetricRef, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((metric.namespace, metric.name) for metric in metrics)


def test_the_table_has_a_row_for_every_chain_class_and_no_other() -> None:
    assert set(CLASS_EFFECTS) == set(TABLE)
    assert {failure for failure in FailureClass if not failure.is_delivery} == set(TABLE)


@pytest.mark.parametrize("failure", list(TABLE), ids=str)
def test_each_row_of_the_class_table(failure: FailureClass) -> None:
    counts, may_count, blind = TABLE[failure]
    effect = CLASS_EFFECTS[failure]
    assert (refs(effect.counts), refs(effect.may_count), effect.blind) == (counts, may_count, blind)
    assert effect.why  # every row says why, in a clause


# -- what reconcile makes of each class ------------------------------------------------------------
