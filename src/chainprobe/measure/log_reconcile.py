"""The three-way reconciliation: per failure class, whether the black box, the metric math and the logs
saw it, with counts. Pure: the run's orders, what the logs said of them (``log_view``) and the metric
math's failures per class (``reconcile``'s ``ClassGap.metric_math``; ``None`` when it was not read).

The black box counts the orders it judged bad for the class (chain verdict, else delivery verdict); the
logs count those of them whose logs show a failure — the failure milestone logged, or the first
milestone reached and the last never after it. An order absent from the logs altogether (the function
never ran) is not seen by the logs. ``logs_only`` lists orders the black box judged good whose logs
show a failure. Example::

    sight = reconcile_logs(spec, orders, reading.orders, metric_math={FailureClass.EVENT_MISSING: 0})
    sight.by_class[0].seen_by  # ('black_box', 'logs')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.measure.log_view import OrderMilestones
from chainprobe.spec.model import LogsSpec

__all__ = ["ClassSight", "LogReconciliation", "logs_show_failure", "reconcile_logs"]


@dataclass(frozen=True)
class ClassSight:
    failure: FailureClass
    black_box: int
    metric_math: int | None
    logs: int

    @property
    def seen_by(self) -> tuple[str, ...]:
        views = (("black_box", self.black_box), ("metric_math", self.metric_math or 0), ("logs", self.logs))
        return tuple(name for name, count in views if count > 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "black_box": self.black_box,
            "metric_math": self.metric_math,
            "logs": self.logs,
            "seen_by": list(self.seen_by),
        }


@dataclass(frozen=True)
class LogReconciliation:
    by_class: tuple[ClassSight, ...]
    logs_only: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "by_class": {sight.failure.value: sight.to_dict() for sight in self.by_class},
            "logs_only": {"orders": len(self.logs_only), "order_ids": list(self.logs_only[:20])},
        }


def logs_show_failure(spec: LogsSpec, logged: OrderMilestones | None) -> bool:
    if logged is None:
        return False
    if logged.failed(spec.failure_milestone):
        return True
    first = logged.first_at(spec.first_milestone)
    return first is not None and logged.first_at(spec.last_milestone, after=first) is None


def reconcile_logs(
    spec: LogsSpec,
    orders: Sequence[OrderRecord],
    logged: Mapping[str, OrderMilestones],
    *,
    metric_math: Mapping[FailureClass, int] | None = None,
) -> LogReconciliation:
    black_box: dict[FailureClass, int] = {}
    logs: dict[FailureClass, int] = {}
    logs_only: list[str] = []
    for order in orders:
        failure = _failure(order)
        seen = logs_show_failure(spec, logged.get(order.order_id))
        if failure is None:
            if seen and order.chain_verdict is Verdict.GOOD:
                logs_only.append(order.order_id)
            continue
        black_box[failure] = black_box.get(failure, 0) + 1
        logs[failure] = logs.get(failure, 0) + int(seen)
    sights = tuple(
        ClassSight(
            failure,
            count,
            None if metric_math is None else metric_math.get(failure, 0),
            logs.get(failure, 0),
        )
        for failure, count in sorted(black_box.items(), key=lambda item: item[0].value)
    )
    return LogReconciliation(sights, tuple(logs_only))


def _failure(order: OrderRecord) -> FailureClass | None:
    if order.chain_verdict is Verdict.BAD:
        return order.chain_failure
    if order.delivery_verdict is Verdict.BAD:
        return order.delivery_failure
    return None
