"""probes/orders.yaml with one change, written into a test's own directory.

Settle windows: every variant has ``settle_seconds: 0`` on the event and the courier (a verdict is final
as soon as its timeline is complete) unless it is asked to ``settle``. The reference spec's windows
(10 s and 30 s) would hold every order of every canary for 30 s after its send; only the tests of
settling itself and of the "must not happen" classes they find (``event_duplicate``,
``courier_duplicate``, ``courier_unexpected``) need them. ``quick_spec`` (tests/integration/conftest.py)
is the reference spec so, for tests that use it unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "probes" / "orders.yaml"

Spec = dict[str, Any]


def no_change(data: Spec) -> None:
    """Leaves a spec as it is (``spec_variant(..., no_change)``: the spec without settle waits)."""


def without_settle(data: Spec) -> None:
    """``settle_seconds: 0`` on each stage that has a settle window (the event, the courier)."""
    for stage in ("event", "courier"):
        if isinstance(data.get(stage), dict):
            data[stage]["settle_seconds"] = 0


def spec_variant(
    directory: Path,
    name: str,
    change: Callable[[Spec], None],
    *,
    settle: bool = False,
) -> Path:
    """``directory/name``: the reference spec after ``change`` edited its parsed document in place; without
    settle windows unless ``settle`` (then with the spec's own, or those ``change`` set)."""
    data: Spec = yaml.safe_load(SPEC.read_text())
    if not settle:
        without_settle(data)
    change(data)
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def publishing_spec(directory: Path, probe: str) -> Path:
    """The reference spec publishing its black-box results under ``Probe=<probe>``, so runs never mix."""

    def publish(data: Spec) -> None:
        data["cloudwatch_publish"] = {"namespace": "Chainprobe", "dimensions": {"Probe": probe}}

    return spec_variant(directory, "orders-publish.yaml", publish)


# The reference chain's milestone logs, as a spec's ``logs`` section (probes/orders.yaml has the same).
LOGS_SECTION: Spec = yaml.safe_load(
    """
log_groups:
  - "/aws/lambda/${orders_function:-OrdersHandler}"
  - "/aws/lambda/${delivery_function:-DeliveryHandler}"
correlation_field: correlation_id
milestone_field: status
first_milestone: {name: START, log_group: "/aws/lambda/${orders_function:-OrdersHandler}"}
milestones:
  - {name: SAVED_IN_DATABASE, log_group: "/aws/lambda/${orders_function:-OrdersHandler}"}
  - {name: PUBLISHED, log_group: "/aws/lambda/${orders_function:-OrdersHandler}"}
  - {name: START, log_group: "/aws/lambda/${delivery_function:-DeliveryHandler}"}
last_milestone: {name: COMPLETED, log_group: "/aws/lambda/${delivery_function:-DeliveryHandler}"}
failure_milestone: FAILED
exception_fields: [reason, exception]
"""
)


def with_logs(data: Spec) -> None:
    """Gives a spec the reference chain's ``logs`` section (probes/orders.yaml's own, stated where a test
    depends on it)."""
    data["logs"] = copy.deepcopy(LOGS_SECTION)  # a variant that edits it must not edit the others
