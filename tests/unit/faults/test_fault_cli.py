"""``chainprobe fault`` errors that need no stack, and the registry client's own checks."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from chainprobe.cli.main import main
from chainprobe.stacks.local.faults import (
    FaultLocation,
    FaultRegistryClient,
    FaultRegistryUnavailable,
    FaultUsageError,
    FiredFault,
    check_name,
    check_rate,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def no_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Port options pointing at a state directory and a port where nothing runs."""
    monkeypatch.setenv("CHAINPROBE_STATE_DIR", str(tmp_path / "state"))
    return ["--port", str(free_port()), "--courier-port", str(free_port())]


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize(
    "argv",
    [["fault", "set", "handler-5000"], ["fault", "clear", "handler-5000"], ["fault", "set", "log"]],
)
def test_an_unknown_fault_is_one_line_and_exit_2(
    argv: list[str], no_stack: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, *no_stack]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"chainprobe: unknown fault '{argv[2]}'; known faults: dynamodb-throttle, ")
    assert "courier-429" in line


@pytest.mark.parametrize("rate", ["1.5", "-0.1", "nan", "inf"])
def test_a_rate_outside_0_1_is_one_line_and_exit_2(
    rate: str, no_stack: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fault", "set", "handler-500", "--rate", rate, *no_stack]) == 2
    assert one_error_line(capsys).startswith("chainprobe: rate must be between 0 and 1, got ")


def test_a_rate_that_is_not_a_number_is_a_usage_error(
    no_stack: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fault", "set", "handler-500", "--rate", "half", *no_stack])
    assert exited.value.code == 2
    assert "invalid float value: 'half'" in one_error_line(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["fault", "list"],
        ["fault", "list", "--json"],
        ["fault", "log", "--json"],
        ["fault", "clear"],
        ["fault", "set", "courier-5xx", "--rate", "0.1"],
        ["fault", "set", "dynamodb-throttle", "--on", "Checkouts", "--marker-path", "meta.faults"],
        ["fault", "clear", "--locations"],
    ],
)
def test_no_running_stack_is_one_line_and_exit_3(
    argv: list[str], no_stack: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, *no_stack]) == 3
    line = one_error_line(capsys)
    assert line.startswith("chainprobe: the local stack is not running")
    assert "chainprobe up" in line


@pytest.mark.parametrize("fault", ["handler-500", "courier-5xx", "handler-latency"])
def test_locations_are_only_for_the_local_stacks_own_faults(
    fault: str, no_stack: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fault", "set", fault, "--marker-path", "meta.faults", *no_stack]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"chainprobe: {fault} is fired by the reference chain's code or the courier stub")
    assert line.endswith("are for dynamodb-throttle, events-entry-failure")


def test_a_location_names_the_fault_the_resource_and_the_paths() -> None:
    location = FaultLocation("dynamodb-throttle", "Checkouts", "pk", "meta.faults", "ORDER#")
    assert FaultLocation.from_dict(location.to_dict()) == location
    assert location.describe() == (
        "dynamodb-throttle      on Checkouts: order id at pk (less 'ORDER#'), "
        "markers at meta.faults in the item"
    )
    everywhere = FaultLocation.from_dict({"fault": "events-entry-failure", "resource": None})
    assert everywhere.describe() == (
        "events-entry-failure   on every bus: order id at orderId, markers at chaos in the event detail"
    )
    with pytest.raises(FaultUsageError, match="courier stub"):
        FaultRegistryClient("http://127.0.0.1:9").locate(FaultLocation("handler-500"))


def test_fault_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fault"])
    assert exited.value.code == 2
    assert "required" in one_error_line(capsys)


def test_client_checks_names_and_rates_before_calling() -> None:
    assert check_name("courier-slow") == "courier-slow"
    assert check_rate(0) == 0 and check_rate(1) == 1
    registry = FaultRegistryClient("http://127.0.0.1:9/_chainprobe/faults", timeout=0.5)
    with pytest.raises(FaultUsageError, match="unknown fault 'bogus'"):
        registry.set("bogus")
    with pytest.raises(FaultUsageError, match="between 0 and 1"):
        registry.set("handler-500", 2)
    with pytest.raises(FaultUsageError, match="unknown fault"):
        registry.replace({"handler-500": 0.5, "bogus": 1})


def test_client_reports_an_unreachable_registry_as_a_stack_error() -> None:
    registry = FaultRegistryClient.for_endpoint(f"http://127.0.0.1:{free_port()}", timeout=0.5)
    assert registry.base_url.endswith("/_chainprobe/faults")
    with pytest.raises(FaultRegistryUnavailable, match="fault registry at"):
        registry.active()


def test_fired_fault_round_trips_the_log_format() -> None:
    raw = {
        "fault": "courier-5xx",
        "orderId": "o-1",
        "trigger": "marker",
        "at": 12.5,
        "detail": {"attempt": 2},
    }
    assert FiredFault.from_dict(raw).to_dict() == raw
    assert FiredFault.from_dict({**raw, "orderId": None, "detail": None}).order_id is None
