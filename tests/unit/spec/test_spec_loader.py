"""load_spec: the reference spec loads into the model; every kind of mistake is one clear line."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from chainprobe.spec import (
    CleanupMode,
    EqualsCheck,
    InvalidValueError,
    MissingFieldError,
    SpecError,
    SpecFileError,
    SpecSyntaxError,
    TemplateSyntaxError,
    UnknownFieldError,
    WrongTypeError,
    load_spec,
    parse_spec,
)

REPO = Path(__file__).resolve().parents[3]
ORDERS = REPO / "probes" / "orders.yaml"

MINIMAL: dict[str, Any] = {
    "name": "mini",
    "send": {"endpoint": "${api_url}/things", "order_id_path": "id"},
    "api": {"expected_status": [200]},
}


def _full() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ORDERS.read_text())
    return data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "x.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def test_reference_spec_loads_into_the_model() -> None:
    spec = load_spec(ORDERS)
    assert spec.name == "orders"
    assert spec.verified_stages() == ("api", "dynamodb", "event", "courier")
    assert spec.send.endpoint == "${api_url}/orders"
    assert spec.send.method == "POST"
    assert str(spec.send.order_id_path) == "orderId"
    assert spec.send.tag_header == "x-chainprobe-run"
    assert spec.api.expected_status == (201,)
    assert [str(check.path) for check in spec.api.checks] == ["$.status", "$.orderId"]
    assert isinstance(spec.api.checks[0], EqualsCheck) and spec.api.checks[0].expected == "CREATED"
    assert spec.dynamodb is not None and spec.dynamodb.key == {"orderId": "${order_id}"}
    assert spec.dynamodb.consistent_read is True and spec.dynamodb.cleanup is CleanupMode.DELETE
    assert spec.event is not None and spec.event.source == "orders.api"
    assert spec.event.detail_type == "OrderCreated" and str(spec.event.order_id_path) == "detail.orderId"
    assert spec.courier is not None and spec.courier.url_path == "/deliveries"
    assert spec.courier.expected_status == (200, 201)
    assert (spec.deadlines.api, spec.deadlines.dynamodb, spec.deadlines.event, spec.deadlines.courier) == (
        10,
        5,
        10,
        30,
    )
    assert spec.slo is not None and spec.slo.window == timedelta(days=30)
    assert spec.slo.availability.objective == 0.995
    assert spec.slo.latency is not None and (spec.slo.latency.threshold_ms, spec.slo.latency.percentile) == (
        800,
        95,
    )
    assert spec.slo.delivery is not None and spec.slo.delivery.deadline_seconds == 30


def test_metric_math_is_kept_verbatim() -> None:
    spec = load_spec(ORDERS)
    assert spec.metric_math is not None
    assert spec.metric_math.availability_id == "availability"
    assert spec.metric_math.queries() == _full()["metric_math"]["Metrics"]
    assert spec.metric_math.metric_stat_count() == 4
    dimensions = {
        d["Name"]: d["Value"]
        for query in spec.metric_math.queries()
        if "MetricStat" in query
        for d in query["MetricStat"]["Metric"]["Dimensions"]
    }
    assert dimensions == {
        "ApiName": "OrdersAPI",
        "FunctionName": "OrdersHandler",
        "RuleName": "OrderCreatedToDelivery",
        "EventBusName": "orders",
    }
    copied = spec.metric_math.queries()
    copied[0]["Id"] = "changed"
    assert spec.metric_math.queries()[0]["Id"] == "totalRequests"


def test_minimal_spec_has_defaults_and_verifies_only_the_api(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, MINIMAL))
    assert spec.verified_stages() == ("api",)
    assert spec.slo is None and spec.metric_math is None and spec.cloudwatch_publish is None
    assert spec.deadlines.api == 10 and spec.deadlines.courier == 30
    assert str(spec.send.tag_path) == "probe" and spec.send.headers == {}


def test_delivery_deadline_defaults_to_the_courier_deadline() -> None:
    data = _full()
    del data["slo"]["delivery"]["deadline_seconds"]
    data["deadlines"]["courier"] = 45
    spec = parse_spec(yaml.safe_dump(data), source="probes/x.yaml")
    assert spec.slo is not None and spec.slo.delivery is not None
    assert spec.slo.delivery.deadline_seconds == 45


def test_ttl_cleanup_reads_its_fields() -> None:
    data = _full()
    data["dynamodb"].update(cleanup="ttl", ttl_seconds=3600, ttl_attribute="expiresAt")
    spec = parse_spec(yaml.safe_dump(data))
    assert spec.dynamodb is not None
    assert (spec.dynamodb.cleanup, spec.dynamodb.ttl_seconds, spec.dynamodb.ttl_attribute) == (
        CleanupMode.TTL,
        3600,
        "expiresAt",
    )


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        del node[int(last) if last.isdigit() else last]

    return mutate


ERRORS: list[tuple[str, Mutation, type[SpecError], str]] = [
    # unknown fields
    ("unknown top-level", _set("colour", "red"), UnknownFieldError, "colour: unknown field"),
    (
        "typo suggests",
        _set("api.chekcs", []),
        UnknownFieldError,
        "api.chekcs: unknown field (did you mean checks?)",
    ),
    ("unknown in slo", _set("slo.availability.target", 0.9), UnknownFieldError, "slo.availability.target"),
    ("unknown in check", _set("api.checks.0.equal", "x"), UnknownFieldError, "api.checks[0].equal"),
    ("unknown in Metrics", _set("metric_math.Metrics.0.Stat", "Sum"), UnknownFieldError, "Metrics[0].Stat"),
    # wrong types
    (
        "objective as text",
        _set("slo.availability.objective", "high"),
        WrongTypeError,
        "slo.availability.objective: expected a number between 0 and 1, got 'high'",
    ),
    ("mapping as list", _set("api", [1]), WrongTypeError, "api: expected a mapping, got a list"),
    (
        "statuses as int",
        _set("api.expected_status", 201),
        WrongTypeError,
        "api.expected_status: expected a list",
    ),
    ("bool as number", _set("deadlines.api", True), WrongTypeError, "deadlines.api: expected a number"),
    (
        "text as bool",
        _set("dynamodb.consistent_read", "yes please"),
        WrongTypeError,
        "expected true or false",
    ),
    ("header value", _set("send.headers.content-type", 5), WrongTypeError, "send.headers.content-type"),
    # missing required fields
    ("no name", _delete("name"), MissingFieldError, "name: required field missing"),
    ("no endpoint", _delete("send.endpoint"), MissingFieldError, "send.endpoint: required field missing"),
    ("no statuses", _delete("api.expected_status"), MissingFieldError, "api.expected_status"),
    ("no table", _delete("dynamodb.table"), MissingFieldError, "dynamodb.table"),
    ("no availability", _delete("slo.availability"), MissingFieldError, "slo.availability"),
    ("no Metrics", _delete("metric_math.Metrics"), MissingFieldError, "metric_math.Metrics"),
    # bad values
    ("objective 1", _set("slo.availability.objective", 1), InvalidValueError, "between 0 and 1, got 1"),
    ("status 99", _set("api.expected_status", [99]), InvalidValueError, "api.expected_status[0]"),
    (
        "repeated status",
        _set("api.expected_status", [201, 201]),
        InvalidValueError,
        "expected distinct status codes, got [201, 201]",
    ),
    ("negative deadline", _set("deadlines.event", -1), InvalidValueError, "deadlines.event"),
    ("bad window", _set("slo.window", "a month"), InvalidValueError, "slo.window: expected a duration"),
    ("percentile 0", _set("slo.latency.percentile", 0), InvalidValueError, "slo.latency.percentile"),
    ("bad path", _set("event.order_id_path", "detail..x"), InvalidValueError, "event.order_id_path"),
    (
        "bad regex",
        _set("api.checks.0", {"path": "$.s", "matches": "("}),
        InvalidValueError,
        "regular expression",
    ),
    (
        "two conditions",
        _set("api.checks.0", {"path": "$.s", "equals": 1, "exists": True}),
        InvalidValueError,
        "api.checks[0]: expected exactly one of equals, matches, exists, got 2",
    ),
    ("bad method", _set("send.method", "FETCH"), InvalidValueError, "send.method: expected one of POST"),
    ("bad cleanup", _set("dynamodb.cleanup", "shred"), InvalidValueError, "dynamodb.cleanup"),
    ("ttl without seconds", _set("dynamodb.cleanup", "ttl"), MissingFieldError, "dynamodb.ttl_seconds"),
    (
        "seconds without ttl",
        _set("dynamodb.ttl_seconds", 60),
        InvalidValueError,
        "only allowed with cleanup: ttl",
    ),
    ("url path", _set("courier.url_path", "deliveries"), InvalidValueError, "courier.url_path"),
    ("pattern source", _set("event.pattern", {"source": ["x"]}), InvalidValueError, "event.pattern.source"),
    ("order id in tag", _set("send.order_id_path", "probe.orderId"), InvalidValueError, "send.order_id_path"),
    (
        "delivery no courier",
        _delete("courier"),
        InvalidValueError,
        "slo.delivery: a delivery objective needs",
    ),
    (
        "delivery deadline",
        _set("slo.delivery.deadline_seconds", 45),
        InvalidValueError,
        "slo.delivery.deadline_seconds: expected at most deadlines.courier (30)",
    ),
    ("name", _set("name", "my probe!"), InvalidValueError, "name: expected a name"),
    (
        "template",
        _set("send.endpoint", "${api url}/orders"),
        TemplateSyntaxError,
        "send.endpoint: expected a var",
    ),
    ("unterminated", _set("dynamodb.table", "x${"), TemplateSyntaxError, "dynamodb.table: unterminated"),
    (
        "metric id",
        _set("metric_math.Metrics.0.Id", "Total"),
        InvalidValueError,
        "Metrics[0].Id: expected an Id",
    ),
    ("dup id", _set("metric_math.Metrics.1.Id", "totalRequests"), InvalidValueError, "Metrics[1].Id"),
    (
        "unknown ref",
        _set("metric_math.availability_id", "avail"),
        InvalidValueError,
        "metric_math.availability_id",
    ),
    ("period", _set("metric_math.Metrics.0.MetricStat.Period", 45), InvalidValueError, "MetricStat.Period"),
    (
        "both kinds",
        _set("metric_math.Metrics.4.MetricStat", {"Metric": {}, "Period": 60, "Stat": "Sum"}),
        InvalidValueError,
        "metric_math.Metrics[4]: expected exactly one of Expression, MetricStat, got 2",
    ),
    (
        "aws namespace",
        _set("cloudwatch_publish.namespace", "AWS/Mine"),
        InvalidValueError,
        "AWS/ is reserved",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "error", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_spec_errors_are_one_line_naming_file_field_and_expectation(
    tmp_path: Path, mutation: Mutation, error: type[SpecError], message: str
) -> None:
    data = copy.deepcopy(_full())
    mutation(data)
    path = _write(tmp_path, data)
    with pytest.raises(error) as caught:
        load_spec(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: ")
    assert message in text


RAW_ERRORS: list[tuple[str, str, type[SpecError], str]] = [
    (
        "bad indentation",
        "name: x\nsend:\n  endpoint: a\n bad: 1\n",
        SpecSyntaxError,
        "line 4, column 2: malformed YAML",
    ),
    ("unclosed flow", "name: x\napi: {expected_status: [201\n", SpecSyntaxError, "line 3"),
    ("tab", "name: x\n\tsend: {}\n", SpecSyntaxError, "line 2, column 1: malformed YAML"),
    (
        "repeated key",
        "name: a\nname: b\n",
        SpecSyntaxError,
        "line 2, column 1: malformed YAML: repeated key 'name'",
    ),
    ("empty file", "", WrongTypeError, "expected a mapping at the top level"),
    ("top-level list", "- a\n- b\n", WrongTypeError, "got a list"),
]


@pytest.mark.parametrize(
    ("text", "error", "message"), [e[1:] for e in RAW_ERRORS], ids=[e[0] for e in RAW_ERRORS]
)
def test_malformed_files_are_one_line_with_file_and_line(
    tmp_path: Path, text: str, error: type[SpecError], message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(error) as caught:
        load_spec(path)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_missing_file_is_a_spec_file_error(tmp_path: Path) -> None:
    with pytest.raises(SpecFileError, match=r"nope\.yaml: cannot read the spec file \(No such file"):
        load_spec(tmp_path / "nope.yaml")


def test_non_utf8_file_is_a_spec_file_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(SpecFileError, match="not UTF-8"):
        load_spec(path)


def test_yaml_merge_keys_are_not_mistaken_for_repeats() -> None:
    spec = parse_spec(
        "name: merged\nsend: {endpoint: 'u', order_id_path: id}\n"
        "api:\n  <<: {expected_status: [200], checks: []}\n  expected_status: [201]\n"
    )
    assert spec.api.expected_status == (201,)
