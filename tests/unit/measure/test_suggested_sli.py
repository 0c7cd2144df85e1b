"""``suggest``: per reconciled class, the change to probes/orders.yaml's Metrics block, by hand; then the
suggested expression on hand-made window sums beside the spec's own."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from chainprobe.ledger import FailureClass
from chainprobe.measure.reconcile import ClassGap, Reconciliation
from chainprobe.measure.suggested_sli import suggest
from chainprobe.measure.window_sli import expression_on_sums
from chainprobe.spec import load_spec
from chainprobe.spec.model import MetricMathSpec

SPEC = load_spec(Path(__file__).resolve().parents[3] / "probes" / "orders.yaml").metric_math
assert SPEC is not None
BLACKBOX = ("Chainprobe", {"Probe": "orders"})
BY_ID = {str(query["Id"]): query for query in SPEC.metrics}


def reconciled(*rows: tuple[FailureClass, int, int]) -> Reconciliation:
    by_class = tuple(
        ClassGap(failure=f, black_box=bb, metric_math=mm, gap=None, explained=True, reason="")
        for f, bb, mm in rows
    )
    return Reconciliation(
        gap=None, by_class=by_class, unexplained=0.0, unexplained_failures=0, requests=20, orders_sent=20
    )


def availability(expression: str) -> dict[str, Any]:
    return {**copy.deepcopy(dict(BY_ID["availability"])), "Expression": expression}


def stat(query_id: str, namespace: str, name: str, dimensions: list[tuple[str, str]]) -> dict[str, Any]:
    metric: dict[str, Any] = {"Namespace": namespace, "MetricName": name}
    if dimensions:
        metric["Dimensions"] = [{"Name": n, "Value": v} for n, v in dimensions]
    return {
        "Id": query_id,
        "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"},
        "ReturnData": False,
    }


SPEC_STATS = [BY_ID[q] for q in ("totalRequests", "apiFailures", "lambdaFailures", "eventFailures")]
PUT_EVENTS = stat("putEventsFailedEntries", "AWS/Events", "PutEventsFailedEntriesCount", [])
CANARY_DB = stat(
    "canaryBadDbMissing", "Chainprobe", "OrdersBad", [("Probe", "orders"), ("FailureClass", "db_missing")]
)

CASES = [
    (
        "a swallowed PutEvents failure: the account-wide failed entries join the failures",
        [(FailureClass.EVENT_MISSING, 4, 0)],
        [
            *SPEC_STATS,
            PUT_EVENTS,
            availability(
                "1 - ((FILL(apiFailures,0) + FILL(lambdaFailures,0) + FILL(eventFailures,0) "
                "+ FILL(putEventsFailedEntries,0)) / MAX([totalRequests], 1))"
            ),
        ],
        [(FailureClass.EVENT_MISSING, "add AWS/Events PutEventsFailedEntriesCount (putEventsFailedEntries")],
    ),
    (
        "a handler that raised counted twice: Lambda Errors go",
        [(FailureClass.HTTP_5XX, 3, 6)],
        [
            BY_ID["totalRequests"],
            BY_ID["apiFailures"],
            BY_ID["eventFailures"],
            availability("1 - ((FILL(apiFailures,0) + FILL(eventFailures,0)) / MAX([totalRequests], 1))"),
        ],
        [(FailureClass.HTTP_5XX, "drop AWS/Lambda Errors (lambdaFailures) from the failures")],
    ),
    (
        "an invisible class with published results: the canary's own OrdersBad of that class",
        [(FailureClass.DB_MISSING, 2, 0), (FailureClass.HTTP_5XX, 1, 1)],
        [
            *SPEC_STATS,
            CANARY_DB,
            availability(
                "1 - ((FILL(apiFailures,0) + FILL(lambdaFailures,0) + FILL(eventFailures,0) "
                "+ FILL(canaryBadDbMissing,0)) / MAX([totalRequests], 1))"
            ),
        ],
        [(FailureClass.DB_MISSING, "add the canary's published OrdersBad with FailureClass=db_missing")],
    ),
    (
        "both changes at once, in the order of the classes",
        [(FailureClass.HTTP_5XX, 2, 4), (FailureClass.EVENT_MISSING, 1, 0)],
        [
            BY_ID["totalRequests"],
            BY_ID["apiFailures"],
            BY_ID["eventFailures"],
            PUT_EVENTS,
            availability(
                "1 - ((FILL(apiFailures,0) + FILL(eventFailures,0) + FILL(putEventsFailedEntries,0)) "
                "/ MAX([totalRequests], 1))"
            ),
        ],
        [(FailureClass.HTTP_5XX, "drop AWS/Lambda Errors"), (FailureClass.EVENT_MISSING, "add AWS/Events")],
    ),
]


@pytest.mark.parametrize(("title", "rows", "metrics", "changes"), CASES, ids=[c[0] for c in CASES])
def test_the_suggested_block(
    title: str, rows: list[Any], metrics: list[dict[str, Any]], changes: list[tuple[FailureClass, str]]
) -> None:
    suggestion = suggest(SPEC, reconciled(*rows), blackbox=BLACKBOX)

    assert [dict(q) for q in suggestion.metrics] == metrics
    assert suggestion.availability_id == "availability"
    assert [
        (c.failure, c.change[: len(text)]) for c, (_, text) in zip(suggestion.changes, changes, strict=True)
    ] == (changes)
    assert suggestion.unchanged_because is None


def test_the_account_wide_metric_is_said_plainly() -> None:
    [change] = suggest(SPEC, reconciled((FailureClass.EVENT_MISSING, 4, 0))).changes

    assert (
        "account-wide: failed PutEvents entries of every bus in the account and region" in change.still_misses
    )


@pytest.mark.parametrize(
    ("rows", "blackbox", "why"),
    [
        (
            [(FailureClass.HTTP_5XX, 3, 3)],
            BLACKBOX,
            "the metric math counted every class as the black box did",
        ),
        ([], BLACKBOX, "the metric math counted every class as the black box did"),
        # more counted than seen, but not the 5xx + Lambda Errors pair: nothing to drop
        (
            [(FailureClass.API_TIMEOUT, 1, 2)],
            BLACKBOX,
            "the metric math counted every class as the black box did",
        ),
    ],
)
def test_nothing_to_close_changes_nothing(rows: list[Any], blackbox: Any, why: str) -> None:
    suggestion = suggest(SPEC, reconciled(*rows), blackbox=blackbox)

    assert suggestion.metrics == SPEC.metrics and suggestion.changes == ()
    assert suggestion.unchanged_because == why


def test_without_published_results_an_invisible_class_gets_no_change_and_says_so() -> None:
    suggestion = suggest(SPEC, reconciled((FailureClass.DB_MISSING, 2, 0)), blackbox=None)

    assert suggestion.metrics == SPEC.metrics
    [change] = suggestion.changes
    assert change.change.startswith("none: no AWS metric counts this class")
    assert change.still_misses.startswith("every db_missing failure")


def test_a_spec_already_reading_the_failed_entries_gets_no_second_one() -> None:
    first = suggest(SPEC, reconciled((FailureClass.EVENT_MISSING, 4, 0))).metric_math()

    again = suggest(first, reconciled((FailureClass.EVENT_MISSING, 4, 0)))

    assert again.metrics == first.metrics and again.changes == ()


def test_an_expression_of_another_shape_is_left_as_it_is() -> None:
    spec = MetricMathSpec(
        metrics=(*SPEC_STATS, {"Id": "availability", "Expression": "AVG([totalRequests])"}),
        availability_id="availability",
    )

    suggestion = suggest(spec, reconciled((FailureClass.EVENT_MISSING, 4, 0)))

    assert suggestion.metrics == spec.metrics
    assert (
        suggestion.unchanged_because
        == "the availability expression has no failures / requests shape to change"
    )


# --- the suggested expression over a window, beside the spec's own (hand arithmetic) -------------------

WINDOWS = [
    # rows, window sums, spec's availability, suggested availability
    (
        [(FailureClass.EVENT_MISSING, 4, 0)],
        {"totalRequests": 20, "putEventsFailedEntries": 4},
        1.0,
        0.8,  # 1 - 4/20: the black box's 16 good of 20
    ),
    (
        [(FailureClass.HTTP_5XX, 3, 6)],
        {"totalRequests": 20, "apiFailures": 3, "lambdaFailures": 3},
        0.7,  # 1 - 6/20: each raised handler counted twice
        0.85,  # 1 - 3/20
    ),
    (
        [(FailureClass.EVENT_MISSING, 2, 0)],
        {"totalRequests": 10, "apiFailures": 1, "putEventsFailedEntries": 5},
        0.9,
        0.4,  # 1 - (1 + 5)/10: another bus's 3 failed entries count too (account-wide)
    ),
]


@pytest.mark.parametrize(("rows", "sums", "current", "suggested"), WINDOWS)
def test_the_suggestion_on_the_same_window(
    rows: list[Any], sums: dict[str, float], current: float, suggested: float
) -> None:
    suggestion = suggest(SPEC, reconciled(*rows))

    assert expression_on_sums(SPEC, 300, sums) == (pytest.approx(current), ())
    assert expression_on_sums(suggestion.metric_math(), 300, sums) == (pytest.approx(suggested), ())
