"""Schema v2: a v1 ledger (no ``runs.end_reason``) is migrated in place, its runs and orders kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chainprobe.ledger import Ledger, RunState
from chainprobe.ledger.schema import SCHEMA_VERSION

V1 = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, spec_path TEXT NOT NULL, spec_name TEXT NOT NULL,
    target TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL, state TEXT NOT NULL);
CREATE TABLE orders (run_id TEXT NOT NULL REFERENCES runs (run_id), seq INTEGER NOT NULL,
    order_id TEXT NOT NULL UNIQUE, planned_at REAL NOT NULL, sent_at REAL, api_at REAL, api_status INTEGER,
    api_latency_ms REAL, api_body TEXT, api_failure TEXT, dynamodb_at REAL, event_at REAL, courier_at REAL,
    chain_verdict TEXT NOT NULL DEFAULT 'pending', chain_failure TEXT, delivery_verdict TEXT,
    delivery_failure TEXT, details TEXT, PRIMARY KEY (run_id, seq));
CREATE INDEX runs_by_start ON runs (started_at);
INSERT INTO runs VALUES ('r-old', 'probes/orders.yaml', 'orders', 'local', 10.0, NULL, 'running');
INSERT INTO orders (run_id, seq, order_id, planned_at, sent_at) VALUES ('r-old', 0, 'o-old', 10.0, 10.5);
PRAGMA user_version = 1;
"""


def v1_ledger(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(V1)
    return path


def test_a_v1_ledger_is_migrated_in_place_and_keeps_its_runs(tmp_path: Path) -> None:
    path = v1_ledger(tmp_path / "ledger.sqlite")

    with Ledger(path) as ledger:
        old = ledger.get_run("r-old")
        [order] = ledger.orders("r-old")
        ledger.end_run("r-old", end_reason="interrupted (SIGINT)", verified=False, ended_at=20.0)
        ended = ledger.get_run("r-old")

    assert (old.state, old.end_reason, order.order_id, order.sent_at) == (
        RunState.RUNNING,
        None,
        "o-old",
        10.5,
    )
    assert (ended.end_reason, ended.ended_at, ended.state) == ("interrupted (SIGINT)", 20.0, RunState.RUNNING)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        columns = [row[1] for row in db.execute("PRAGMA table_info(runs)")]
    assert columns[-1] == "end_reason"


def test_a_migrated_ledger_opens_again_without_migrating_twice(tmp_path: Path) -> None:
    path = v1_ledger(tmp_path / "ledger.sqlite")
    Ledger(path).close()
    with Ledger(path) as ledger:  # a second ALTER TABLE would fail: "duplicate column name"
        assert ledger.get_run("r-old").end_reason is None


def test_a_new_ledger_has_the_end_reason_column(tmp_path: Path) -> None:
    with Ledger(tmp_path / "new.sqlite") as ledger:
        run = ledger.create_run(spec_path="s", spec_name="n", target="t")
        assert ledger.get_run(run.run_id).end_reason is None
