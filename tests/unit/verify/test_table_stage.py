"""The DynamoDB stage of a run verifier, on moto's DynamoDB: an item with the order's content proves the
stage (its time recorded in the ledger); an item that fails the spec's checks is ``db_mismatch`` and no
item at all ``db_missing``, once the stage's deadline has passed; the verdicts are judged per order."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from moto import mock_aws

from chainprobe.ledger import FailureClass, Ledger, Verdict
from chainprobe.spec import parse_spec
from chainprobe.stacks.clients import AwsClients
from chainprobe.verify.run_verifier import RunVerifier

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
dynamodb:
  table: Orders
  key: {orderId: "${order_id}"}
  checks:
    - {path: customerId, equals: c-1}
deadlines: {api: 10, dynamodb: 1}
""",
    source="shop.yaml",
)


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        clients = AwsClients(region="us-east-1")
        clients.client("dynamodb").create_table(
            TableName="Orders",
            KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield clients


def test_each_order_is_judged_by_its_own_item(clients: AwsClients, tmp_path: Path) -> None:
    dynamodb = clients.client("dynamodb")
    dynamodb.put_item(TableName="Orders", Item={"orderId": {"S": "o-good"}, "customerId": {"S": "c-1"}})
    dynamodb.put_item(TableName="Orders", Item={"orderId": {"S": "o-wrong"}, "customerId": {"S": "c-2"}})
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
        sent_at = time.time()
        for seq, order_id in enumerate(("o-good", "o-wrong", "o-none")):
            ledger.plan_order(run_id, seq=seq, order_id=order_id, planned_at=sent_at)
            body = json.dumps({"orderId": order_id})
            ledger.record_api_answer(run_id, seq, sent_at=sent_at, status=201, latency_ms=50.0, body=body)
        verifier = RunVerifier(spec=SPEC, endpoints={}, clients=clients, ledger=ledger, poll_interval=0.05)

        verifier.verify(run_id)

        orders = {o.order_id: o for o in ledger.orders(run_id)}
    assert (orders["o-good"].chain_verdict, orders["o-good"].chain_failure) == (Verdict.GOOD, None)
    assert orders["o-good"].dynamodb_at is not None and orders["o-good"].dynamodb_at >= sent_at
    assert (orders["o-wrong"].chain_verdict, orders["o-wrong"].chain_failure) == (
        Verdict.BAD,
        FailureClass.DB_MISMATCH,
    )
    assert orders["o-wrong"].dynamodb_at is None
    assert orders["o-wrong"].details == "customerId: expected 'c-1', got 'c-2'"
    assert (orders["o-none"].chain_verdict, orders["o-none"].chain_failure) == (
        Verdict.BAD,
        FailureClass.DB_MISSING,
    )


def test_an_item_written_while_a_read_was_under_way_is_not_missing(
    clients: AwsClients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass's table read began before the deadline and found nothing; the chain wrote the item
    meanwhile, and the pass judges after the deadline: not ``db_missing`` (the read did not look after
    the deadline), and the next pass finds the item."""
    sent_at = 1_000_000.0
    clock = {"now": sent_at + 0.5}  # the first read begins before the 1 s deadline
    monkeypatch.setattr("chainprobe.verify.run_verifier.time", SimpleNamespace(time=lambda: clock["now"]))
    dynamodb = clients.client("dynamodb")
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run_id = ledger.create_run(spec_path="shop.yaml", spec_name="shop", target="moto").run_id
        ledger.plan_order(run_id, seq=0, order_id="o-late", planned_at=sent_at)
        body = json.dumps({"orderId": "o-late"})
        ledger.record_api_answer(run_id, 0, sent_at=sent_at, status=201, latency_ms=50.0, body=body)
        verifier = RunVerifier(spec=SPEC, endpoints={}, clients=clients, ledger=ledger)
        assert verifier.table is not None
        read = verifier.table.read

        def read_while_the_chain_writes(keys: Any) -> Any:
            found = read(keys)
            item = {"orderId": {"S": "o-late"}, "customerId": {"S": "c-1"}}
            dynamodb.put_item(TableName="Orders", Item=item)  # written before the deadline ...
            clock["now"] = sent_at + 2.0  # ... and the pass judges after it
            return found

        monkeypatch.setattr(verifier.table, "read", read_while_the_chain_writes)
        verifier.verify_pass(run_id, ledger.pending_orders(run_id))
        assert ledger.orders(run_id)[0].chain_verdict is Verdict.PENDING

        monkeypatch.setattr(verifier.table, "read", read)
        verifier.verify_pass(run_id, ledger.pending_orders(run_id))
        order = ledger.orders(run_id)[0]
    assert (order.chain_verdict, order.chain_failure) == (Verdict.GOOD, None)
