"""What a run checks before it is recorded: faults, outputs (report dir, ledger), then the target."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from chainprobe.drive.canary import FaultMarkerError
from chainprobe.ledger.exceptions import LedgerBusyError, LedgerOpenError
from chainprobe.ledger.store import Ledger
from chainprobe.preflight import check_before_sending, check_faults, check_ledger
from chainprobe.report.writer import ReportDirError
from chainprobe.spec import parse_spec
from chainprobe.stacks.local.fault_names import FAULT_NAMES
from chainprobe.target import Target

MARKED = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId, fault_marker_path: chaos}
api: {expected_status: [201]}
"""
)
UNMARKED = parse_spec(
    """
name: plain
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
"""
)


@pytest.mark.parametrize(
    ("spec", "faults", "problem"),
    [
        (MARKED, (), None),
        (UNMARKED, (), None),
        (MARKED, ("handler-500", "courier-429"), None),
        (MARKED, ("handler-5000",), "unknown fault 'handler-5000'; known faults: " + ", ".join(FAULT_NAMES)),
        (UNMARKED, ("handler-500",), "spec plain has no send.fault_marker_path"),
        (UNMARKED, ("nope",), "unknown fault 'nope'"),
    ],
)
def test_check_faults(spec: Any, faults: tuple[str, ...], problem: str | None) -> None:
    if problem is None:
        check_faults(spec, faults)
        return
    with pytest.raises(FaultMarkerError) as raised:
        check_faults(spec, faults)
    assert str(raised.value).startswith(problem)


def ledger_with_orders(path: Path) -> Path:
    with Ledger(path) as ledger:
        run = ledger.create_run(spec_path="s.yaml", spec_name="s", target="local")
        for seq in range(60):
            ledger.plan_order(run.run_id, seq=seq, order_id=f"o-{seq}", planned_at=1.0)
    return path


def test_a_sound_ledger_passes(tmp_path: Path) -> None:
    check_ledger(ledger_with_orders(tmp_path / "ledger.sqlite"))


def test_a_ledger_with_a_damaged_page_is_named(tmp_path: Path) -> None:
    path = ledger_with_orders(tmp_path / "ledger.sqlite")
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 2 * page
    data[page:] = b"\xab" * (len(data) - page)  # every page after the first (the header) is garbage
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerOpenError) as raised:
        check_ledger(path)
    assert str(raised.value).startswith(f"{path}: the ledger file is damaged (")


def test_a_damaged_page_that_quick_check_reports_is_one_line(tmp_path: Path) -> None:
    path = ledger_with_orders(tmp_path / "ledger.sqlite")
    data = bytearray(path.read_bytes())
    data[4096 + 5] ^= 0xFF  # the second page's cell content offset: "free space corruption"
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerOpenError) as raised:
        check_ledger(path)
    assert (
        str(raised.value)
        == f"{path}: the ledger file is damaged (Page 2: free space corruption); move it aside"
    )


def test_a_file_that_is_not_a_ledger_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"not sqlite at all" * 300)
    with pytest.raises(LedgerOpenError, match=f"^{path}: "):
        check_ledger(path)


def test_a_ledger_locked_by_another_connection_is_named(tmp_path: Path) -> None:
    path = ledger_with_orders(tmp_path / "ledger.sqlite")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(LedgerBusyError) as raised:
            check_ledger(path, lock_wait_s=0.05)
        assert str(raised.value) == f"{path}: the ledger is locked by another process (waited 0.05 s)"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    check_ledger(path, lock_wait_s=0.05)


class UntouchableClients:
    """Clients of a target that must not be reached: the outputs are checked first."""

    def client(self, name: str) -> Any:
        raise AssertionError(f"the target's {name} was used before the outputs were checked")


UNTOUCHABLE = Target(
    name="nowhere", endpoints={"api_url": "http://127.0.0.1:9"}, clients=UntouchableClients()
)  # type: ignore[arg-type]


def test_outputs_are_checked_before_the_target(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ReportDirError):
        check_before_sending(
            MARKED, UNTOUCHABLE, ledger_path=tmp_path / "l.sqlite", report_dir=blocker / "reports"
        )
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"x" * 5000)
    with pytest.raises(LedgerOpenError):
        check_before_sending(MARKED, UNTOUCHABLE, ledger_path=damaged, report_dir=None)
    with pytest.raises(FaultMarkerError):
        check_before_sending(
            UNMARKED, UNTOUCHABLE, ledger_path=damaged, report_dir=None, faults=("handler-500",)
        )
