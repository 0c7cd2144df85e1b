"""Readers for the value kinds several spec sections share: templates, paths, statuses, checks."""

from __future__ import annotations

import re

from chainprobe.spec.checks import EqualsCheck, ExistsCheck, JsonCheck, MatchesCheck
from chainprobe.spec.exceptions import InvalidValueError, TemplateError, TemplateSyntaxError
from chainprobe.spec.paths import FieldPath
from chainprobe.spec.reader import Fields, Node
from chainprobe.spec.template import template_variables

__all__ = ["read_checks", "read_json_template", "read_path", "read_statuses", "read_template"]

_CHECK_KINDS = ("equals", "matches", "exists")


def read_template(node: Node, *, expected: str = "a string") -> str:
    """A non-empty string whose ``${name}`` placeholders are well-formed."""
    text = node.text(expected=expected)
    _check_template(node, text)
    return text


def read_path(node: Node) -> FieldPath:
    """A dotted path (``detail.orderId``) or simple JSONPath (``$.status``)."""
    text = node.text(expected="a path such as orderId, detail.orderId or $.status")
    try:
        return FieldPath.parse(text)
    except ValueError:
        node.invalid("a path such as orderId, detail.orderId or $.status")


def read_statuses(node: Node) -> tuple[int, ...]:
    """A non-empty list of distinct HTTP status codes."""
    expected = "a list of HTTP status codes such as [201]"
    codes = tuple(item.integer(low=100, high=599) for item in node.items(expected=expected))
    if len(set(codes)) != len(codes):
        node.fail(InvalidValueError, f"expected distinct status codes, got {list(codes)}")
    return codes


def read_json_template(node: Node) -> object:
    """Any JSON-like value whose strings are well-formed templates (mapping keys must be text)."""
    if isinstance(node.value, str):
        _check_template(node, node.value)
    elif isinstance(node.value, dict):
        return {key: read_json_template(child) for key, child in node.mapping().items()}
    elif isinstance(node.value, list):
        return [read_json_template(child) for child in node.items(allow_empty=True)]
    elif node.value is not None and not isinstance(node.value, bool | int | float):
        node.wrong_type("a JSON value (text, number, true/false, null, list or mapping)")
    return node.value


def read_checks(node: Node) -> tuple[JsonCheck, ...]:
    """A list of ``{path, equals|matches|exists}`` checks."""
    return tuple(_read_check(item) for item in node.items(expected="a list of checks", allow_empty=True))


def _read_check(node: Node) -> JsonCheck:
    fields = Fields(node, required=("path",), optional=_CHECK_KINDS)
    given = [kind for kind in _CHECK_KINDS if kind in node.mapping()]
    if len(given) != 1:
        node.fail(InvalidValueError, f"expected exactly one of equals, matches, exists, got {len(given)}")
    path = read_path(fields.get("path"))
    kind, value = given[0], fields.get(given[0])
    if kind == "equals":
        return EqualsCheck(path=path, expected=read_json_template(value))
    if kind == "matches":
        return MatchesCheck(path=path, pattern=_read_regex(value))
    return ExistsCheck(path=path, exists=value.boolean())


def _read_regex(node: Node) -> str:
    pattern = node.text(expected="a regular expression")
    try:
        re.compile(pattern)
    except re.error as error:
        node.fail(InvalidValueError, f"expected a regular expression, got {pattern!r} ({error})")
    return pattern


def _check_template(node: Node, text: str) -> None:
    try:
        template_variables(text)
    except TemplateError as error:
        node.fail(TemplateSyntaxError, error.reason)
