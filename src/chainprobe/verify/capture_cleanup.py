"""Removing the capture resources: every one the harness created, one bus's, or one spec's.

What is the harness's: rules named with ``PREFIX`` and tagged ``chainprobe:managed``, and queues likewise.
A scope narrows that down, never widens it:

- no scope: every such rule on every bus and every such queue (what killed runs left anywhere);
- a bus: the rules on that bus, and the queues they target or whose ``chainprobe:bus`` tag names it;
- a spec (its bus and capture pattern): the one rule and queue named ``resource_name(bus, pattern)``.

``find_capture_resources`` says what a scope holds (so the command can say what it will remove) and
``remove_capture_resources`` removes it; a resource gone in between (another cleanup) is skipped.
A bus that does not exist is ``NoSuchBusError``, and nothing is removed.

Example::

    found = find_capture_resources(clients, scope=CaptureScope(bus="orders"))
    removed = remove_capture_resources(clients, found)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chainprobe.stacks.clients import AwsClients
from chainprobe.verify.capture import MANAGED_TAG, PREFIX

BUS_TAG = "chainprobe:bus"
_GONE = {"ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


class NoSuchBusError(Exception):
    """The bus a cleanup is scoped to does not exist at the target (a configuration error, exit 2)."""


@dataclass(frozen=True, kw_only=True)
class CaptureScope:
    """Which capture resources: ``bus`` None for every bus; ``name`` None for every name."""

    bus: str | None = None
    name: str | None = None

    def describe(self) -> str:
        if self.name is not None:
            return f"{self.name} on bus {self.bus}"
        return f"bus {self.bus}" if self.bus is not None else "every bus"


@dataclass(frozen=True)
class CaptureRuleRef:
    bus: str
    name: str

    def __str__(self) -> str:
        return f"{self.bus}/{self.name}"


@dataclass(frozen=True)
class CaptureResources:
    """Capture rules (bus and name) and queues (URL) found in a scope."""

    rules: list[CaptureRuleRef]
    queue_urls: list[str]

    @property
    def queues(self) -> list[str]:
        return [queue_name(url) for url in self.queue_urls]


@dataclass(frozen=True)
class RemovedResources:
    rules: list[str]
    queues: list[str]


def queue_name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def find_capture_resources(clients: AwsClients, scope: CaptureScope | None = None) -> CaptureResources:
    """The harness's capture rules and queues within ``scope`` (default: all). Raises ``NoSuchBusError``."""
    scope = scope or CaptureScope()
    events, sqs = clients.client("events"), clients.client("sqs")
    rules: list[CaptureRuleRef] = []
    targeted: set[str] = set()
    for bus in _buses(events, scope.bus):
        for rule in paginate(events, "list_rules", "Rules", EventBusName=bus, NamePrefix=PREFIX):
            if scope.name is not None and rule["Name"] != scope.name:
                continue
            if not _managed_rule(events, rule["Arn"]):
                continue
            rules.append(CaptureRuleRef(bus=bus, name=rule["Name"]))
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
            targeted.update(target["Arn"].rsplit(":", 1)[-1] for target in targets)
    queue_urls: list[str] = []
    for url in sqs.list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", []):
        tags = _queue_tags(sqs, url)
        if tags.get(MANAGED_TAG) != "true":
            continue
        if scope.name is not None and queue_name(url) != scope.name:
            continue
        if scope.bus is not None and not (
            queue_name(url) in targeted or _same_bus(tags.get(BUS_TAG, ""), scope.bus)
        ):
            continue
        queue_urls.append(url)
    return CaptureResources(rules=rules, queue_urls=queue_urls)


def remove_capture_resources(clients: AwsClients, found: CaptureResources | None = None) -> RemovedResources:
    """Deletes ``found`` (default: every capture rule and queue the harness created, on every bus)."""
    found = found if found is not None else find_capture_resources(clients)
    events, sqs = clients.client("events"), clients.client("sqs")
    rules: list[str] = []
    for rule in found.rules:
        try:
            targets = events.list_targets_by_rule(Rule=rule.name, EventBusName=rule.bus)["Targets"]
            if targets:
                events.remove_targets(Rule=rule.name, EventBusName=rule.bus, Ids=[t["Id"] for t in targets])
            events.delete_rule(Name=rule.name, EventBusName=rule.bus)
        except ClientError as e:
            if _code(e) in _GONE:
                continue
            raise
        rules.append(str(rule))
    queues: list[str] = []
    for url in found.queue_urls:
        try:
            sqs.delete_queue(QueueUrl=url)
        except ClientError as e:
            if _code(e) in _GONE:
                continue
            raise
        queues.append(queue_name(url))
    return RemovedResources(rules=rules, queues=queues)


def _buses(events: Any, bus: str | None) -> list[str]:
    if bus is None:
        return [b["Name"] for b in paginate(events, "list_event_buses", "EventBuses")]
    try:
        return [events.describe_event_bus(Name=bus)["Name"]]
    except ClientError as e:
        if _code(e) == "ResourceNotFoundException":
            raise NoSuchBusError(f"event bus {bus} does not exist at the target: no capture resources") from e
        raise


def _same_bus(tagged: str, bus: str) -> bool:
    """The ``chainprobe:bus`` tag holds the bus as the spec named it: a name or an ARN."""
    return bool(tagged) and tagged.split("/")[-1] == bus.split("/")[-1]


def _queue_tags(sqs: Any, url: str) -> dict[str, str]:
    try:
        tags: dict[str, str] = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
    except ClientError:
        return {}
    return tags


def _managed_rule(events: Any, arn: str) -> bool:
    try:
        tags = events.list_tags_for_resource(ResourceARN=arn).get("Tags", [])
    except ClientError:
        return False
    return any(tag.get("Key") == MANAGED_TAG and tag.get("Value") == "true" for tag in tags)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """EventBridge's list calls page with NextToken and have no boto3 paginator for every one."""
    token: str | None = None
    while True:
        page = getattr(client, operation)(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return
