"""The DeliveryHandler's SQS mapping, for tests that change its flow control: put back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.integration.conftest import RunningStack

__all__ = ["restored_delivery_mapping"]


@contextmanager
def restored_delivery_mapping(local_stack: RunningStack) -> Iterator[dict[str, Any]]:
    """The mapping as deployed; on leaving, enabled again with the template's batch size and scaling."""
    lam = local_stack.clients.client("lambda")
    [mapping] = lam.list_event_source_mappings(FunctionName="DeliveryHandler")["EventSourceMappings"]
    try:
        yield mapping
    finally:
        lam.update_event_source_mapping(
            UUID=mapping["UUID"],
            Enabled=True,
            BatchSize=mapping["BatchSize"],
            ScalingConfig=mapping.get("ScalingConfig", {}),
        )
