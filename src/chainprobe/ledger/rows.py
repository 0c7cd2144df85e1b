"""Conversions between ledger rows and the ledger's dataclasses."""

from __future__ import annotations

import sqlite3

from chainprobe.ledger.model import FailureClass, OrderRecord, Run, RunState, Verdict

__all__ = ["ORDER_COLUMNS", "RUN_COLUMNS", "order_from_row", "run_from_row"]

RUN_COLUMNS = "run_id, spec_path, spec_name, target, started_at, ended_at, state, end_reason"
ORDER_COLUMNS = (
    "run_id, seq, order_id, planned_at, sent_at, api_at, api_status, api_latency_ms, api_body, api_failure,"
    " dynamodb_at, event_at, courier_at, chain_verdict, chain_failure, delivery_verdict, delivery_failure,"
    " details"
)


def run_from_row(row: sqlite3.Row) -> Run:
    """A ``Run`` from a row selected with ``RUN_COLUMNS``."""
    return Run(
        run_id=row["run_id"],
        spec_path=row["spec_path"],
        spec_name=row["spec_name"],
        target=row["target"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        state=RunState(row["state"]),
        end_reason=row["end_reason"],
    )


def order_from_row(row: sqlite3.Row) -> OrderRecord:
    """An ``OrderRecord`` from a row selected with ``ORDER_COLUMNS``."""
    return OrderRecord(
        run_id=row["run_id"],
        seq=row["seq"],
        order_id=row["order_id"],
        planned_at=row["planned_at"],
        sent_at=row["sent_at"],
        api_at=row["api_at"],
        api_status=row["api_status"],
        api_latency_ms=row["api_latency_ms"],
        api_body=row["api_body"],
        api_failure=_failure(row["api_failure"]),
        dynamodb_at=row["dynamodb_at"],
        event_at=row["event_at"],
        courier_at=row["courier_at"],
        chain_verdict=Verdict(row["chain_verdict"]),
        chain_failure=_failure(row["chain_failure"]),
        delivery_verdict=Verdict(row["delivery_verdict"]) if row["delivery_verdict"] else None,
        delivery_failure=_failure(row["delivery_failure"]),
        details=row["details"],
    )


def _failure(value: str | None) -> FailureClass | None:
    return FailureClass(value) if value else None
