"""The DynamoDB stage of a run verifier, on moto's DynamoDB: an item with the order's content proves the
stage (its time recorded in the ledger); an item that fails the spec's checks is ``db_mismatch`` and no
item at all ``db_missing``, once the stage's deadline has passed; the verdicts are judged per order."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

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
