"""The run ledger (SQLite): every order recorded before it is sent and its outcome after.

Example::

    from chainprobe.ledger import Ledger, Verdict

    with Ledger() as ledger:                 # $CHAINPROBE_LEDGER or .chainprobe/ledger.sqlite
        for order in ledger.pending_orders(run_id):
            ...

Runs accumulate as history (``Ledger.runs()``); ``chainprobe verify --run ID`` finishes a killed run
from ``Ledger.pending_orders``.
"""

from chainprobe.ledger.exceptions import (
    DuplicateOrderError,
    InvalidOutcomeError,
    LedgerBusyError,
    LedgerError,
    LedgerOpenError,
    LedgerSchemaError,
    OrderNotFoundError,
    RunExistsError,
    RunNotFoundError,
)
from chainprobe.ledger.location import DEFAULT_LEDGER_PATH, LEDGER_ENV, resolve_ledger_path
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
from chainprobe.ledger.store import MAX_BODY_CHARS, Ledger, new_run_id

__all__ = [
    "DEFAULT_LEDGER_PATH",
    "LEDGER_ENV",
    "MAX_BODY_CHARS",
    "TRANSPORT_FAILURES",
    "DuplicateOrderError",
    "FailureClass",
    "InvalidOutcomeError",
    "Ledger",
    "LedgerBusyError",
    "LedgerError",
    "LedgerOpenError",
    "LedgerSchemaError",
    "Observation",
    "OrderNotFoundError",
    "OrderOutcome",
    "OrderRecord",
    "Run",
    "RunExistsError",
    "RunNotFoundError",
    "RunState",
    "Stage",
    "Verdict",
    "new_run_id",
    "resolve_ledger_path",
]
