"""The faults a canary asked for against the fault log: did the chain fire them, on exactly which orders?

``chainprobe canary --fault NAME`` marks orders (``send.fault_marker_path`` in the request body); the local
stack's fault log (``/_chainprobe/faults/log``) is the ground truth of what fired. Per fault asked for,
``summarize_faults`` counts the orders marked, the marked orders the log names for that fault and its
entries for them (a throttled PutItem retried three times is three entries), and the run's unmarked
orders the fault hit anyway (by its rate). A marked order with no entry is a finding; no entry at all
for any fault asked for means the chain never read the markers where they were put: a configuration
error (``never_fired``), not an SLO met.

Example (pure; ``chainprobe.run_faults.read_fault_summary`` reads the log of a target)::

    >>> from chainprobe.stacks.local.fault_names import FiredFault
    >>> log = [FiredFault("handler-500", "o-1", "marker", 10.0)]
    >>> summary = summarize_faults(("handler-500",), marked=["o-1", "o-2"], run_orders=["o-1", "o-2", "o-3"],
    ...                            log=log, marker_path="chaos")
    >>> [(c.fault, c.marked, c.logged_orders, c.log_entries, c.unlogged) for c in summary.checks]
    [('handler-500', 2, 1, 1, ('o-2',))]
    >>> summary.findings()
    ['handler-500: 1 of 2 marked orders have no fault-log entry (o-2)']
    >>> summary.never_fired() is None
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chainprobe.stacks.local.fault_names import FiredFault

__all__ = ["FaultCheck", "FaultSummary", "summarize_faults"]

LISTED_ORDERS = 5  # order ids named in a finding line; the JSON report lists them all


@dataclass(frozen=True)
class FaultCheck:
    """One fault asked for, against the log."""

    fault: str
    marked: int
    logged_orders: int
    log_entries: int
    unlogged: tuple[str, ...] = ()
    unmarked_hits: int = 0
    hit_by_others: tuple[
        tuple[str, int], ...
    ] = ()  # other faults asked for that the log names on unlogged ones

    def to_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "marked": self.marked,
            "logged_orders": self.logged_orders,
            "log_entries": self.log_entries,
            "unlogged_orders": list(self.unlogged),
            "unmarked_hits": self.unmarked_hits,
            "unlogged_hit_by": dict(self.hit_by_others),
        }

    def describe(self) -> str:
        entries = "entry" if self.log_entries == 1 else "entries"
        logged = f"{self.logged_orders} in the fault log ({self.log_entries} {entries})"
        text = f"{self.fault}: {self.marked} marked, {logged}"
        return text + (f", {self.unmarked_hits} unmarked hit by rate" if self.unmarked_hits else "")


@dataclass(frozen=True)
class FaultSummary:
    """The faults a run asked for and what the fault log says of them (``log_error``: it was unreadable)."""

    marker_path: str
    checks: tuple[FaultCheck, ...] = ()
    log_error: str | None = None

    def findings(self) -> list[str]:
        """One line per fault whose marked orders are (partly) missing from the log."""
        lines = []
        for check in self.checks:
            if check.unlogged:
                listed = ", ".join(check.unlogged[:LISTED_ORDERS])
                more = (
                    f", … {len(check.unlogged) - LISTED_ORDERS} more"
                    if len(check.unlogged) > LISTED_ORDERS
                    else ""
                )
                others = "".join(
                    f"; {count} of them hit by {name}, which may have stopped them before {check.fault} "
                    "could fire"
                    for name, count in check.hit_by_others
                )
                lines.append(
                    f"{check.fault}: {len(check.unlogged)} of {check.marked} marked orders have no "
                    f"fault-log entry ({listed}{more}){others}"
                )
        return lines

    def never_fired(self) -> str | None:
        """The configuration error when orders were marked and no fault asked for fired on any, else None."""
        if self.log_error is not None or not self.checks:
            return None
        if any(check.logged_orders for check in self.checks) or not any(c.marked for c in self.checks):
            return None
        names = ", ".join(check.fault for check in self.checks)
        marked = max(check.marked for check in self.checks)
        return (
            f"the chain never fired {names}: {marked} orders carried the marker at {self.marker_path} "
            "in the request body (send.fault_marker_path) and the fault log names none of them; the chain "
            "reads its markers elsewhere (dynamodb-throttle, events-entry-failure: chainprobe fault set "
            "NAME --marker-path)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "marker_path": self.marker_path,
            "faults": [check.to_dict() for check in self.checks],
            "findings": self.findings(),
            "never_fired": self.never_fired(),
            "log_error": self.log_error,
        }


def summarize_faults(
    faults: Sequence[str],
    *,
    marked: Iterable[str],
    run_orders: Iterable[str],
    log: Iterable[FiredFault],
    marker_path: str,
) -> FaultSummary:
    """Per fault in ``faults``: ``marked`` (the ids of the sent orders that carried the markers) against
    the ``log`` entries naming the run's orders (``run_orders``); entries of other orders are ignored."""
    marked_ids = list(dict.fromkeys(marked))
    marked_set, run_set = set(marked_ids), set(run_orders)
    entries: Counter[tuple[str, str]] = Counter(
        (entry.fault, entry.order_id) for entry in log if entry.order_id in run_set and entry.order_id
    )
    asked = list(dict.fromkeys(faults))
    hits = {fault: {order_id for (name, order_id) in entries if name == fault} for fault in asked}
    checks = []
    for fault in asked:
        hit = hits[fault]
        unlogged = tuple(order_id for order_id in marked_ids if order_id not in hit)
        others = ((other, len(hits[other].intersection(unlogged))) for other in asked if other != fault)
        checks.append(
            FaultCheck(
                fault=fault,
                marked=len(marked_ids),
                logged_orders=len(hit & marked_set),
                log_entries=sum(
                    n for (name, order_id), n in entries.items() if name == fault and order_id in marked_set
                ),
                unlogged=unlogged,
                unmarked_hits=len(hit - marked_set),
                hit_by_others=tuple((other, count) for other, count in others if count),
            )
        )
    return FaultSummary(marker_path=marker_path, checks=tuple(checks))
