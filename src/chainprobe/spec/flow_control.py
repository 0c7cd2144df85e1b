"""The courier flow-control scenario as data (``probes/flow-control.yaml``): what ``--flow-control on|off``
sets on the delivery queue's event source mapping, and which courier profile it loads first.

Example::

    >>> scenario = parse_flow_scenario(
    ...     {"courier_profile": "slow", "function": "DeliveryHandler", "dlq": "DeliveryDLQ",
    ...      "on": {"batch_size": 5, "maximum_concurrency": 2}, "off": {"batch_size": 10}},
    ...     source="flow.yaml")
    >>> scenario.setting("on")
    FlowSetting(name='on', batch_size=5, maximum_concurrency=2)
    >>> rate_limit([{"metadata": {"chainprobeRateLimit": {"ratePerSecond": 10, "burst": 10}}}])
    RateLimit(per_second=10.0, burst=10)

Raises ``SpecError`` (the CLI's exit 2, one line naming the file and the field) for a file that is not
the scenario: a missing or unknown field, a batch size outside SQS's 1..10000, a maximum concurrency
outside AWS's 2..1000, a profile directory without mappings, an unknown ``--flow-control`` value.
Limitation: a BatchSize above 10 needs a batching window on AWS; the scenario does not set one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chainprobe.spec.exceptions import SpecError

__all__ = [
    "DEFAULT_FLOW_SCENARIO",
    "FLOW_CONTROL_CHOICES",
    "FlowScenario",
    "FlowSetting",
    "RateLimit",
    "load_flow_scenario",
    "parse_flow_scenario",
    "rate_limit",
]

FLOW_CONTROL_CHOICES = ("on", "off")
DEFAULT_FLOW_SCENARIO = Path("probes/flow-control.yaml")
BATCH_SIZE_RANGE = (1, 10_000)
MAXIMUM_CONCURRENCY_RANGE = (2, 1000)
RATE_LIMIT_KEY = "chainprobeRateLimit"  # the WireMock extension's stub metadata (stubs/extensions)
_YAML_BOOLEANS = {True: "on", False: "off"}
_FIELDS = {"courier_profile", "function", "dlq", "on", "off"}
_SETTING_FIELDS = {"batch_size", "maximum_concurrency"}


@dataclass(frozen=True)
class FlowSetting:
    """One side of the scenario: the mapping's BatchSize and MaximumConcurrency (None: no maximum)."""

    name: str
    batch_size: int
    maximum_concurrency: int | None


@dataclass(frozen=True)
class RateLimit:
    """The courier's token bucket: ``per_second`` refill, ``burst`` tokens."""

    per_second: float
    burst: int


@dataclass(frozen=True)
class FlowScenario:
    source: str
    courier_profile: Path  # the profile's directory (its mappings/ hold the stubs)
    function: str
    dlq: str
    settings: Mapping[str, FlowSetting]

    def setting(self, name: str) -> FlowSetting:
        if name not in self.settings:
            choices = "|".join(FLOW_CONTROL_CHOICES)
            raise SpecError(f"expected {choices}, got {name!r}", source="--flow-control")
        return self.settings[name]

    def profile_mappings(self) -> list[dict[str, Any]]:
        """The courier profile's stubs, each ``mappings/*.json`` file one stub, in name order."""
        files = sorted((self.courier_profile / "mappings").glob("*.json"))
        if not files:
            reason = f"no mappings/*.json in {self.courier_profile}"
            raise SpecError(reason, source=self.source, field="courier_profile")
        stubs = []
        for path in files:
            try:
                stub = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise SpecError(f"{path}: {e}", source=self.source, field="courier_profile") from None
            if not isinstance(stub, dict):
                raise SpecError(f"{path}: expected one stub", source=self.source, field="courier_profile")
            stubs.append(stub)
        return stubs


def rate_limit(stubs: Sequence[Mapping[str, Any]]) -> RateLimit | None:
    """The limit the profile's rate-limit stub states (its ``metadata.chainprobeRateLimit``), if any."""
    for stub in stubs:
        metadata = stub.get("metadata")
        limit = metadata.get(RATE_LIMIT_KEY) if isinstance(metadata, dict) else None
        if isinstance(limit, dict):
            per_second, burst = limit.get("ratePerSecond"), limit.get("burst")
            if not isinstance(per_second, int | float) or not isinstance(burst, int) or per_second <= 0:
                raise SpecError(
                    f"{RATE_LIMIT_KEY}: expected ratePerSecond > 0 and a whole burst, got {limit}"
                )
            return RateLimit(per_second=float(per_second), burst=burst)
    return None


def load_flow_scenario(path: Path, *, profiles: Path) -> FlowScenario:
    """The scenario file at ``path``; a bare ``courier_profile`` name is a directory under ``profiles``."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SpecError(
            f"cannot read the flow-control scenario: {e.strerror or e}", source=str(path)
        ) from None
    except yaml.YAMLError as e:
        raise SpecError(f"not YAML: {str(e).splitlines()[0]}", source=str(path)) from None
    return parse_flow_scenario(document, source=str(path), profiles=profiles, base=path.parent)


def parse_flow_scenario(
    document: object, *, source: str, profiles: Path = Path("stubs/profiles"), base: Path = Path()
) -> FlowScenario:
    if not isinstance(document, dict):
        raise SpecError("expected a mapping of courier_profile, function, dlq, on, off", source=source)
    fields: dict[str, Any] = {_key(key): value for key, value in document.items()}
    _check_fields(fields, _FIELDS, source=source, prefix="")
    profile = _text(fields, "courier_profile", source)
    profile_dir = _profile_dir(profile, profiles=profiles, base=base)
    settings = {name: _setting(fields[name], name, source) for name in FLOW_CONTROL_CHOICES}
    return FlowScenario(
        source=source,
        courier_profile=profile_dir,
        function=_text(fields, "function", source),
        dlq=_text(fields, "dlq", source),
        settings=settings,
    )


def _key(key: object) -> str:
    """A field name; YAML 1.1 reads a bare ``on``/``off`` key as a boolean."""
    return _YAML_BOOLEANS[key] if isinstance(key, bool) else str(key)


def _profile_dir(profile: str, *, profiles: Path, base: Path) -> Path:
    """A bare name is a profile under ``profiles``; a path (with a slash) is relative to the scenario file."""
    return profiles / profile if "/" not in profile else base / profile


def _check_fields(
    document: Mapping[Any, Any],
    fields: set[str],
    *,
    source: str,
    prefix: str,
    optional: frozenset[str] = frozenset(),
) -> None:
    for field in sorted(fields - optional - set(document)):
        raise SpecError("missing", source=source, field=f"{prefix}{field}")
    for field in sorted(set(map(str, document)) - fields):
        expected = ", ".join(sorted(fields))
        raise SpecError(
            f"unknown field (expected one of {expected})", source=source, field=f"{prefix}{field}"
        )


def _text(document: Mapping[str, Any], field: str, source: str) -> str:
    value = document[field]
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"expected a name, got {value!r}", source=source, field=field)
    return value.strip()


def _setting(value: object, name: str, source: str) -> FlowSetting:
    if not isinstance(value, dict):
        raise SpecError(
            f"expected batch_size and maximum_concurrency, got {value!r}", source=source, field=name
        )
    optional = frozenset({"maximum_concurrency"})
    _check_fields(value, _SETTING_FIELDS, source=source, prefix=f"{name}.", optional=optional)
    batch = _whole(value["batch_size"], BATCH_SIZE_RANGE, source, f"{name}.batch_size")
    maximum = value.get("maximum_concurrency")
    if maximum is not None:
        maximum = _whole(maximum, MAXIMUM_CONCURRENCY_RANGE, source, f"{name}.maximum_concurrency")
    return FlowSetting(name=name, batch_size=batch, maximum_concurrency=maximum)


def _whole(value: object, bounds: tuple[int, int], source: str, field: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError(f"expected a whole number {low}..{high}, got {value!r}", source=source, field=field)
    return value
