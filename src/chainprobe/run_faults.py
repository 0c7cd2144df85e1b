"""A canary's faults against the local stack's fault log: the composition of the fault plan (drive), the
run's orders (ledger) and the registry's log (stacks) into the pure ``measure.fault_log`` summary.

Example::

    summary = read_fault_summary(plan, orders, aws_endpoint_url=url, marker_path="chaos", since=started)
"""

from __future__ import annotations

from collections.abc import Sequence

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import OrderRecord
from chainprobe.measure.fault_log import FaultSummary, summarize_faults
from chainprobe.stacks.exceptions import StackError
from chainprobe.stacks.local.faults import FaultRegistryClient


def read_fault_summary(
    plan: FaultPlan | None,
    orders: Sequence[OrderRecord],
    *,
    aws_endpoint_url: str | None,
    marker_path: str,
    since: float,
) -> FaultSummary | None:
    """The summary of a run that asked for faults (None when it asked for none), read from the fault
    log of the local stack at ``aws_endpoint_url`` (entries at or after ``since``). An unreadable log
    is ``log_error``, never an exception: the run's verdicts stand without it."""
    if plan is None or not plan.faults:
        return None
    sent = [order for order in orders if order.sent_at is not None]
    marked = [order.order_id for order in sent if plan.for_seq(order.seq)]
    run_orders = [order.order_id for order in orders]
    if not aws_endpoint_url:
        return FaultSummary(marker_path, log_error="the target has no local stack, so no fault log")
    try:
        log = FaultRegistryClient.for_endpoint(aws_endpoint_url).log(since=since)
    except (StackError, ValueError) as e:
        return FaultSummary(marker_path, log_error=str(e))
    return summarize_faults(
        plan.faults, marked=marked, run_orders=run_orders, log=log, marker_path=marker_path
    )
