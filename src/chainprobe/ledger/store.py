"""The run ledger: an SQLite file recording every run and every order, before and after it is sent.

Example::

    with Ledger() as ledger:                       # .chainprobe/ledger.sqlite, or $CHAINPROBE_LEDGER
        run = ledger.create_run(spec_path="probes/orders.yaml", spec_name="orders", target="local")
        ledger.plan_order(run.run_id, seq=0, order_id="o-1", expect_delivery=True)   # committed first
        ...send...
        ledger.record_api_answer(run.run_id, 0, sent_at=t0, status=201, latency_ms=120.5, body=text)
        ledger.record_observations(run.run_id, [Observation(0, Stage.DYNAMODB, t1)])
        ledger.record_outcomes(run.run_id, [OrderOutcome(seq=0, chain_verdict=Verdict.GOOD)])
        ledger.pending_orders(run.run_id)          # what `chainprobe verify --run ID` finishes

Durability: WAL journal with ``synchronous=FULL``, every call one committed transaction (or, inside
``one_transaction``, several calls one: a load driver's recorder commits what queued up together), so an
order planned before a crash (even of the machine) is still there once its call returned; one planned
but never answered is listed by ``pending_orders`` with ``maybe_sent`` true for the verifier to classify.

Concurrency: one connection shared by the threads of one process behind a lock. Several processes may
share the file, each with its own ``Ledger`` (a load run's Locust workers and the verifier do): WAL lets
readers run beside the one writer, every write is one ``BEGIN IMMEDIATE`` transaction (the write lock
is taken up front, so no transaction ever has to upgrade a read lock and deadlock), and a writer waits
for the lock up to 10 s (SQLite's busy timeout) before ``LedgerBusyError``. Transactions are a few
small statements, so at hundreds of orders a second the wait is a fraction of a millisecond.

Raises ``LedgerOpenError``, ``LedgerSchemaError``, ``LedgerBusyError``, ``RunNotFoundError``,
``RunExistsError``, ``OrderNotFoundError`` and ``DuplicateOrderError`` (all ``LedgerError``).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from chainprobe.ledger.exceptions import (
    DuplicateOrderError,
    LedgerBusyError,
    LedgerOpenError,
    OrderNotFoundError,
    RunExistsError,
    RunNotFoundError,
)
from chainprobe.ledger.location import resolve_ledger_path
from chainprobe.ledger.model import (
    TRANSPORT_FAILURES,
    FailureClass,
    Observation,
    OrderOutcome,
    OrderRecord,
    Run,
    RunState,
    Stage,
    Verdict,
)
from chainprobe.ledger.rows import ORDER_COLUMNS, RUN_COLUMNS, order_from_row, run_from_row
from chainprobe.ledger.schema import migrate

__all__ = ["MAX_BODY_CHARS", "Ledger", "new_run_id"]

MAX_BODY_CHARS = 4096
_BUSY_TIMEOUT_S = 10.0
_SQL_PARAMS = str | int | float | None


def new_run_id(now: float | None = None) -> str:
    """A sortable, resource-name-safe run id: ``r-20250102t030405-1a2b3c``."""
    stamp = time.strftime("%Y%m%dt%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"r-{stamp}-{secrets.token_hex(3)}"


class Ledger:
    """The run ledger at ``path`` (default: ``$CHAINPROBE_LEDGER`` or ``.chainprobe/ledger.sqlite``)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path = resolve_ledger_path(path)
        self._lock = threading.Lock()
        self._batch_thread: int | None = None  # the thread inside ``one_transaction``, holding the lock
        self._connection = _open(self._path)

    @property
    def path(self) -> Path:
        """The ledger file."""
        return self._path

    def close(self) -> None:
        """Close the connection (recorded data is already committed)."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        spec_path: str,
        spec_name: str,
        target: str,
        run_id: str | None = None,
        started_at: float | None = None,
    ) -> Run:
        """Record a new run (state ``running``); ``run_id`` defaults to ``new_run_id()``."""
        run = Run(
            run_id=run_id or new_run_id(),
            spec_path=spec_path,
            spec_name=spec_name,
            target=target,
            started_at=time.time() if started_at is None else started_at,
        )
        try:
            self._write(
                f"INSERT INTO runs ({RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run.run_id, spec_path, spec_name, target, run.started_at, None, run.state.value, None),
            )
        except sqlite3.IntegrityError as error:
            raise RunExistsError(f"run {run.run_id} is already recorded") from error
        return run

    def get_run(self, run_id: str) -> Run:
        """The run ``run_id``; raises ``RunNotFoundError``."""
        rows = self._read(f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,))
        if not rows:
            raise RunNotFoundError(f"no run {run_id} in the ledger")
        return run_from_row(rows[0])

    def runs(self, *, limit: int | None = None) -> list[Run]:
        """The run history, newest first."""
        sql = f"SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at DESC, run_id DESC"
        rows = self._read(f"{sql} LIMIT ?", (limit,)) if limit is not None else self._read(sql, ())
        return [run_from_row(row) for row in rows]

    def mark_run_sent(self, run_id: str) -> None:
        """Every order of the run has been sent (or given up on)."""
        self._update_run(run_id, "UPDATE runs SET state = ? WHERE run_id = ?", (RunState.SENT.value, run_id))

    def mark_run_verified(self, run_id: str, *, ended_at: float | None = None) -> None:
        """Every verdict of the run is final; ``ended_at`` defaults to now."""
        at = time.time() if ended_at is None else ended_at
        self._update_run(
            run_id,
            "UPDATE runs SET state = ?, ended_at = ? WHERE run_id = ?",
            (RunState.VERIFIED.value, at, run_id),
        )

    def end_run(
        self, run_id: str, *, end_reason: str | None, verified: bool, ended_at: float | None = None
    ) -> None:
        """The run ended, at ``ended_at`` (default now): ``end_reason`` says why when it ended before it
        completed (``None``: it completed, which clears an earlier reason); ``verified`` when every
        verdict is final (state ``verified``; otherwise the state is left as it is)."""
        at = time.time() if ended_at is None else ended_at
        state = "?" if verified else "state"
        params: tuple[_SQL_PARAMS, ...] = (RunState.VERIFIED.value,) if verified else ()
        self._update_run(
            run_id,
            f"UPDATE runs SET state = {state}, ended_at = ?, end_reason = ? WHERE run_id = ?",
            (*params, at, end_reason, run_id),
        )

    # -- orders -----------------------------------------------------------------------------------

    def plan_order(
        self,
        run_id: str,
        *,
        seq: int,
        order_id: str,
        planned_at: float | None = None,
        expect_delivery: bool = False,
        sent_at: float | None = None,
    ) -> OrderRecord:
        """Record an order BEFORE sending it; ``expect_delivery`` makes its delivery verdict pending.

        ``sent_at`` records in the same transaction that the request leaves right after this call
        (what ``mark_order_sent`` would record next): one commit instead of two on the sending path.
        """
        self.get_run(run_id)
        record = OrderRecord(
            run_id=run_id,
            seq=seq,
            order_id=order_id,
            planned_at=time.time() if planned_at is None else planned_at,
            sent_at=sent_at,
            delivery_verdict=Verdict.PENDING if expect_delivery else None,
        )
        try:
            self._write(
                "INSERT INTO orders (run_id, seq, order_id, planned_at, sent_at, delivery_verdict)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, seq, order_id, record.planned_at, sent_at, _value(record.delivery_verdict)),
            )
        except sqlite3.IntegrityError as error:
            raise DuplicateOrderError(f"run {run_id} already has seq {seq} or order id {order_id}") from error
        return record

    def plan_orders(self, run_id: str, orders: Iterable[tuple[int, str, float, float | None]]) -> int:
        """Record planned orders ``(seq, order_id, planned_at, sent_at)`` in one transaction; an order
        already recorded (same seq or order id) is left as it is. Returns how many were new.

        Idempotent: what a Locust master records for a batch its worker may send twice. ``sent_at`` is
        the moment from which the order may leave (``None``: it will not leave).
        """
        self.get_run(run_id)
        added = 0
        with self._transaction() as connection:
            for seq, order_id, planned_at, sent_at in orders:
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO orders (run_id, seq, order_id, planned_at, sent_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (run_id, seq, order_id, planned_at, sent_at),
                )
                added += cursor.rowcount
        return added

    def mark_order_unsent(self, run_id: str, seq: int) -> None:
        """An order recorded as (maybe) leaving never left: its ``sent_at`` is cleared, unless it has an
        API outcome (then it did leave, and this is a stale word)."""
        self._update_order(
            run_id,
            seq,
            "sent_at = CASE WHEN api_status IS NULL AND api_failure IS NULL THEN NULL ELSE sent_at END",
            (),
        )

    def mark_order_sent(self, run_id: str, seq: int, *, sent_at: float) -> None:
        """The order's request is about to leave (optional: ``record_api_*`` also set ``sent_at``)."""
        self._update_order(run_id, seq, "sent_at = ?", (sent_at,))

    def record_api_answer(
        self,
        run_id: str,
        seq: int,
        *,
        sent_at: float,
        status: int,
        latency_ms: float,
        body: str | None = None,
        answered_at: float | None = None,
    ) -> None:
        """The API answered with HTTP ``status`` after ``latency_ms``; ``body`` is kept (truncated)."""
        at = sent_at + latency_ms / 1000.0 if answered_at is None else answered_at
        truncated = body[:MAX_BODY_CHARS] if body is not None else None
        self._update_order(
            run_id,
            seq,
            "sent_at = ?, api_at = ?, api_status = ?, api_latency_ms = ?, api_body = ?, api_failure = NULL",
            (sent_at, at, status, latency_ms, truncated),
        )

    def record_api_failure(
        self,
        run_id: str,
        seq: int,
        *,
        sent_at: float,
        failure: FailureClass,
        latency_ms: float | None = None,
        details: str | None = None,
    ) -> None:
        """No HTTP answer: ``api_timeout`` or ``connection_error`` (it may still have been processed)."""
        if failure not in TRANSPORT_FAILURES:
            raise ValueError(f"{failure} is not a transport failure (api_timeout, connection_error)")
        self._update_order(
            run_id,
            seq,
            "sent_at = ?, api_failure = ?, api_latency_ms = ?, details = COALESCE(?, details)",
            (sent_at, failure.value, latency_ms, details),
        )

    def record_observations(self, run_id: str, observations: Iterable[Observation]) -> None:
        """Stage timestamps, in one transaction; the first observation of a stage is kept."""
        with self._transaction() as connection:
            for item in observations:
                column = f"{Stage(item.stage).value}_at"
                cursor = connection.execute(
                    f"UPDATE orders SET {column} = COALESCE({column}, ?) WHERE run_id = ? AND seq = ?",
                    (item.at, run_id, item.seq),
                )
                _require_order(cursor, run_id, item.seq)

    def record_outcomes(self, run_id: str, outcomes: Iterable[OrderOutcome]) -> None:
        """Verdict updates, in one transaction (fields left ``None`` are kept)."""
        with self._transaction() as connection:
            for item in outcomes:
                cursor = connection.execute(_OUTCOME_SQL, _outcome_params(run_id, item))
                _require_order(cursor, run_id, item.seq)

    def get_order(self, run_id: str, seq: int) -> OrderRecord:
        """One order; raises ``OrderNotFoundError``."""
        rows = self._read(f"SELECT {ORDER_COLUMNS} FROM orders WHERE run_id = ? AND seq = ?", (run_id, seq))
        if not rows:
            raise OrderNotFoundError(f"run {run_id} has no order with seq {seq}")
        return order_from_row(rows[0])

    def find_order(self, order_id: str) -> OrderRecord | None:
        """The order with this order id, in any run."""
        rows = self._read(f"SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?", (order_id,))
        return order_from_row(rows[0]) if rows else None

    def orders(self, run_id: str) -> list[OrderRecord]:
        """Every order of the run, by sequence number; raises ``RunNotFoundError``."""
        self.get_run(run_id)
        rows = self._read(f"SELECT {ORDER_COLUMNS} FROM orders WHERE run_id = ? ORDER BY seq", (run_id,))
        return [order_from_row(row) for row in rows]

    def pending_orders(self, run_id: str) -> list[OrderRecord]:
        """Orders of the run with a chain or delivery verdict still pending (planned-only ones included)."""
        return [order for order in self.orders(run_id) if order.pending]

    # -- several writes, one commit -----------------------------------------------------------------

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        """The writes made inside (from this thread) share one transaction, committed once on leaving:
        one fsync for all of them (what a load driver's recorder does with the writes that queued up
        while the previous commit was on disk).

        Each write inside runs in a savepoint of its own: one that raises is undone alone, its error
        raised to its caller as it would be outside, and the others stay. An error out of the block
        itself, or a failed ``COMMIT``, rolls every write of it back and is raised (``LedgerBusyError``
        when the write lock stayed taken up front). Reads inside see the writes made so far. Not
        reentrant, and the other threads' calls wait until the block is left.
        """
        with self._transaction():
            self._batch_thread = threading.get_ident()
            try:
                yield
            finally:
                self._batch_thread = None

    # -- plumbing ---------------------------------------------------------------------------------

    def _update_run(self, run_id: str, sql: str, params: Sequence[_SQL_PARAMS]) -> None:
        with self._transaction() as connection:
            if connection.execute(sql, params).rowcount == 0:
                raise RunNotFoundError(f"no run {run_id} in the ledger")

    def _update_order(self, run_id: str, seq: int, assignments: str, params: Sequence[_SQL_PARAMS]) -> None:
        with self._transaction() as connection:
            cursor = connection.execute(
                f"UPDATE orders SET {assignments} WHERE run_id = ? AND seq = ?", (*params, run_id, seq)
            )
            _require_order(cursor, run_id, seq)

    def _write(self, sql: str, params: Sequence[_SQL_PARAMS]) -> None:
        with self._transaction() as connection:
            connection.execute(sql, params)

    def _read(self, sql: str, params: Sequence[_SQL_PARAMS]) -> list[sqlite3.Row]:
        if self._inside_one_transaction():
            return self._connection.execute(sql, params).fetchall()
        with self._lock:
            return self._connection.execute(sql, params).fetchall()

    def _inside_one_transaction(self) -> bool:
        """This thread is inside ``one_transaction`` (and holds the lock)."""
        return self._batch_thread is not None and self._batch_thread == threading.get_ident()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self._inside_one_transaction():
            with self._savepoint() as connection:
                yield connection
            return
        with self._lock:
            try:
                self._connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise LedgerBusyError(f"{self._path}: the ledger stayed locked ({error})") from error
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            try:
                self._connection.execute("COMMIT")
            except sqlite3.Error:
                if self._connection.in_transaction:  # a COMMIT that failed may leave it open
                    self._connection.execute("ROLLBACK")
                raise

    @contextmanager
    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        """One write inside ``one_transaction``: undone alone if it raises."""
        self._connection.execute("SAVEPOINT one_write")
        try:
            yield self._connection
        except BaseException:
            self._connection.execute("ROLLBACK TO one_write")
            self._connection.execute("RELEASE one_write")
            raise
        self._connection.execute("RELEASE one_write")


_OUTCOME_SQL = """
UPDATE orders SET
    chain_verdict = COALESCE(?, chain_verdict),
    chain_failure = CASE WHEN ? IS NULL THEN chain_failure ELSE ? END,
    delivery_verdict = COALESCE(?, delivery_verdict),
    delivery_failure = CASE WHEN ? IS NULL THEN delivery_failure ELSE ? END,
    details = COALESCE(?, details)
WHERE run_id = ? AND seq = ?
"""


def _outcome_params(run_id: str, item: OrderOutcome) -> tuple[_SQL_PARAMS, ...]:
    chain, delivery = _value(item.chain_verdict), _value(item.delivery_verdict)
    chain_failure, delivery_failure = _value(item.chain_failure), _value(item.delivery_failure)
    return (chain, chain, chain_failure, delivery, delivery, delivery_failure, item.details, run_id, item.seq)


def _value(member: Verdict | FailureClass | None) -> str | None:
    return member.value if member is not None else None


def _require_order(cursor: sqlite3.Cursor, run_id: str, seq: int) -> None:
    if cursor.rowcount == 0:
        raise OrderNotFoundError(f"run {run_id} has no order with seq {seq}")


def _open(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        connection.row_factory = sqlite3.Row
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
            connection.execute(f"PRAGMA {pragma}")
        migrate(connection, source=str(path))
    except (OSError, sqlite3.Error) as error:
        raise LedgerOpenError(f"{path}: cannot open the ledger ({error})") from error
    return connection
