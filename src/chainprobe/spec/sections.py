"""Readers for the chain sections of a spec: ``send``, ``api``, ``dynamodb``, ``event``, ``courier``."""

from __future__ import annotations

import re

from chainprobe.spec.exceptions import InvalidValueError, MissingFieldError
from chainprobe.spec.model import (
    DEFAULT_TAG_HEADER,
    DEFAULT_TAG_PATH,
    ApiSpec,
    CleanupMode,
    CourierSpec,
    DynamoDbSpec,
    EventSpec,
    SendSpec,
)
from chainprobe.spec.paths import FieldPath
from chainprobe.spec.reader import Fields, Node
from chainprobe.spec.values import read_checks, read_json_template, read_path, read_statuses, read_template

__all__ = ["read_api", "read_courier", "read_dynamodb", "read_event", "read_send"]

_METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE")
_HEADER_NAME = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_ATTRIBUTE = r"[A-Za-z0-9_.\-]{1,255}"
MAX_SETTLE_S = 3600.0


def read_send(node: Node) -> SendSpec:
    """``send``: endpoint, method, headers, payload, order_id_path, tag_path, tag_header,
    fault_marker_path."""
    fields = Fields(
        node,
        required=("endpoint", "order_id_path"),
        optional=("method", "headers", "payload", "tag_path", "tag_header", "fault_marker_path"),
    )
    order_id_path = read_path(fields.get("order_id_path"))
    tag_path = _optional_path(fields, "tag_path") or DEFAULT_TAG_PATH
    if _overlaps(order_id_path, tag_path):
        fields.get("order_id_path").invalid(f"a path apart from send.tag_path ({tag_path})")
    return SendSpec(
        endpoint=read_template(fields.get("endpoint"), expected="a URL template such as ${api_url}/orders"),
        method=_method(fields),
        headers=_headers(fields.optional("headers")),
        payload=_payload(fields.optional("payload")),
        order_id_path=order_id_path,
        tag_path=tag_path,
        tag_header=_tag_header(fields.optional("tag_header")),
        fault_marker_path=_optional_path(fields, "fault_marker_path"),
    )


def read_api(node: Node) -> ApiSpec:
    """``api``: expected_status and checks of the answer's JSON body."""
    fields = Fields(node, required=("expected_status",), optional=("checks",))
    checks = fields.optional("checks")
    return ApiSpec(
        expected_status=read_statuses(fields.get("expected_status")),
        checks=read_checks(checks) if checks else (),
    )


def read_dynamodb(node: Node) -> DynamoDbSpec:
    """``dynamodb``: table, key, checks, consistent_read, cleanup (none|delete|ttl) and its ttl fields."""
    fields = Fields(
        node,
        required=("table", "key"),
        optional=("checks", "consistent_read", "cleanup", "ttl_seconds", "ttl_attribute"),
    )
    checks, consistent = fields.optional("checks"), fields.optional("consistent_read")
    cleanup_node = fields.optional("cleanup")
    cleanup = CleanupMode(cleanup_node.choice(CleanupMode)) if cleanup_node else CleanupMode.NONE
    ttl_seconds, ttl_attribute = _ttl(fields, cleanup)
    return DynamoDbSpec(
        table=read_template(fields.get("table"), expected="a table name or template such as ${table}"),
        key=_key(fields.get("key")),
        checks=read_checks(checks) if checks else (),
        consistent_read=consistent.boolean() if consistent else True,
        cleanup=cleanup,
        ttl_seconds=ttl_seconds,
        ttl_attribute=ttl_attribute,
    )


def read_event(node: Node) -> EventSpec:
    """``event``: bus, source, detail_type, pattern, order_id_path, tag_path, settle_seconds."""
    fields = Fields(
        node,
        required=("bus", "source", "detail_type", "order_id_path"),
        optional=("pattern", "tag_path", "settle_seconds"),
    )
    return EventSpec(
        bus=read_template(fields.get("bus"), expected="an event bus name or template such as ${bus}"),
        source=fields.get("source").text(),
        detail_type=fields.get("detail_type").text(),
        pattern=_pattern(fields.optional("pattern")),
        order_id_path=read_path(fields.get("order_id_path")),
        tag_path=_optional_path(fields, "tag_path"),
        settle_seconds=_settle_seconds(fields),
    )


def read_courier(node: Node) -> CourierSpec:
    """``courier``: admin_url, method, url_path, order_id_json_path, expected_status, client_timeout_ms,
    settle_seconds."""
    fields = Fields(
        node,
        required=("admin_url", "url_path", "order_id_json_path"),
        optional=("method", "expected_status", "client_timeout_ms", "settle_seconds"),
    )
    statuses = fields.optional("expected_status")
    timeout = fields.optional("client_timeout_ms")
    return CourierSpec(
        admin_url=read_template(fields.get("admin_url"), expected="a URL template such as ${courier_url}"),
        method=_method(fields),
        url_path=fields.get("url_path").text(pattern=r"/\S*", expected="a URL path such as /deliveries"),
        order_id_json_path=read_path(fields.get("order_id_json_path")),
        expected_status=read_statuses(statuses) if statuses else (200,),
        client_timeout_ms=timeout.number(low=1) if timeout else None,
        settle_seconds=_settle_seconds(fields),
    )


def _settle_seconds(fields: Fields) -> float | None:
    """A stage's settle window: seconds in [0, 3600] (a verdict waits for it), ``None`` for the default."""
    node = fields.optional("settle_seconds")
    return node.number(low=0, high=MAX_SETTLE_S) if node else None


def _method(fields: Fields) -> str:
    node = fields.optional("method")
    return node.choice(_METHODS) if node else "POST"


def _headers(node: Node | None) -> dict[str, str]:
    if node is None:
        return {}
    headers: dict[str, str] = {}
    for name, value in node.mapping(expected="a mapping of header name to value").items():
        if re.fullmatch(_HEADER_NAME, name) is None:
            value.fail(InvalidValueError, f"expected a header name, got {name!r}")
        headers[name] = read_template(value, expected="a header value (text)")
    return headers


def _payload(node: Node | None) -> dict[str, object]:
    if node is None:
        return {}
    node.mapping(expected="a payload mapping (the JSON body template)")
    payload = read_json_template(node)
    assert isinstance(payload, dict)
    return payload


def _tag_header(node: Node | None) -> str:
    if node is None:
        return DEFAULT_TAG_HEADER
    return node.text(pattern=_HEADER_NAME, expected="a header name such as x-chainprobe-run")


def _key(node: Node) -> dict[str, str]:
    entries = node.mapping(expected="a mapping of key attribute to template such as {orderId: '${order_id}'}")
    if not 1 <= len(entries) <= 2:
        node.invalid("one or two key attributes (partition key, optional sort key)")
    return {
        name: read_template(value, expected="a key value template such as ${order_id}")
        for name, value in entries.items()
    }


def _ttl(fields: Fields, cleanup: CleanupMode) -> tuple[int | None, str | None]:
    if cleanup is not CleanupMode.TTL:
        for key in ("ttl_seconds", "ttl_attribute"):
            if fields.has(key):
                fields.get(key).fail(InvalidValueError, f"only allowed with cleanup: ttl, not {cleanup}")
        return None, None
    for key in ("ttl_seconds", "ttl_attribute"):
        if not fields.has(key):
            fields.node.child(key).fail(MissingFieldError, "required field missing (cleanup is ttl)")
    seconds = fields.get("ttl_seconds").integer(low=1)
    attribute = fields.get("ttl_attribute").text(pattern=_ATTRIBUTE, expected="an attribute name")
    return seconds, attribute


def _pattern(node: Node | None) -> dict[str, object]:
    if node is None:
        return {}
    entries = node.mapping(expected="an EventBridge pattern mapping")
    for key in ("source", "detail-type"):
        if key in entries:
            field_name = key.replace("-", "_")
            entries[key].fail(InvalidValueError, f"set {key} with event.{field_name}, not in the pattern")
    pattern = read_json_template(node)
    assert isinstance(pattern, dict)
    return pattern


def _optional_path(fields: Fields, key: str) -> FieldPath | None:
    node = fields.optional(key)
    return read_path(node) if node else None


def _overlaps(first: FieldPath, second: FieldPath) -> bool:
    shorter = min(len(first.parts), len(second.parts))
    return first.parts[:shorter] == second.parts[:shorter]
