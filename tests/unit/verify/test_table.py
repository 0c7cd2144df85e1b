"""TableReader: BatchGetItem in batches of 100 keys, UnprocessedKeys retried with backoff (a fake client)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chainprobe.verify import table as table_module
from chainprobe.verify.table import BATCH_LIMIT, MAX_ATTEMPTS, TableReader, to_attribute_map

TABLE = "Orders"


class FakeDynamoDB:
    """Holds items by ``orderId``; leaves the first ``unprocessed`` keys of each of the first
    ``throttled_calls`` calls unprocessed, as DynamoDB does when it throttles."""

    def __init__(
        self, items: dict[str, dict[str, Any]], *, unprocessed: int = 0, throttled_calls: int = 0
    ) -> None:
        self.items = items
        self.unprocessed = unprocessed
        self.throttled_calls = throttled_calls
        self.calls: list[dict[str, Any]] = []
        self.writes: list[dict[str, Any]] = []

    def batch_get_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(RequestItems)
        request = RequestItems[TABLE]
        keys = request["Keys"]
        if len(keys) > BATCH_LIMIT:
            raise AssertionError(f"BatchGetItem takes at most 100 keys, got {len(keys)}")
        left: list[dict[str, Any]] = []
        if len(self.calls) <= self.throttled_calls:
            left, keys = keys[: self.unprocessed], keys[self.unprocessed :]
        found = [
            to_attribute_map(self.items[key["orderId"]["S"]])
            for key in keys
            if key["orderId"]["S"] in self.items
        ]
        answer: dict[str, Any] = {"Responses": {TABLE: found}, "UnprocessedKeys": {}}
        if left:
            answer["UnprocessedKeys"] = {TABLE: {**request, "Keys": left}}
        return answer

    def batch_write_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.writes.append(RequestItems)
        if len(RequestItems[TABLE]) > 25:
            raise AssertionError("BatchWriteItem takes at most 25 requests")
        return {"UnprocessedItems": {}}


class FakeClients:
    def __init__(self, dynamodb: FakeDynamoDB) -> None:
        self.dynamodb = dynamodb

    def client(self, service: str) -> FakeDynamoDB:
        assert service == "dynamodb"
        return self.dynamodb


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(table_module.time, "sleep", waited.append)
    return waited


def orders(count: int) -> dict[str, dict[str, Any]]:
    return {f"o-{i}": {"orderId": f"o-{i}", "amount": Decimal("25.0"), "seq": i} for i in range(count)}


def reader(fake: FakeDynamoDB, consistent_read: bool = True) -> TableReader:
    return TableReader(FakeClients(fake), table=TABLE, consistent_read=consistent_read)  # type: ignore[arg-type]


def keys_for(order_ids: list[str]) -> dict[str, dict[str, Any]]:
    return {order_id: {"orderId": order_id} for order_id in order_ids}


def test_more_than_100_keys_go_in_batches_of_100(sleeps: list[float]) -> None:
    stored = orders(250)
    fake = FakeDynamoDB(stored)

    found = reader(fake).read(keys_for(list(stored)))

    assert [len(call[TABLE]["Keys"]) for call in fake.calls] == [100, 100, 50]
    assert all(call[TABLE]["ConsistentRead"] is True for call in fake.calls)
    assert found == stored
    assert sleeps == []


def test_items_that_do_not_exist_are_left_out(sleeps: list[float]) -> None:
    fake = FakeDynamoDB(orders(3))
    found = reader(fake, consistent_read=False).read(keys_for(["o-0", "o-2", "o-missing"]))
    assert sorted(found) == ["o-0", "o-2"]
    assert found["o-2"]["amount"] == Decimal("25.0")
    assert fake.calls[0][TABLE]["ConsistentRead"] is False


def test_unprocessed_keys_are_retried_with_backoff(sleeps: list[float]) -> None:
    stored = orders(150)
    fake = FakeDynamoDB(stored, unprocessed=30, throttled_calls=2)

    found = reader(fake).read(keys_for(list(stored)))

    assert found == stored
    sizes = [len(call[TABLE]["Keys"]) for call in fake.calls]
    assert sizes == [100, 30, 30, 50]  # batch 1, its 30 left over (twice: throttled again), batch 2
    assert fake.calls[1][TABLE]["Keys"] == [to_attribute_map({"orderId": f"o-{i}"}) for i in range(30)]
    assert fake.calls[1][TABLE]["ConsistentRead"] is True  # the retry asks for what was asked
    assert sleeps == [0.05, 0.1]


def test_retries_give_up_after_max_attempts(sleeps: list[float]) -> None:
    stored = orders(10)
    fake = FakeDynamoDB(stored, unprocessed=4, throttled_calls=10_000)

    found = reader(fake).read(keys_for(list(stored)))

    assert len(fake.calls) == MAX_ATTEMPTS
    assert sorted(found) == [f"o-{i}" for i in range(4, 10)]  # what came back before giving up
    assert sleeps == [min(2.0, 0.05 * 2**attempt) for attempt in range(MAX_ATTEMPTS)]


def test_no_keys_means_no_call(sleeps: list[float]) -> None:
    fake = FakeDynamoDB({})
    assert reader(fake).read({}) == {}
    assert fake.calls == []


def test_numeric_keys_match_the_items_returned(sleeps: list[float]) -> None:
    fake = FakeDynamoDB({})
    fake.batch_get_item = lambda *, RequestItems: {  # type: ignore[method-assign]
        "Responses": {TABLE: [to_attribute_map({"pk": Decimal(7), "name": "seven"})]}
    }
    found = reader(fake).read({"o-7": {"pk": 7}, "o-8": {"pk": 8}})
    assert found == {"o-7": {"pk": Decimal(7), "name": "seven"}}


def test_deletes_go_in_batches_of_25(sleeps: list[float]) -> None:
    fake = FakeDynamoDB({})
    reader(fake).delete([{"orderId": f"o-{i}"} for i in range(60)])
    assert [len(write[TABLE]) for write in fake.writes] == [25, 25, 10]


def test_deletes_left_unprocessed_after_every_attempt_are_returned(sleeps: list[float]) -> None:
    fake = FakeDynamoDB({})
    fake.batch_write_item = (
        lambda *, RequestItems: {  # type: ignore[method-assign]
            "UnprocessedItems": {TABLE: RequestItems[TABLE][:1]}
        }
    )
    left = reader(fake).delete([{"orderId": "o-1"}, {"orderId": "o-2"}])
    assert left == [{"orderId": "o-1"}]
    assert len(sleeps) == MAX_ATTEMPTS


def test_expire_raises_what_is_not_a_missing_item(sleeps: list[float]) -> None:
    fake = FakeDynamoDB({})

    def refuse(**_request: object) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "UpdateItem")

    fake.update_item = refuse  # type: ignore[attr-defined]
    with pytest.raises(ClientError):
        reader(fake).expire([{"orderId": "o-1"}], attribute="expiresAt", at=1)
