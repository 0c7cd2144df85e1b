"""JSON checks: equals (templated, number-aware), matches, exists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chainprobe.spec import EqualsCheck, ExistsCheck, FieldPath, MatchesCheck, failed_checks


def _path(text: str) -> FieldPath:
    return FieldPath.parse(text)


def test_equals_renders_the_expected_template() -> None:
    check = EqualsCheck(path=_path("$.orderId"), expected="${order_id}")
    assert check.failure({"orderId": "o-1"}, {"order_id": "o-1"}) is None
    assert check.failure({"orderId": "o-2"}, {"order_id": "o-1"}) == "$.orderId: expected 'o-1', got 'o-2'"
    assert check.failure({}, {"order_id": "o-1"}) == "$.orderId: missing"


@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        (Decimal("25"), 25.0, True),
        (Decimal("0.1"), 0.1, True),
        (2, Decimal("2.0"), True),
        ("7", 7, False),
        (True, 1, False),
        (True, True, True),
        ([{"q": Decimal("2")}], [{"q": 2}], True),
        ({"a": Decimal("1.5")}, {"a": 1.5}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        (None, None, True),
    ],
)
def test_equals_compares_numbers_by_value_and_nothing_else_loosely(
    actual: object, expected: object, same: bool
) -> None:
    check = EqualsCheck(path=_path("v"), expected=expected)
    assert (check.failure({"v": actual}, {}) is None) is same


def test_equals_keeps_the_type_of_a_whole_placeholder() -> None:
    check = EqualsCheck(path=_path("probe.seq"), expected="${seq}")
    assert check.failure({"probe": {"seq": Decimal("7")}}, {"seq": 7}) is None


def test_matches_requires_a_full_match() -> None:
    check = MatchesCheck(path=_path("$.status"), pattern="CREATED|ACCEPTED")
    assert check.failure({"status": "CREATED"}, {}) is None
    assert (
        check.failure({"status": "NOT CREATED"}, {})
        == "$.status: expected to match 'CREATED|ACCEPTED', got 'NOT CREATED'"
    )
    assert check.failure({"status": ["CREATED"]}, {}) is not None
    assert MatchesCheck(path=_path("n"), pattern=r"\d+").failure({"n": 42}, {}) is None


def test_exists() -> None:
    assert ExistsCheck(path=_path("$.error"), exists=False).failure({"status": "ok"}, {}) is None
    assert (
        ExistsCheck(path=_path("$.error"), exists=False).failure({"error": None}, {})
        == "$.error: expected no value"
    )
    assert ExistsCheck(path=_path("$.id"), exists=True).failure({}, {}) == "$.id: expected a value"


def test_failed_checks_lists_every_failure() -> None:
    checks = (
        EqualsCheck(path=_path("$.status"), expected="CREATED"),
        EqualsCheck(path=_path("$.orderId"), expected="${order_id}"),
    )
    assert failed_checks(checks, {"status": "CREATED", "orderId": "o-1"}, {"order_id": "o-1"}) == []
    assert failed_checks(checks, {"status": "FAILED"}, {"order_id": "o-1"}) == [
        "$.status: expected 'CREATED', got 'FAILED'",
        "$.orderId: missing",
    ]
