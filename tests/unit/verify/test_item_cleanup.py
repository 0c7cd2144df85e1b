"""RunVerifier.clean_up_items: every sent order's item, good or bad, found by the spec's key template
and removed (or given a TTL); orders whose key finds nothing are counted (a fake DynamoDB, a real ledger)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chainprobe.ledger import FailureClass, Ledger, OrderOutcome, Verdict
from chainprobe.spec import parse_spec
from chainprobe.verify import table as table_module
from chainprobe.verify.cleanup import ItemCleanup
from chainprobe.verify.run_verifier import RunVerifier
from chainprobe.verify.table import to_attribute_map, to_document

TABLE = "Orders"
RUN = "r-clean"


def spec_text(cleanup: str) -> str:
    ttl = "\n  ttl_seconds: 600\n  ttl_attribute: expiresAt" if cleanup == "ttl" else ""
    return f"""
name: shop
send: {{endpoint: "http://api/orders", payload: {{customerId: c-1}}, order_id_path: orderId}}
api: {{expected_status: [201]}}
dynamodb:
  table: {TABLE}
  key: {{pk: "ORDER#${{order_id}}", sk: "RUN#${{run_id}}"}}
  cleanup: {cleanup}{ttl}
"""


def key(order_id: str) -> tuple[str, str]:
    return (f"ORDER#{order_id}", f"RUN#{RUN}")


class FakeDynamoDB:
    """Items by (pk, sk); leaves the first ``unprocessed`` delete requests of every call unprocessed."""

    def __init__(self, items: list[tuple[str, str]], *, unprocessed: int = 0) -> None:
        self.items = {k: {"pk": k[0], "sk": k[1], "amount": 25} for k in items}
        self.unprocessed = unprocessed
        self.deleted_keys: list[tuple[str, str]] = []
        self.updates: list[dict[str, Any]] = []

    @staticmethod
    def _key(attribute_map: dict[str, Any]) -> tuple[str, str]:
        document = to_document(attribute_map)
        return (document["pk"], document["sk"])

    def batch_get_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:
        keys = [self._key(k) for k in RequestItems[TABLE]["Keys"]]
        found = [to_attribute_map(self.items[k]) for k in keys if k in self.items]
        return {"Responses": {TABLE: found}, "UnprocessedKeys": {}}

    def batch_write_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:
        requests = RequestItems[TABLE]
        assert len(requests) <= 25
        left, done = requests[: self.unprocessed], requests[self.unprocessed :]
        for request in done:
            k = self._key(request["DeleteRequest"]["Key"])
            self.deleted_keys.append(k)
            self.items.pop(k, None)
        return {"UnprocessedItems": {TABLE: left} if left else {}}

    def update_item(self, **request: Any) -> dict[str, Any]:
        k = self._key(request["Key"])
        assert request["ConditionExpression"] == "attribute_exists(#key)"
        if k not in self.items:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "UpdateItem")
        self.updates.append(request)
        return {}


class FakeClients:
    def __init__(self, dynamodb: FakeDynamoDB) -> None:
        self.dynamodb = dynamodb

    def client(self, service: str) -> FakeDynamoDB:
        assert service == "dynamodb"
        return self.dynamodb


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_module.time, "sleep", lambda _s: None)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    """A run of five orders: good, bad after writing (502), bad before writing (500), 4xx, never sent."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="local", run_id=RUN)
    verdicts = [
        (Verdict.GOOD, None),
        (Verdict.BAD, FailureClass.HTTP_5XX),
        (Verdict.BAD, FailureClass.HTTP_5XX),
        (Verdict.BAD, FailureClass.HTTP_4XX),
        (Verdict.NOT_SENT, None),
    ]
    for seq, (verdict, _failure) in enumerate(verdicts):
        sent_at = None if verdict is Verdict.NOT_SENT else 1000.0 + seq
        ledger.plan_order(RUN, seq=seq, order_id=f"o-{seq}", planned_at=999.0 + seq, sent_at=sent_at)
    ledger.record_outcomes(
        RUN, [OrderOutcome(seq=seq, chain_verdict=v, chain_failure=f) for seq, (v, f) in enumerate(verdicts)]
    )
    return ledger


def verifier(ledger: Ledger, fake: FakeDynamoDB, cleanup: str) -> RunVerifier:
    spec = parse_spec(spec_text(cleanup), source="shop.yaml")
    return RunVerifier(spec=spec, endpoints={}, clients=FakeClients(fake), ledger=ledger)  # type: ignore[arg-type]


# The chain wrote items for the good order and for the one it answered 502 after writing.
WRITTEN = [key("o-0"), key("o-1")]


def test_delete_removes_the_items_of_good_and_bad_orders_by_key_and_counts_the_rest(ledger: Ledger) -> None:
    fake = FakeDynamoDB([*WRITTEN, key("o-elsewhere")])

    cleanup = verifier(ledger, fake, "delete").clean_up_items(RUN)

    assert cleanup == ItemCleanup(mode="delete", orders=4, removed=2, not_found=2, failed=0)
    assert set(fake.items) == {key("o-elsewhere")}  # nothing of the run is left; nothing else touched
    # Every sent order's key was asked to go (idempotent: a late write is caught too), never the unsent one.
    assert sorted(fake.deleted_keys) == sorted(key(f"o-{seq}") for seq in range(4))


def test_items_dynamodb_never_processed_are_counted_as_left(ledger: Ledger) -> None:
    fake = FakeDynamoDB(WRITTEN, unprocessed=1)  # the first request of every call stays unprocessed

    cleanup = verifier(ledger, fake, "delete").clean_up_items(RUN)

    assert cleanup is not None and (cleanup.removed, cleanup.failed, cleanup.not_found) == (1, 1, 2)
    assert list(fake.items) == [key("o-0")]
    assert "1 left in the table" in cleanup.describe()


def test_ttl_expires_only_items_that_exist_and_counts_the_rest(ledger: Ledger) -> None:
    fake = FakeDynamoDB(WRITTEN)

    cleanup = verifier(ledger, fake, "ttl").clean_up_items(RUN)

    assert cleanup == ItemCleanup(mode="ttl", orders=4, removed=2, not_found=2)
    assert sorted(fake._key(u["Key"]) for u in fake.updates) == WRITTEN
    assert set(fake.items) == set(WRITTEN)  # no item was created for a key that had none
    assert all(u["ExpressionAttributeNames"]["#ttl"] == "expiresAt" for u in fake.updates)


def test_no_cleanup_asked_touches_nothing(ledger: Ledger) -> None:
    fake = FakeDynamoDB(WRITTEN)
    assert verifier(ledger, fake, "none").clean_up_items(RUN) is None
    assert set(fake.items) == set(WRITTEN) and fake.deleted_keys == []


def test_the_summary_line_says_what_was_removed_and_what_was_not_found() -> None:
    line = ItemCleanup(mode="delete", orders=20, removed=18, not_found=2).describe()
    assert line == "deleted 18 items of 20 orders; 2 not found by key"
