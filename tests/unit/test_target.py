"""The target's checks before a run: URLs in the environment, the table, the bus, the courier journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chainprobe.spec import load_spec
from chainprobe.spec.http_url import InvalidUrlError
from chainprobe.target import Target, TargetConfigError, TargetError, check_environment_urls, preflight

ORDERS = load_spec(Path(__file__).resolve().parents[2] / "probes" / "orders.yaml")
ENDPOINTS = {"api_url": "http://127.0.0.1:4566/api", "courier_url": "http://127.0.0.1:8089"}


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"CHAINPROBE_API_URL": "http://[::1"}, "CHAINPROBE_API_URL"),
        ({"CHAINPROBE_API_URL": "http://127.0.0.1:99999/x"}, "CHAINPROBE_API_URL"),
        ({"CHAINPROBE_API_URL": "not-a-url"}, "CHAINPROBE_API_URL"),
        ({"CHAINPROBE_API_URL": "ftp://127.0.0.1/x"}, "CHAINPROBE_API_URL"),
        ({"CHAINPROBE_API_URL": "http:///x"}, "CHAINPROBE_API_URL"),
        ({"CHAINPROBE_COURIER_URL": "127.0.0.1:8089"}, "CHAINPROBE_COURIER_URL"),
        ({"CHAINPROBE_AWS_ENDPOINT_URL": "localhost"}, "CHAINPROBE_AWS_ENDPOINT_URL"),
        ({"CHAINPROBE_API_URL": "http://127.0.0.1/x", "CHAINPROBE_TABLE": "not a url"}, None),
        ({"CHAINPROBE_API_URL": "", "OTHER_URL": "nonsense"}, None),
    ],
)
def test_environment_urls(environ: dict[str, str], named: str | None) -> None:
    if named is None:
        check_environment_urls(environ)
        return
    with pytest.raises(InvalidUrlError) as raised:
        check_environment_urls(environ)
    assert str(raised.value).startswith(f"{named}: expected an http:// or https:// URL, got ")


def not_found(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "x"}}, operation)


class FakeAws:
    """STS, DynamoDB and EventBridge answering as AWS does for the resources in ``existing``."""

    def __init__(self, existing: set[str]) -> None:
        self.existing = existing
        self.calls: list[str] = []

    def client(self, name: str) -> Any:
        return self

    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": "000000000000"}

    def describe_table(self, *, TableName: str) -> dict[str, Any]:
        self.calls.append(f"table {TableName}")
        if TableName not in self.existing:
            raise not_found("DescribeTable")
        return {}

    def describe_event_bus(self, *, Name: str) -> dict[str, Any]:
        self.calls.append(f"bus {Name}")
        if Name not in self.existing:
            raise not_found("DescribeEventBus")
        return {}


@pytest.fixture
def reachable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    journals: list[str] = []
    monkeypatch.setattr("chainprobe.target.can_connect", lambda url: True)
    monkeypatch.setattr("chainprobe.target.check_courier_journal", journals.append)
    return journals


@pytest.mark.parametrize(
    ("existing", "problem"),
    [
        ({"Orders", "orders"}, None),
        ({"orders"}, "table Orders does not exist at the target"),
        ({"Orders"}, "event bus orders does not exist at the target"),
    ],
)
def test_preflight_requires_the_table_and_the_bus(
    existing: set[str], problem: str | None, reachable: list[str]
) -> None:
    aws = FakeAws(existing)
    target = Target(name="t", endpoints=ENDPOINTS, clients=aws)  # type: ignore[arg-type]
    if problem is None:
        sample = preflight(ORDERS, target)
        assert aws.calls == ["table Orders", "bus orders"]
        assert reachable == ["http://127.0.0.1:8089"]
        assert sample.bus == "orders"
        return
    with pytest.raises(TargetConfigError) as raised:
        preflight(ORDERS, target)
    assert str(raised.value) == problem
    assert reachable == []


def test_an_unreachable_courier_journal_names_its_url() -> None:
    from chainprobe.target import check_courier_journal

    with pytest.raises(TargetError) as raised:
        check_courier_journal("http://127.0.0.1:9/", timeout=2.0)
    assert str(raised.value).startswith(
        "cannot read the courier journal at http://127.0.0.1:9/__admin/requests ("
    )
