"""The ledger's durability settings, read back through PRAGMA on the ledger's own connection: WAL with
``synchronous = FULL`` (an order planned before a crash of the machine is still there; NORMAL would
lose the last commits), busy timeout 10 s, foreign keys on. A fresh file and a reopened one alike."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chainprobe.ledger import Ledger

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


def pragma(ledger: Ledger, name: str) -> object:
    connection: sqlite3.Connection = ledger._connection  # the connection every write goes through
    return connection.execute(f"PRAGMA {name}").fetchone()[0]


@pytest.mark.parametrize("reopened", [False, True], ids=["fresh", "reopened"])
def test_the_ledger_writes_durably(tmp_path: Path, reopened: bool) -> None:
    path = tmp_path / "ledger.sqlite"
    if reopened:
        Ledger(path).close()
    with Ledger(path) as ledger:
        assert pragma(ledger, "synchronous") == FULL
        assert pragma(ledger, "journal_mode") == "wal"
        assert pragma(ledger, "foreign_keys") == 1
        assert pragma(ledger, "busy_timeout") == 10_000
