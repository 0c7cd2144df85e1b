"""The verifier's AWS calls are bounded: an endpoint that accepts connections but never answers (a frozen
LocalStack) fails a verification pass in read timeout x attempts, which stops the run; with boto's
defaults here (30 s x 6 attempts) a frozen stack held a canary for six minutes while it sent every order.
"""

from __future__ import annotations

from pathlib import Path

from chainprobe.ledger import Ledger
from chainprobe.pipeline import VERIFIER_ATTEMPTS, VERIFIER_READ_TIMEOUT_S, verifier_for
from chainprobe.spec import parse_spec
from chainprobe.stacks.clients import AwsClients
from chainprobe.target import Target

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
dynamodb: {table: Orders, key: {orderId: "${order_id}"}}
event: {bus: orders, source: shop.api, detail_type: OrderCreated, order_id_path: detail.orderId}
""",
    source="shop.yaml",
)


def test_a_verification_call_gives_up_within_its_bound(tmp_path: Path) -> None:
    clients = AwsClients.local("http://127.0.0.1:9")
    target = Target(name="local", endpoints={"api_url": "http://127.0.0.1:9"}, clients=clients)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        verifier = verifier_for(SPEC, target, ledger)

    assert verifier.table is not None and verifier.capture is not None
    for client in (verifier.table.dynamodb, verifier.capture.sqs, verifier.capture.events):
        config = client.meta.config
        assert config.read_timeout * config.retries["total_max_attempts"] <= 20
    assert VERIFIER_READ_TIMEOUT_S * VERIFIER_ATTEMPTS <= 20
    dynamodb = clients.client("dynamodb").meta.config  # the target's own clients keep their bounds
    assert (dynamodb.read_timeout, dynamodb.retries["total_max_attempts"]) == (30, 6)
