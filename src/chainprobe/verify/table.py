"""The DynamoDB stage: probe items read back in batches (BatchGetItem, 100 keys a call).

Unprocessed keys (throttling) are retried with exponential backoff; items come back as plain
documents (numbers as ``Decimal``) for the spec's attribute checks. The spec's cleanup goes through
here too: ``delete`` (BatchWriteItem, 25 keys a call, unprocessed ones retried) and ``expire`` (a TTL
set only on items that exist: a conditional UpdateItem never creates one).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chainprobe.stacks.clients import AwsClients

BATCH_LIMIT = 100
WRITE_BATCH_LIMIT = 25
MAX_ATTEMPTS = 6

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attribute_map(document: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in document.items()}


def to_document(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def key_id(key: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, str(value)) for name, value in key.items()))


class TableReader:
    """Reads items of one table by key, batched; ``read`` returns what exists, keyed like its input."""

    def __init__(self, clients: AwsClients, *, table: str, consistent_read: bool = True) -> None:
        self.dynamodb = clients.client("dynamodb")
        self.table = table
        self.consistent_read = consistent_read

    def read(self, keys: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """``keys`` maps an order id to its item key; returns order id -> item for the items found."""
        by_key = {key_id(key): order_id for order_id, key in keys.items()}
        found: dict[str, dict[str, Any]] = {}
        pending = [to_attribute_map(key) for key in keys.values()]
        key_names = list(next(iter(keys.values()), {}).keys())
        for start in range(0, len(pending), BATCH_LIMIT):
            for item in self._batch(pending[start : start + BATCH_LIMIT]):
                document = to_document(item)
                order_id = by_key.get(key_id({name: document[name] for name in key_names}))
                if order_id is not None:
                    found[order_id] = document
        return found

    def _batch(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request = {self.table: {"Keys": keys, "ConsistentRead": self.consistent_read}}
        for attempt in range(MAX_ATTEMPTS):
            answer = self.dynamodb.batch_get_item(RequestItems=request)
            items.extend(answer.get("Responses", {}).get(self.table, []))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return items
            time.sleep(min(2.0, 0.05 * 2**attempt))
        return items

    def delete(self, keys: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Removes the items at ``keys`` (the spec's ``cleanup: delete``; a key with no item is no error).

        Returns the keys DynamoDB still left unprocessed after ``MAX_ATTEMPTS`` (throttling), as documents.
        """
        left: list[dict[str, Any]] = []
        for start in range(0, len(keys), WRITE_BATCH_LIMIT):
            batch = keys[start : start + WRITE_BATCH_LIMIT]
            requests = [{"DeleteRequest": {"Key": to_attribute_map(k)}} for k in batch]
            pending: dict[str, Any] = {self.table: requests}
            for attempt in range(MAX_ATTEMPTS):
                pending = self.dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(2.0, 0.05 * 2**attempt))
            for request in pending.get(self.table, []):
                left.append(to_document(request["DeleteRequest"]["Key"]))
        return left

    def expire(self, keys: Sequence[Mapping[str, Any]], *, attribute: str, at: int) -> int:
        """Gives the items at ``keys`` a TTL (the spec's ``cleanup: ttl``); returns how many had no item.

        The update is conditional on the item existing, so a key with no item creates none.
        """
        missing = 0
        for key in keys:
            try:
                self.dynamodb.update_item(
                    TableName=self.table,
                    Key=to_attribute_map(key),
                    UpdateExpression="SET #ttl = :at",
                    ConditionExpression="attribute_exists(#key)",
                    ExpressionAttributeNames={"#ttl": attribute, "#key": next(iter(key))},
                    ExpressionAttributeValues={":at": {"N": str(at)}},
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                missing += 1
        return missing
