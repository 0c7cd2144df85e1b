"""What the spec's ``dynamodb.cleanup`` did to a run's probe items, for the report.

Every order that left the harness (good or bad: a chain may write the item and then answer 5xx) has its
item looked up by the spec's key template; ``delete`` removes each (BatchWriteItem, 25 keys a call,
unprocessed ones retried), ``ttl`` gives each that exists an expiry. ``not_found``: orders whose key
found no item (the chain wrote none, or wrote it under another key); ``failed``: items DynamoDB still
had not processed after the retries (throttling) — they are left in the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ItemCleanup"]


@dataclass(frozen=True, kw_only=True)
class ItemCleanup:
    """``mode`` ``delete`` or ``ttl``; ``orders`` looked up; ``removed`` items deleted (or given a TTL)."""

    mode: str
    orders: int
    removed: int
    not_found: int
    failed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "orders": self.orders,
            "removed": self.removed,
            "not_found": self.not_found,
            "failed": self.failed,
        }

    def describe(self) -> str:
        """One line for a summary: ``deleted 18 items of 20 orders; 2 not found by key``."""
        verb = "deleted" if self.mode == "delete" else "gave a TTL to"
        line = f"{verb} {self.removed} items of {self.orders} orders; {self.not_found} not found by key"
        if self.failed:
            line += f"; {self.failed} left in the table (DynamoDB did not process them)"
        return line
