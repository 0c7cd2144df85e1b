"""The ledger's SQLite schema and how a file is brought to it (``PRAGMA user_version``)."""

from __future__ import annotations

import sqlite3

from chainprobe.ledger.exceptions import LedgerSchemaError

__all__ = ["SCHEMA_VERSION", "migrate"]

SCHEMA_VERSION = 1

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


def migrate(connection: sqlite3.Connection, *, source: str) -> None:
    """Create the schema in a new file; refuse a file of a newer schema."""
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise LedgerSchemaError(
            f"{source}: ledger schema {version} is newer than this chainprobe's ({SCHEMA_VERSION})"
        )
    if version < SCHEMA_VERSION:
        connection.executescript(f"BEGIN IMMEDIATE; {_V1} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
