"""The ``logs`` section: optional, read into ``LogsSpec``, every mistake one clear line."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from chainprobe.spec import (
    InvalidValueError,
    MissingFieldError,
    SpecError,
    UnknownFieldError,
    WrongTypeError,
    parse_spec,
)
from chainprobe.spec.model import Milestone

BASE: dict[str, Any] = {
    "name": "mini",
    "send": {"endpoint": "${api_url}/things", "order_id_path": "id"},
    "api": {"expected_status": [200]},
}
LOGS: dict[str, Any] = {
    "log_groups": ["/aws/lambda/${orders_function:-OrdersHandler}", "/aws/lambda/DeliveryHandler"],
    "correlation_field": "correlation_id",
    "milestone_field": "status",
    "first_milestone": {"name": "START", "log_group": "/aws/lambda/${orders_function:-OrdersHandler}"},
    "last_milestone": "COMPLETED",
    "failure_milestone": "FAILED",
    "exception_fields": ["reason", "error.message"],
}


def _parse(logs: object) -> Any:
    return parse_spec(yaml.safe_dump({**BASE, "logs": logs}), source="x.yaml")


def test_without_the_section_there_is_no_log_view() -> None:
    assert parse_spec(yaml.safe_dump(BASE)).logs is None


def test_the_section_reads_into_the_model() -> None:
    logs = _parse(LOGS).logs
    assert logs.log_groups == tuple(LOGS["log_groups"])
    assert (logs.correlation_field, logs.milestone_field) == ("correlation_id", "status")
    assert logs.first_milestone == Milestone(name="START", log_group=LOGS["log_groups"][0])
    assert logs.last_milestone == Milestone(name="COMPLETED", log_group=None)
    assert logs.failure_milestone == "FAILED"
    assert logs.exception_fields == ("reason", "error.message")
    assert logs.milestones == ()


def test_the_path_between_first_and_last_reads_in_order() -> None:
    path = ["SAVED_IN_DATABASE", {"name": "START", "log_group": "/aws/lambda/DeliveryHandler"}]
    logs = _parse({**LOGS, "milestones": path}).logs
    assert logs.milestones == (
        Milestone(name="SAVED_IN_DATABASE"),
        Milestone(name="START", log_group="/aws/lambda/DeliveryHandler"),
    )


def _without(key: str) -> dict[str, Any]:
    logs = copy.deepcopy(LOGS)
    del logs[key]
    return logs


def _with(key: str, value: object) -> dict[str, Any]:
    return {**copy.deepcopy(LOGS), key: value}


ERRORS: list[tuple[str, object, type[SpecError], str]] = [
    ("not a mapping", ["a"], WrongTypeError, "logs"),
    ("no log groups", _without("log_groups"), MissingFieldError, "logs.log_groups"),
    ("empty log groups", _with("log_groups", []), InvalidValueError, "logs.log_groups"),
    ("bad template", _with("log_groups", ["/aws/${x"]), SpecError, "logs.log_groups[0]"),
    ("no correlation", _without("correlation_field"), MissingFieldError, "logs.correlation_field"),
    ("quote in a field", _with("milestone_field", 'st"atus'), InvalidValueError, "logs.milestone_field"),
    ("space in a milestone", _with("last_milestone", "DONE NOW"), InvalidValueError, "logs.last_milestone"),
    ("milestone number", _with("first_milestone", 3), WrongTypeError, "logs.first_milestone"),
    (
        "milestone group not listed",
        _with("last_milestone", {"name": "COMPLETED", "log_group": "/aws/lambda/Other"}),
        InvalidValueError,
        "logs.last_milestone.log_group",
    ),
    (
        "milestone unknown key",
        _with("last_milestone", {"name": "COMPLETED", "group": "x"}),
        UnknownFieldError,
        "logs.last_milestone",
    ),
    ("unknown key", _with("path", []), UnknownFieldError, "logs"),
    ("milestones not a list", _with("milestones", "PUBLISHED"), WrongTypeError, "logs.milestones"),
    (
        "space in a path milestone",
        _with("milestones", ["OK", "NOT OK"]),
        InvalidValueError,
        "logs.milestones[1]",
    ),
    (
        "path milestone group not listed",
        _with("milestones", [{"name": "PUBLISHED", "log_group": "/aws/lambda/Other"}]),
        InvalidValueError,
        "logs.milestones[0].log_group",
    ),
    (
        "exception fields not a list",
        _with("exception_fields", "reason"),
        WrongTypeError,
        "logs.exception_fields",
    ),
    ("failure milestone empty", _with("failure_milestone", ""), InvalidValueError, "logs.failure_milestone"),
]


@pytest.mark.parametrize(("case", "logs", "error", "field"), ERRORS, ids=[case for case, *_ in ERRORS])
def test_mistakes_are_one_line_naming_the_field(
    case: str, logs: object, error: type[SpecError], field: str
) -> None:
    with pytest.raises(error) as caught:
        _parse(logs)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"x.yaml: {field}"), message
