"""probes/orders.yaml with one change, written into a test's own directory."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.integration.test_canary import SPEC

Spec = dict[str, Any]


def spec_variant(directory: Path, name: str, change: Callable[[Spec], None]) -> Path:
    """``directory/name``: the reference spec after ``change`` edited its parsed document in place."""
    data: Spec = yaml.safe_load(SPEC.read_text())
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
last_milestone: {name: COMPLETED, log_group: "/aws/lambda/${delivery_function:-DeliveryHandler}"}
failure_milestone: FAILED
exception_fields: [reason, exception]
"""
)


def with_logs(data: Spec) -> None:
    """Gives a spec the reference chain's ``logs`` section (probes/orders.yaml's own, stated where a test
    depends on it)."""
    data["logs"] = copy.deepcopy(LOGS_SECTION)  # a variant that edits it must not edit the others
