"""The flow-control scenario file: read as data, refused with one line naming the field (exit 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.flow_control import (
    FlowSetting,
    RateLimit,
    load_flow_scenario,
    parse_flow_scenario,
    rate_limit,
)

ROOT = Path(__file__).resolve().parents[3]
GOOD: dict[Any, Any] = {
    "courier_profile": "slow",
    "function": "DeliveryHandler",
    "dlq": "DeliveryDLQ",
    "on": {"batch_size": 5, "maximum_concurrency": 2},
    "off": {"batch_size": 10},
}


def test_the_shipped_scenario_is_the_templates_flow_control_and_the_slow_courier() -> None:
    scenario = load_flow_scenario(ROOT / "probes" / "flow-control.yaml", profiles=ROOT / "stubs" / "profiles")
    assert scenario.setting("on") == FlowSetting("on", batch_size=5, maximum_concurrency=2)
    assert scenario.setting("off") == FlowSetting("off", batch_size=10, maximum_concurrency=None)
    assert (scenario.function, scenario.dlq) == ("DeliveryHandler", "DeliveryDLQ")
    assert rate_limit(scenario.profile_mappings()) == RateLimit(per_second=10.0, burst=10)


def test_bare_yaml_on_off_keys_read_as_booleans_are_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("courier_profile: ./p\nfunction: F\ndlq: D\non: {batch_size: 1}\noff: {batch_size: 2}\n")
    scenario = load_flow_scenario(path, profiles=tmp_path)
    assert (scenario.setting("on").batch_size, scenario.setting("off").batch_size) == (1, 2)
    assert scenario.courier_profile == tmp_path / "./p"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"on": None}, "flow.yaml: on: expected batch_size and maximum_concurrency"),
        ({"function": ""}, "flow.yaml: function: expected a name"),
        ({"colour": "red"}, "flow.yaml: colour: unknown field"),
        ({"off": {"batch_size": 0}}, "flow.yaml: off.batch_size: expected a whole number 1..10000, got 0"),
        (
            {"off": {"batch_size": True}},
            "flow.yaml: off.batch_size: expected a whole number 1..10000, got True",
        ),
        (
            {"on": {"batch_size": 5, "maximum_concurrency": 1}},
            "flow.yaml: on.maximum_concurrency: expected a whole number 2..1000, got 1",
        ),
        ({"on": {"batch_size": 5, "max": 2}}, "flow.yaml: on.max: unknown field"),
        ({"on": {"maximum_concurrency": 2}}, "flow.yaml: on.batch_size: missing"),
    ],
)
def test_a_bad_scenario_is_one_line_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_flow_scenario(GOOD | change, source="flow.yaml")
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_a_missing_field_and_a_bad_choice() -> None:
    with pytest.raises(SpecError, match=r"^flow\.yaml: dlq: missing$"):
        parse_flow_scenario({k: v for k, v in GOOD.items() if k != "dlq"}, source="flow.yaml")
    with pytest.raises(SpecError, match=r"^--flow-control: expected on\|off, got 'maybe'$"):
        parse_flow_scenario(GOOD, source="flow.yaml").setting("maybe")


def test_a_profile_without_mappings_and_an_unreadable_file(tmp_path: Path) -> None:
    scenario = parse_flow_scenario(GOOD, source="flow.yaml", profiles=tmp_path)
    with pytest.raises(SpecError, match=r"courier_profile: no mappings/\*\.json in"):
        scenario.profile_mappings()
    with pytest.raises(SpecError, match="cannot read the flow-control scenario"):
        load_flow_scenario(tmp_path / "absent.yaml", profiles=tmp_path)
    (tmp_path / "slow" / "mappings").mkdir(parents=True)
    (tmp_path / "slow" / "mappings" / "a.json").write_text("{not json")
    with pytest.raises(SpecError, match=r"a\.json"):
        scenario.profile_mappings()


@pytest.mark.parametrize(
    ("stubs", "expected"),
    [
        ([], None),
        ([{"id": "x"}, {"metadata": {"other": 1}}], None),
        ([{"metadata": {"chainprobeRateLimit": {"ratePerSecond": 8, "burst": 4}}}], RateLimit(8.0, 4)),
        ([{"metadata": {"chainprobeRateLimit": {"ratePerSecond": 2.5, "burst": 1}}}], RateLimit(2.5, 1)),
    ],
)
def test_the_limit_is_the_rate_limit_stubs_metadata(
    stubs: list[dict[str, Any]], expected: RateLimit | None
) -> None:
    assert rate_limit(stubs) == expected


def test_a_rate_limit_without_a_rate_is_refused() -> None:
    with pytest.raises(SpecError, match="ratePerSecond > 0"):
        rate_limit([{"metadata": {"chainprobeRateLimit": {"ratePerSecond": 0, "burst": 4}}}])
