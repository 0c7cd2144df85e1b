"""Everything a run can check before its first order leaves, checked in one place.

``check_before_sending`` runs before a run is recorded in the ledger and before any capture resource
is created, so a mistake found here leaves nothing behind: no ``running`` run, no queue, no rule.
It checks, cheapest first:

- the faults asked for: known names (``chainprobe.stacks.local.fault_names``), and a spec that says
  where to mark them (``send.fault_marker_path``): ``FaultMarkerError``, exit 2;
- the outputs: the report directory is writable (``ReportDirError``, exit 2), the ledger file is sound
  (``PRAGMA quick_check``) and not held locked by another process (``LedgerOpenError`` /
  ``LedgerBusyError`` naming the file, exit 2);
- the target (``chainprobe.target.preflight``): every template rendered for a sample order, the URLs,
  the header values, the API reachable, credentials, table, bus and courier journal.

Example::

    with open_ledger() as ledger:
        check_before_sending(spec, target, ledger_path=ledger.path, report_dir=Path("reports"))
        ...create the run, prepare the verifier, send...

Limitation: ``quick_check`` reads the whole ledger file, a second or so for a ledger of a few hundred MB.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chainprobe.drive.canary import FaultMarkerError
from chainprobe.ledger.exceptions import LedgerBusyError, LedgerOpenError
from chainprobe.report.writer import check_report_dir
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.sample import SampleOrder
from chainprobe.stacks.local.fault_names import name_problem
from chainprobe.target import Target, preflight

__all__ = ["LEDGER_LOCK_WAIT_S", "check_before_sending", "check_faults", "check_ledger"]

LEDGER_LOCK_WAIT_S = 10.0  # as long as the ledger itself waits for its write lock


def check_before_sending(
    spec: ProbeSpec,
    target: Target,
    *,
    ledger_path: Path,
    report_dir: Path | None,
    faults: tuple[str, ...] = (),
) -> SampleOrder:
    """Raises the first problem found (see the module's docstring); returns the sample order."""
    check_faults(spec, faults)
    if report_dir is not None:
        check_report_dir(report_dir)
    check_ledger(ledger_path)
    return preflight(spec, target, faults=faults)


def check_faults(spec: ProbeSpec, faults: tuple[str, ...]) -> None:
    """Every name is a known fault and the spec has somewhere to mark them; else ``FaultMarkerError``."""
    for name in faults:
        problem = name_problem(name)
        if problem is not None:
            raise FaultMarkerError(problem)
    if faults and spec.send.fault_marker_path is None:
        raise FaultMarkerError(
            f"spec {spec.name} has no send.fault_marker_path: its chain takes no fault markers"
        )


def check_ledger(path: Path, *, lock_wait_s: float = LEDGER_LOCK_WAIT_S) -> None:
    """The ledger file at ``path`` passes SQLite's ``quick_check`` and its write lock can be taken."""
    try:
        connection = sqlite3.connect(path, timeout=lock_wait_s, isolation_level=None)
    except sqlite3.Error as error:
        raise LedgerOpenError(f"{path}: cannot open the ledger ({error})") from error
    try:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            first = " ".join(problems[0].replace("*** in database main ***", "").split())
            raise LedgerOpenError(f"{path}: the ledger file is damaged ({first}); move it aside")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise LedgerBusyError(
                f"{path}: the ledger is locked by another process (waited {lock_wait_s:g} s)"
            ) from error
        raise LedgerOpenError(f"{path}: the ledger file is damaged ({error}); move it aside") from error
    except sqlite3.DatabaseError as error:
        raise LedgerOpenError(f"{path}: the ledger file is damaged ({error}); move it aside") from error
    finally:
        connection.close()
