"""The run ledger: runs, orders before and after sending, observations, verdicts, history, threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from chainprobe.ledger import (
    MAX_BODY_CHARS,
    DuplicateOrderError,
    FailureClass,
    InvalidOutcomeError,
    Ledger,
    LedgerOpenError,
    LedgerSchemaError,
    Observation,
    OrderNotFoundError,
    OrderOutcome,
    RunExistsError,
    RunNotFoundError,
    RunState,
    Stage,
    Verdict,
    new_run_id,
    resolve_ledger_path,
)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger.sqlite")


def _run(ledger: Ledger, run_id: str = "r-1", started_at: float = 1000.0) -> str:
    ledger.create_run(
        spec_path="probes/orders.yaml",
        spec_name="orders",
        target="local",
        run_id=run_id,
        started_at=started_at,
    )
    return run_id


def test_file_is_created_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "ledger.sqlite"
    Ledger(path).close()
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 2
    connection.close()


def test_runs_are_history_newest_first(ledger: Ledger) -> None:
    _run(ledger, "r-old", 1000.0)
    _run(ledger, "r-new", 2000.0)
    assert [run.run_id for run in ledger.runs()] == ["r-new", "r-old"]
    assert [run.run_id for run in ledger.runs(limit=1)] == ["r-new"]
    run = ledger.get_run("r-old")
    assert (run.spec_name, run.target, run.state, run.ended_at) == ("orders", "local", RunState.RUNNING, None)


def test_run_states(ledger: Ledger) -> None:
    run_id = _run(ledger)
    ledger.mark_run_sent(run_id)
    assert ledger.get_run(run_id).state is RunState.SENT
    ledger.mark_run_verified(run_id, ended_at=1060.0)
    assert (ledger.get_run(run_id).state, ledger.get_run(run_id).ended_at) == (RunState.VERIFIED, 1060.0)


def test_unknown_and_duplicate_runs(ledger: Ledger) -> None:
    _run(ledger)
    with pytest.raises(RunExistsError):
        _run(ledger)
    with pytest.raises(RunNotFoundError, match="no run r-x"):
        ledger.get_run("r-x")
    with pytest.raises(RunNotFoundError):
        ledger.mark_run_sent("r-x")
    with pytest.raises(RunNotFoundError):
        ledger.orders("r-x")
    with pytest.raises(RunNotFoundError):
        ledger.plan_order("r-x", seq=0, order_id="o")


def test_generated_run_ids_are_sortable_and_distinct(ledger: Ledger) -> None:
    first = new_run_id(0.0)
    assert first.startswith("r-19700101t000000-") and len(first) == len("r-19700101t000000-") + 6
    assert new_run_id(0.0) != first
    run = ledger.create_run(spec_path="p", spec_name="n", target="t")
    assert run.run_id.startswith("r-") and ledger.get_run(run.run_id) == run


def test_an_order_lives_from_planned_to_judged(ledger: Ledger) -> None:
    run_id = _run(ledger)
    planned = ledger.plan_order(run_id, seq=0, order_id="o-0", planned_at=1001.0, expect_delivery=True)
    assert planned.maybe_sent and planned.pending and planned.delivery_verdict is Verdict.PENDING

    ledger.record_api_answer(
        run_id, 0, sent_at=1001.5, status=201, latency_ms=250.0, body='{"status":"CREATED"}'
    )
    ledger.record_observations(
        run_id,
        [
            Observation(0, Stage.DYNAMODB, 1002.0),
            Observation(0, Stage.EVENT, 1003.0),
            Observation(0, Stage.COURIER, 1009.0),
        ],
    )
    ledger.record_outcomes(run_id, [OrderOutcome(seq=0, chain_verdict=Verdict.GOOD)])
    order = ledger.get_order(run_id, 0)
    assert (order.api_status, order.api_latency_ms, order.api_body) == (201, 250.0, '{"status":"CREATED"}')
    assert order.timeline() == {
        Stage.SENT: 1001.5,
        Stage.API: 1001.75,
        Stage.DYNAMODB: 1002.0,
        Stage.EVENT: 1003.0,
        Stage.COURIER: 1009.0,
    }
    assert order.chain_verdict is Verdict.GOOD and order.pending  # delivery still pending

    ledger.record_outcomes(
        run_id,
        [
            OrderOutcome(
                seq=0,
                delivery_verdict=Verdict.BAD,
                delivery_failure=FailureClass.COURIER_FAILED,
                details="500",
            )
        ],
    )
    order = ledger.get_order(run_id, 0)
    assert (order.chain_verdict, order.delivery_verdict, order.delivery_failure, order.details) == (
        Verdict.GOOD,
        Verdict.BAD,
        FailureClass.COURIER_FAILED,
        "500",
    )
    assert not order.pending and not order.maybe_sent


def test_an_order_never_sent_is_final_without_a_failure_class(ledger: Ledger) -> None:
    run_id = _run(ledger)
    ledger.plan_order(run_id, seq=0, order_id="o-0")
    ledger.record_outcomes(run_id, [OrderOutcome(seq=0, chain_verdict=Verdict.NOT_SENT)])
    order = ledger.get_order(run_id, 0)
    assert order.chain_verdict is Verdict.NOT_SENT
    assert order.chain_failure is None and order.delivery_verdict is None
    assert not order.pending and not order.maybe_sent and ledger.pending_orders(run_id) == []
    with pytest.raises(InvalidOutcomeError):
        OrderOutcome(seq=0, chain_verdict=Verdict.NOT_SENT, chain_failure=FailureClass.API_TIMEOUT)


def test_first_observation_of_a_stage_is_kept(ledger: Ledger) -> None:
    run_id = _run(ledger)
    ledger.plan_order(run_id, seq=0, order_id="o-0")
    ledger.record_observations(run_id, [Observation(0, Stage.EVENT, 5.0)])
    ledger.record_observations(run_id, [Observation(0, Stage.EVENT, 9.0)])
    assert ledger.get_order(run_id, 0).event_at == 5.0


def test_transport_failure_is_an_api_outcome(ledger: Ledger) -> None:
    run_id = _run(ledger)
    ledger.plan_order(run_id, seq=0, order_id="o-0")
    ledger.record_api_failure(
        run_id, 0, sent_at=10.0, failure=FailureClass.API_TIMEOUT, latency_ms=10000.0, details="read timeout"
    )
    order = ledger.get_order(run_id, 0)
    assert order.answered and order.api_status is None and order.api_failure is FailureClass.API_TIMEOUT
    assert order.details == "read timeout" and order.api_at is None
    with pytest.raises(ValueError, match="not a transport failure"):
        ledger.record_api_failure(run_id, 0, sent_at=10.0, failure=FailureClass.HTTP_5XX)


def test_long_bodies_are_truncated(ledger: Ledger) -> None:
    run_id = _run(ledger)
    ledger.plan_order(run_id, seq=0, order_id="o-0")
    ledger.record_api_answer(run_id, 0, sent_at=1.0, status=500, latency_ms=1.0, body="x" * 10_000)
    assert len(ledger.get_order(run_id, 0).api_body or "") == MAX_BODY_CHARS


def test_duplicates_and_unknown_orders(ledger: Ledger) -> None:
    run_id = _run(ledger)
    ledger.plan_order(run_id, seq=0, order_id="o-0")
    with pytest.raises(DuplicateOrderError):
        ledger.plan_order(run_id, seq=0, order_id="o-other")
    with pytest.raises(DuplicateOrderError):
        ledger.plan_order(run_id, seq=1, order_id="o-0")
    with pytest.raises(OrderNotFoundError, match="no order with seq 9"):
        ledger.record_api_answer(run_id, 9, sent_at=1.0, status=201, latency_ms=1.0)
    with pytest.raises(OrderNotFoundError):
        ledger.record_observations(
            run_id, [Observation(0, Stage.EVENT, 1.0), Observation(9, Stage.EVENT, 1.0)]
        )
    assert ledger.get_order(run_id, 0).event_at is None  # the batch was rolled back as a whole
    with pytest.raises(OrderNotFoundError):
        ledger.get_order(run_id, 9)


def test_outcomes_must_be_consistent() -> None:
    with pytest.raises(InvalidOutcomeError, match="chain"):
        OrderOutcome(seq=0, chain_verdict=Verdict.BAD)
    with pytest.raises(InvalidOutcomeError, match="delivery"):
        OrderOutcome(seq=0, delivery_verdict=Verdict.GOOD, delivery_failure=FailureClass.COURIER_FAILED)
    with pytest.raises(ValueError):
        OrderOutcome(seq=0, chain_failure=FailureClass.DB_MISSING)


def test_pending_orders_and_lookup(ledger: Ledger) -> None:
    run_id = _run(ledger)
    for seq in range(4):
        ledger.plan_order(run_id, seq=seq, order_id=f"o-{seq}")
    ledger.record_outcomes(
        run_id,
        [
            OrderOutcome(seq=0, chain_verdict=Verdict.GOOD),
            OrderOutcome(seq=2, chain_verdict=Verdict.BAD, chain_failure=FailureClass.DB_MISSING),
        ],
    )
    assert [order.seq for order in ledger.pending_orders(run_id)] == [1, 3]
    assert [order.seq for order in ledger.orders(run_id)] == [0, 1, 2, 3]
    found = ledger.find_order("o-2")
    assert found is not None and found.chain_failure is FailureClass.DB_MISSING
    assert ledger.find_order("o-none") is None


def test_several_threads_write_through_one_ledger(ledger: Ledger) -> None:
    run_id = _run(ledger)
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for i in range(40):
                seq = offset * 1000 + i
                ledger.plan_order(run_id, seq=seq, order_id=f"o-{seq}")
                ledger.record_api_answer(run_id, seq, sent_at=1.0, status=201, latency_ms=float(i))
                ledger.orders(run_id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    orders = ledger.orders(run_id)
    assert len(orders) == 320 and all(order.api_status == 201 for order in orders)


def test_a_second_connection_sees_committed_writes(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    writer = Ledger(path)
    run_id = _run(writer)
    writer.plan_order(run_id, seq=0, order_id="o-0")
    with Ledger(path) as reader:
        assert [order.order_id for order in reader.orders(run_id)] == ["o-0"]
    writer.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(LedgerSchemaError, match="schema 99 is newer"):
        Ledger(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    path.write_bytes(b"this is not sqlite, just text that is long enough to look like a header" * 10)
    with pytest.raises(LedgerOpenError, match="cannot open the ledger"):
        Ledger(path)


def test_ledger_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_ledger_path(environ={}) == Path(".chainprobe/ledger.sqlite")
    assert resolve_ledger_path(environ={"CHAINPROBE_LEDGER": "/x/l.sqlite"}) == Path("/x/l.sqlite")
    assert resolve_ledger_path("given.sqlite", environ={"CHAINPROBE_LEDGER": "/x/l.sqlite"}) == Path(
        "given.sqlite"
    )
    monkeypatch.setenv("CHAINPROBE_LEDGER", str(tmp_path / "env.sqlite"))
    with Ledger() as ledger:
        assert ledger.path == tmp_path / "env.sqlite"
    assert (tmp_path / "env.sqlite").exists()


def test_failure_classes_know_their_stage() -> None:
    stages = {failure.value: failure.stage.value for failure in FailureClass}
    assert stages == {
        "http_5xx": "api",
        "http_4xx": "api",
        "http_2xx_error_body": "api",
        "api_timeout": "api",
        "connection_error": "api",
        "db_missing": "dynamodb",
        "db_mismatch": "dynamodb",
        "event_missing": "event",
        "event_duplicate": "event",
        "courier_missing": "courier",
        "courier_failed": "courier",
        "courier_duplicate": "courier",
        "courier_unexpected": "courier",
    }
    delivery = ["courier_missing", "courier_failed", "courier_duplicate", "courier_unexpected"]
    assert [f.value for f in FailureClass if f.is_delivery] == delivery
