"""${name} templates: interpolation, fallbacks, typed placeholders, clear errors."""

from __future__ import annotations

import re

import pytest

from chainprobe.spec import (
    Scalar,
    TemplateSyntaxError,
    UnknownVariableError,
    render,
    render_value,
    template_variables,
)


def test_render_interpolates_and_keeps_other_dollars() -> None:
    values: dict[str, Scalar] = {
        "api_url": "http://localhost:4566/restapis/abc/local/_user_request_",
        "seq": 7,
    }
    assert (
        render("${api_url}/orders", values)
        == "http://localhost:4566/restapis/abc/local/_user_request_/orders"
    )
    assert render("$.status and $x", {}) == "$.status and $x"
    assert render("cost: $$5 at ${seq}", values) == "cost: $5 at 7"


def test_fallback_applies_only_when_the_variable_is_absent() -> None:
    assert render("${table:-Orders}", {}) == "Orders"
    assert render("${table:-Orders}", {"table": "stack-Orders-1X"}) == "stack-Orders-1X"
    assert render("${region:-}", {}) == ""


def test_a_whole_placeholder_keeps_the_value_type() -> None:
    rendered = render_value(
        {"seq": "${seq}", "label": "n-${seq}", "nested": [{"id": "${order_id}"}], "n": 3, "ok": True},
        {"seq": 7, "order_id": "o-1"},
    )
    assert rendered == {"seq": 7, "label": "n-7", "nested": [{"id": "o-1"}], "n": 3, "ok": True}


def test_template_variables_lists_names() -> None:
    assert template_variables("${a}/${b:-x}/$${c}") == frozenset({"a", "b"})


def test_unknown_variable_names_field_variable_and_a_fix() -> None:
    with pytest.raises(UnknownVariableError) as caught:
        render("${api_ur}/orders", {"api_url": "x", "bus": "orders"}, field="send.endpoint")
    text = str(caught.value)
    assert text.startswith("send.endpoint: unknown variable ${api_ur} (did you mean ${api_url}?)")
    assert "known variables: api_url, bus" in text
    assert "CHAINPROBE_API_UR" in text
    assert "\n" not in text


def test_unknown_variable_inside_a_payload_names_the_nested_field() -> None:
    with pytest.raises(
        UnknownVariableError, match=r"^send\.payload\.items\[0\]\.sku: unknown variable \$\{sku\}"
    ):
        render_value({"items": [{"sku": "${sku}"}]}, {}, field="send.payload")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${api_url", "unterminated '${'"),
        ("${}", "expected a variable name"),
        ("${9lives}", "expected a variable name"),
        ("${a-b}", "expected a variable name"),
    ],
)
def test_syntax_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=re.escape(message)):
        template_variables(template, field="f")
