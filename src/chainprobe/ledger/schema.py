"""The ledger's SQLite schema and how a file is brought to it (``PRAGMA user_version``).

Versions: 1, runs and orders; 2 adds ``runs.end_reason`` (why a run ended before it completed, ``NULL``
for a run that completed). A v1 file is migrated in place, in one transaction, the first time a newer
chainprobe opens it; its runs keep ``end_reason`` ``NULL``.
"""

from __future__ import annotations

import sqlite3

from chainprobe.ledger.exceptions import LedgerSchemaError

__all__ = ["SCHEMA_VERSION", "migrate"]

SCHEMA_VERSION = 2

_V1 = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    spec_path   TEXT NOT NULL,
    spec_name   TEXT NOT NULL,
    target      TEXT NOT NULL,
    started_at  REAL NOT NULL,
    ended_at    REAL,
    state       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    run_id            TEXT NOT NULL REFERENCES runs (run_id),
    seq               INTEGER NOT NULL,
    order_id          TEXT NOT NULL UNIQUE,
    planned_at        REAL NOT NULL,
    sent_at           REAL,
    api_at            REAL,
    api_status        INTEGER,
    api_latency_ms    REAL,
    api_body          TEXT,
    api_failure       TEXT,
    dynamodb_at       REAL,
    event_at          REAL,
    courier_at        REAL,
    chain_verdict     TEXT NOT NULL DEFAULT 'pending',
    chain_failure     TEXT,
    delivery_verdict  TEXT,
    delivery_failure  TEXT,
    details           TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_at);
"""

_V1_TO_V2 = "ALTER TABLE runs ADD COLUMN end_reason TEXT;"

# _STEPS[n] brings a file of version n to version n + 1 (0: a new, empty file).
_STEPS = (_V1, _V1_TO_V2)


def migrate(connection: sqlite3.Connection, *, source: str) -> None:
    """Create the schema in a new file, bring an older file to the current schema in place; refuse a
    newer schema. One transaction, the version read inside it: a failed migration leaves the file as
    it was, and of two processes opening an old file at once only the first migrates it."""
    if _version(connection) == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = _version(connection)
        if version > SCHEMA_VERSION:
            raise LedgerSchemaError(
                f"{source}: ledger schema {version} is newer than this chainprobe's ({SCHEMA_VERSION})"
            )
        for step in _STEPS[version:]:
            for statement in filter(str.strip, step.split(";")):
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])
