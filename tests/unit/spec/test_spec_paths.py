"""FieldPath: dotted paths and simple JSONPath, read and written."""

from __future__ import annotations

import pytest

from chainprobe.spec import MISSING, FieldPath

DOC = {
    "status": "CREATED",
    "detail": {"orderId": "o-1", "items": [{"sku": "w-1"}]},
    "detail-type": "X",
    "n": None,
}


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("orderId", ("orderId",)),
        ("detail.orderId", ("detail", "orderId")),
        ("$.status", ("status",)),
        ("$.detail.items[0].sku", ("detail", "items", 0, "sku")),
        ("items[0].sku", ("items", 0, "sku")),
        ("$['detail-type']", ("detail-type",)),
        ("$", ()),
    ],
)
def test_parse(text: str, parts: tuple[str | int, ...]) -> None:
    assert FieldPath.parse(text).parts == parts


@pytest.mark.parametrize("text", ["", "$status", "a..b", ".a", "a[x]", "a.", "$.a[", "1abc"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected a path"):
        FieldPath.parse(text)


def test_get() -> None:
    assert FieldPath.parse("$.detail.orderId").get(DOC) == "o-1"
    assert FieldPath.parse("detail.items[0].sku").get(DOC) == "w-1"
    assert FieldPath.parse("$['detail-type']").get(DOC) == "X"
    assert FieldPath.parse("n").get(DOC) is None
    assert FieldPath.parse("$").get(DOC) is DOC


@pytest.mark.parametrize(
    "text", ["missing", "detail.items[3]", "status.inner", "detail.items.sku", "status[0]"]
)
def test_get_missing(text: str) -> None:
    assert FieldPath.parse(text).get(DOC) is MISSING


def test_set_creates_mappings() -> None:
    doc: dict[str, object] = {"a": 1}
    FieldPath.parse("probe.runId").set(doc, "r-1")
    FieldPath.parse("$.orderId").set(doc, "o-1")
    assert doc == {"a": 1, "probe": {"runId": "r-1"}, "orderId": "o-1"}


def test_set_replaces_a_scalar_on_the_way_and_indexes_lists() -> None:
    doc: dict[str, object] = {"probe": "x", "items": [{"sku": "a"}]}
    FieldPath.parse("probe.seq").set(doc, 1)
    FieldPath.parse("items[0].sku").set(doc, "b")
    assert doc == {"probe": {"seq": 1}, "items": [{"sku": "b"}]}


def test_set_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="cannot set"):
        FieldPath.parse("items[2]").set({"items": []}, 1)
    with pytest.raises(ValueError, match="root"):
        FieldPath.parse("$").set({}, 1)
