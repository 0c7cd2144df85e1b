"""The canary under the run lifecycle: a stop event ends the sending, a failing worker stops the run
and its error is raised, and a run is marked sent only when every order was sent (fake HTTP, real ledger)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chainprobe.drive.canary import Canary
from chainprobe.ledger import Ledger, LedgerBusyError, RunState
from chainprobe.spec import parse_spec

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
"""
)
ENDPOINTS = {"api_url": "http://chain.test"}


class Chain:
    """A fake API answering 201; calls ``on_request`` with how many requests came so far."""

    def __init__(self, on_request: Callable[[int], None] | None = None) -> None:
        self.seen: list[bytes] = []
        self.on_request = on_request
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.seen.append(request.read())
            count = len(self.seen)
        if self.on_request is not None:
            self.on_request(count)
        return httpx.Response(201, json={"orderId": "o", "status": "CREATED"})


def canary(ledger: Ledger, chain: Chain, count: int, rate: float = 200.0) -> Canary:
    client = httpx.Client(transport=httpx.MockTransport(chain))
    return Canary(spec=SPEC, endpoints=ENDPOINTS, ledger=ledger, count=count, rate=rate, client=client)


def test_every_order_sent_marks_the_run_sent(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        run = ledger.create_run(spec_path="s", spec_name="shop", target="t")
        assert canary(ledger, Chain(), 5).send(run.run_id) is True
        assert ledger.get_run(run.run_id).state is RunState.SENT
        assert all(order.api_status == 201 for order in ledger.orders(run.run_id))


def test_a_stop_ends_the_sending_and_the_run_is_not_marked_sent(tmp_path: Path) -> None:
    stop = threading.Event()

    def stop_at_third(count: int) -> None:
        if count == 3:
            stop.set()

    chain = Chain(on_request=stop_at_third)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        run = ledger.create_run(spec_path="s", spec_name="shop", target="t")
        assert canary(ledger, chain, 50, rate=20.0).send(run.run_id, stop=stop) is False
        orders = ledger.orders(run.run_id)
        assert ledger.get_run(run.run_id).state is RunState.RUNNING
    assert 3 <= len(chain.seen) < 50
    # Every order that left has its answer; none left after the stop.
    assert sum(1 for order in orders if order.sent_at is not None) == len(chain.seen)
    assert all(order.api_status == 201 for order in orders if order.sent_at is not None)


class LockedAfter(Ledger):
    """A ledger whose answers cannot be recorded from the ``fail_at``-th one on (another process
    locked it)."""

    fail_at = 3
    answers = 0

    def record_api_answer(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        self.answers += 1
        if self.answers >= self.fail_at:
            raise LedgerBusyError("l.sqlite: the ledger stayed locked (database is locked)")
        super().record_api_answer(*args, **kwargs)  # type: ignore[arg-type]


def test_a_worker_that_fails_stops_the_sending_and_its_error_is_raised(tmp_path: Path) -> None:
    chain = Chain()
    with LockedAfter(tmp_path / "l.sqlite") as ledger:
        run = ledger.create_run(spec_path="s", spec_name="shop", target="t")
        sender = canary(ledger, chain, 40, rate=20.0)
        with pytest.raises(LedgerBusyError, match="locked"):
            sender.send(run.run_id)
        assert sender.stop.is_set()
        assert ledger.get_run(run.run_id).state is RunState.RUNNING
    assert len(chain.seen) < 40
