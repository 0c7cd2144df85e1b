"""Puts the courier scenario's flow control on the deployed chain: the event source mapping's BatchSize
and MaximumConcurrency, the courier profile loaded into WireMock, and the dead-letter queue's depth.

Example::

    flow = DeliveryFlow(clients, courier_url="http://127.0.0.1:8089", function="DeliveryHandler")
    flow.apply(FlowSetting(name="on", batch_size=5, maximum_concurrency=2))
    with flow.courier_profile(stubs):        # the profile's stubs, removed again on leaving
        ...
    flow.dlq_depth("DeliveryDLQ")

Raises ``FlowControlError`` (a ``StackError``: the CLI's exit 3) with one line when the function has no
SQS event source mapping (or several), when AWS refuses the update, when no queue's name holds the
DLQ's, or when the courier's admin API refuses the profile.
Limitation: the mapping keeps the setting after the run (it is the deployed chain's, as a deploy's
would be); ``chainprobe up`` or a redeploy brings back the template's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import httpx
from botocore.exceptions import BotoCoreError, ClientError

from chainprobe.spec.flow_control import FlowSetting
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.exceptions import StackError

__all__ = ["DeliveryFlow", "FlowControlError"]

ADMIN_TIMEOUT_S = 10.0


class FlowControlError(StackError):
    """The flow-control setting or the courier profile could not be put on the deployed chain."""


class DeliveryFlow:
    """The delivery side of a deployed chain: one function's SQS mapping, its DLQ, the courier stub."""

    def __init__(self, clients: AwsClients, *, courier_url: str, function: str) -> None:
        self.clients = clients
        self.courier_url = courier_url.rstrip("/")
        self.function = function

    def mapping(self) -> dict[str, Any]:
        try:
            found = self.clients.client("lambda").list_event_source_mappings(FunctionName=self.function)
        except (ClientError, BotoCoreError) as e:
            raise FlowControlError(
                f"flow control: cannot list {self.function}'s event source mappings: {e}"
            ) from e
        mappings = [m for m in found.get("EventSourceMappings", []) if ":sqs:" in m.get("EventSourceArn", "")]
        if len(mappings) != 1:
            raise FlowControlError(
                f"flow control: expected one SQS event source mapping of {self.function}, "
                f"found {len(mappings)}"
            )
        return dict(mappings[0])

    def apply(self, setting: FlowSetting) -> dict[str, Any]:
        """Sets BatchSize and ScalingConfig; the mapping as AWS answered the update."""
        mapping = self.mapping()
        scaling = (
            {} if setting.maximum_concurrency is None else {"MaximumConcurrency": setting.maximum_concurrency}
        )
        try:
            answer = self.clients.client("lambda").update_event_source_mapping(
                UUID=mapping["UUID"], BatchSize=setting.batch_size, ScalingConfig=scaling
            )
        except (ClientError, BotoCoreError) as e:
            raise FlowControlError(
                f"flow control {setting.name}: the mapping of {self.function} refused: {e}"
            ) from e
        return dict(answer)

    def dlq_depth(self, name: str) -> int:
        """ApproximateNumberOfMessages of the one queue whose name holds ``name``."""
        sqs = self.clients.client("sqs")
        try:
            urls = [url for url in sqs.list_queues().get("QueueUrls", []) if name in url.rsplit("/", 1)[-1]]
            if len(urls) != 1:
                raise FlowControlError(
                    f"flow control: expected one queue named like {name!r}, found {len(urls)}"
                )
            attributes = sqs.get_queue_attributes(
                QueueUrl=urls[0], AttributeNames=["ApproximateNumberOfMessages"]
            )
        except (ClientError, BotoCoreError) as e:
            raise FlowControlError(f"flow control: cannot read the DLQ {name!r}: {e}") from e
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    @contextmanager
    def courier_profile(self, stubs: Sequence[Mapping[str, Any]]) -> Iterator[None]:
        """The profile's stubs loaded (and its scenarios reset) while inside; removed on leaving."""
        admin = f"{self.courier_url}/__admin"
        try:
            httpx.post(
                f"{admin}/mappings/import", json={"mappings": list(stubs)}, timeout=ADMIN_TIMEOUT_S
            ).raise_for_status()
            httpx.post(f"{admin}/scenarios/reset", timeout=ADMIN_TIMEOUT_S).raise_for_status()
        except httpx.HTTPError as e:
            raise FlowControlError(f"flow control: the courier at {admin} refused the profile: {e}") from e
        try:
            yield
        finally:
            for stub in stubs:
                if "id" in stub:
                    with suppress(httpx.HTTPError):  # the stack went away: nothing left to clean
                        httpx.delete(f"{admin}/mappings/{stub['id']}", timeout=ADMIN_TIMEOUT_S)
