"""``split_ratio``: the counts in an availability expression, by hand; anything else is refused."""

from __future__ import annotations

import pytest

from chainprobe.measure.metricmath import parse
from chainprobe.report.slo_export.ratio import NotARatioError, RatioParts, render, split_ratio

SPLITS = [
    # expression, kind, numerator, total
    (
        "1 - ((FILL(apiFailures,0) + FILL(lambdaFailures,0)) / MAX([totalRequests], 1))",
        "bad",
        "FILL(apiFailures, 0) + FILL(lambdaFailures, 0)",
        "totalRequests",
    ),
    ("1 - errors / requests", "bad", "errors", "requests"),
    ("ok / requests", "good", "ok", "requests"),
    ("(ok + redirects) / MAX([requests], 1)", "good", "ok + redirects", "requests"),
    # a guard other than MAX([x], 1) is kept as written: it is not just a division-by-zero guard
    ("1 - errors / MAX([requests], 10)", "bad", "errors", "MAX([requests], 10)"),
    ("1 - errors / MAX([requests, other])", "bad", "errors", "MAX([requests, other])"),
    ("1 - errors / (a + b)", "bad", "errors", "a + b"),
]


@pytest.mark.parametrize(("expression", "kind", "numerator", "total"), SPLITS)
def test_the_counts_of_a_ratio(expression: str, kind: str, numerator: str, total: str) -> None:
    assert split_ratio(expression) == RatioParts(kind=kind, numerator=numerator, total=total)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "expression", ["availability", "2 - errors / requests", "1 - errors", "1 - errors * requests", "AVG(m)"]
)
def test_anything_else_is_not_a_ratio_of_counts(expression: str) -> None:
    with pytest.raises(NotARatioError, match="neither 1 - bad / total nor good / total"):
        split_ratio(expression)


RENDERS = [
    ("a - (b - c)", "a - (b - c)"),
    ("a - b - c", "a - b - c"),
    ("(a + b) * c", "(a + b) * c"),
    ("a * b / c", "a * b / c"),
    ("a / (b * c)", "a / (b * c)"),
    ("-(a + b)", "-(a + b)"),
    ("2 ^ 3 ^ 4", "2 ^ 3 ^ 4"),
    ("(2 ^ 3) ^ 4", "(2 ^ 3) ^ 4"),
    ("FILL(m, REPEAT)", "FILL(m, REPEAT)"),
    ("MAX([a, 1])", "MAX([a, 1])"),
    ("IF(a > 0.5, 1, 0)", "IF(a > 0.5, 1, 0)"),
]


@pytest.mark.parametrize(("expression", "text"), RENDERS)
def test_render_keeps_the_meaning(expression: str, text: str) -> None:
    assert render(parse(expression)) == text
    assert _shape(parse(text)) == _shape(parse(expression))  # the same tree, positions aside


def _shape(node: object) -> object:
    if isinstance(node, tuple):
        return tuple(_shape(item) for item in node)
    if not hasattr(node, "__dataclass_fields__"):
        return node
    fields = [name for name in node.__dataclass_fields__ if name != "position"]
    return (type(node).__name__, *(_shape(getattr(node, name)) for name in fields))
