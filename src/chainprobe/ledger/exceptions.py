"""Errors raised by the run ledger: one base class, one subclass per situation."""

from __future__ import annotations

__all__ = [
    "DuplicateOrderError",
    "InvalidOutcomeError",
    "LedgerBusyError",
    "LedgerError",
    "LedgerOpenError",
    "LedgerSchemaError",
    "OrderNotFoundError",
    "RunExistsError",
    "RunNotFoundError",
]


class LedgerError(Exception):
    """The run ledger cannot do what was asked."""


class LedgerOpenError(LedgerError):
    """The ledger file cannot be opened or created (permissions, not an SQLite file, locked too long)."""


class LedgerBusyError(LedgerError):
    """Another process held the ledger's write lock for longer than the busy timeout."""


class LedgerSchemaError(LedgerError):
    """The ledger file was written by a newer chainprobe whose schema this one does not know."""


class RunNotFoundError(LedgerError):
    """No run has this id."""


class RunExistsError(LedgerError):
    """A run with this id is already recorded."""


class OrderNotFoundError(LedgerError):
    """No order of this run has this sequence number."""


class DuplicateOrderError(LedgerError):
    """An order with this sequence number or order id is already recorded."""


class InvalidOutcomeError(LedgerError, ValueError):
    """A verdict update is inconsistent (a bad verdict without a failure class, or the reverse)."""
