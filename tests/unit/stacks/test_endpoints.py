"""StackEndpoints to and from the environment: what ``deploy --env`` prints is what a canary reads."""

from __future__ import annotations

import pytest

from chainprobe.spec.variables import endpoint_variables
from chainprobe.stacks.endpoints import StackEndpoints

STAGING = StackEndpoints(
    api_url="https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
    aws_endpoint_url=None,
    region="eu-west-1",
    courier_url="https://courier.example.com",
    table="Orders",
    bus="orders",
)


@pytest.mark.parametrize(
    "endpoints",
    [STAGING, StackEndpoints(**(STAGING.to_dict() | {"aws_endpoint_url": "http://127.0.0.1:4566"}))],
)
def test_the_printed_variables_read_back_as_the_same_endpoints(
    endpoints: StackEndpoints, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "CHAINPROBE_AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in endpoints.to_environment().items():
        monkeypatch.setenv(key, value)

    assert StackEndpoints.from_environment() == endpoints


def test_a_spec_template_sees_the_printed_values() -> None:
    variables = endpoint_variables({}, environ=STAGING.to_environment())
    assert {k: variables[k] for k in ("api_url", "courier_url", "table", "bus")} == {
        "api_url": STAGING.api_url,
        "courier_url": STAGING.courier_url,
        "table": "Orders",
        "bus": "orders",
    }
    assert "CHAINPROBE_AWS_ENDPOINT_URL" not in STAGING.to_environment()
