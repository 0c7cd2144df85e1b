"""``Ledger.one_transaction``: the writes inside share one transaction and one commit, each write undone
alone when it raises, everything undone when the block raises. A second connection (a ``Ledger`` of its
own) reads only what is committed; the connection's SQL trace counts the commits."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainprobe.ledger import DuplicateOrderError, Ledger, Observation, OrderNotFoundError, Stage

RUN = "r-1"


@pytest.fixture
def ledgers(tmp_path: Path) -> tuple[Ledger, Ledger]:
    """The writer and a second connection to read what is committed."""
    writer = Ledger(tmp_path / "ledger.sqlite")
    writer.create_run(spec_path="s.yaml", spec_name="s", target="local", run_id=RUN)
    return writer, Ledger(tmp_path / "ledger.sqlite")


def commits(ledger: Ledger) -> list[str]:
    statements: list[str] = []
    ledger._connection.set_trace_callback(lambda sql: statements.append(sql) if sql == "COMMIT" else None)
    return statements


def plan(ledger: Ledger, seq: int) -> None:
    ledger.plan_order(RUN, seq=seq, order_id=f"o-{seq}", planned_at=1.0, sent_at=2.0)


def test_the_writes_inside_are_committed_together_once(ledgers: tuple[Ledger, Ledger]) -> None:
    writer, reader = ledgers
    committed = commits(writer)
    with writer.one_transaction():
        for seq in range(3):
            plan(writer, seq)
        writer.record_api_answer(RUN, 0, sent_at=2.0, status=201, latency_ms=3.0, body="{}")
        assert writer.get_order(RUN, 0).api_status == 201  # reads inside see the writes so far
        assert reader.orders(RUN) == []  # nothing committed yet
    assert [order.seq for order in reader.orders(RUN)] == [0, 1, 2]
    assert reader.get_order(RUN, 0).api_status == 201
    assert committed == ["COMMIT"]


def test_a_write_that_raises_inside_is_undone_alone(ledgers: tuple[Ledger, Ledger]) -> None:
    writer, reader = ledgers
    with writer.one_transaction():
        plan(writer, 0)
        plan(writer, 1)
        with pytest.raises(DuplicateOrderError):
            plan(writer, 0)
        with pytest.raises(OrderNotFoundError):  # its first observation was written, then seq 9 failed
            writer.record_observations(
                RUN, [Observation(0, Stage.DYNAMODB, 5.0), Observation(9, Stage.DYNAMODB, 5.0)]
            )
        writer.record_observations(RUN, [Observation(1, Stage.DYNAMODB, 6.0)])
    orders = reader.orders(RUN)
    assert [order.seq for order in orders] == [0, 1]
    assert [order.dynamodb_at for order in orders] == [None, 6.0]


def test_an_error_out_of_the_block_undoes_every_write_of_it(ledgers: tuple[Ledger, Ledger]) -> None:
    writer, reader = ledgers
    with pytest.raises(RuntimeError), writer.one_transaction():
        plan(writer, 0)
        raise RuntimeError("the batch failed")
    assert reader.orders(RUN) == []
    plan(writer, 1)  # the ledger is usable after it, one transaction per call again
    assert [order.seq for order in reader.orders(RUN)] == [1]
