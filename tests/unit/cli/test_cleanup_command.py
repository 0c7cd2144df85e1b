"""``chainprobe cleanup [--bus B | --spec FILE]``: which scope the options ask for."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainprobe.cli.main import build_parser
from chainprobe.cli.run_commands import cleanup_scope
from chainprobe.spec import load_spec
from chainprobe.stacks.clients import AwsClients
from chainprobe.target import Target
from chainprobe.verify.capture import resource_name
from chainprobe.verify.capture_cleanup import CaptureScope

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "probes" / "orders.yaml"


def target(bus: str) -> Target:
    return Target(name="t", endpoints={"bus": bus}, clients=AwsClients(region="us-east-1"))


def scope_of(*argv: str, bus: str = "orders") -> CaptureScope | None:
    return cleanup_scope(build_parser().parse_args(["cleanup", *argv]), target(bus))


def test_no_option_is_every_capture_resource() -> None:
    assert scope_of() == CaptureScope()


def test_a_bus_is_that_bus_whatever_the_target_says() -> None:
    assert scope_of("--bus", "payments", bus="orders") == CaptureScope(bus="payments")


def test_a_spec_is_its_rendered_bus_and_its_one_resource_name() -> None:
    spec = load_spec(SPEC)
    assert spec.event is not None

    scope = scope_of("--spec", str(SPEC), bus="shop-bus")

    assert scope == CaptureScope(bus="shop-bus", name=resource_name("shop-bus", spec.event.capture_pattern()))


def test_a_spec_without_an_event_has_nothing_to_remove(tmp_path: Path) -> None:
    spec = tmp_path / "no-event.yaml"
    spec.write_text(
        "name: shop\n"
        'send: {endpoint: "${api_url}/orders", order_id_path: orderId}\n'
        "api: {expected_status: [201]}\n"
    )
    assert scope_of("--spec", str(spec)) is None


def test_bus_and_spec_together_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["cleanup", "--bus", "b", "--spec", "s.yaml"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
