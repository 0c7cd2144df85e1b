"""The three-way reconciliation: per failure class, black box vs metric math vs logs (hand-counted)."""

from __future__ import annotations

from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.measure.log_reconcile import ClassSight, reconcile_logs
from chainprobe.measure.log_view import MilestoneHit, OrderMilestones
from chainprobe.spec.model import LogsSpec, Milestone

ORDERS, DELIVERY = "/aws/lambda/OrdersHandler", "/aws/lambda/DeliveryHandler"
SPEC = LogsSpec(
    log_groups=(ORDERS, DELIVERY),
    correlation_field="correlation_id",
    milestone_field="status",
    first_milestone=Milestone(name="START", log_group=ORDERS),
    last_milestone=Milestone(name="COMPLETED", log_group=DELIVERY),
    failure_milestone="FAILED",
)


def order(seq: int, verdict: Verdict, failure: FailureClass | None = None) -> OrderRecord:
    return OrderRecord(
        run_id="r", seq=seq, order_id=f"o-{seq}", planned_at=0.0, chain_verdict=verdict, chain_failure=failure
    )


def logged(order_id: str, *steps: tuple[str, str]) -> OrderMilestones:
    return OrderMilestones(
        order_id, tuple(MilestoneHit(name, group, float(i)) for i, (name, group) in enumerate(steps))
    )


DELIVERED = (("START", ORDERS), ("COMPLETED", ORDERS), ("START", DELIVERY), ("COMPLETED", DELIVERY))
NOT_PUBLISHED = (("START", ORDERS), ("COMPLETED", ORDERS))  # naive: a failed entry swallowed
FAILED = (("START", ORDERS), ("FAILED", ORDERS))


def test_naive_entry_failure_black_box_and_logs_see_it_metric_math_does_not() -> None:
    orders = [order(1, Verdict.GOOD), order(2, Verdict.BAD, FailureClass.EVENT_MISSING)]
    orders.append(order(3, Verdict.BAD, FailureClass.EVENT_MISSING))
    logs = {
        "o-1": logged("o-1", *DELIVERED),
        "o-2": logged("o-2", *NOT_PUBLISHED),
        "o-3": logged("o-3", *NOT_PUBLISHED),
    }
    result = reconcile_logs(SPEC, orders, logs, metric_math={FailureClass.EVENT_MISSING: 0})
    assert result.by_class == (ClassSight(FailureClass.EVENT_MISSING, 2, 0, 2),)
    assert result.by_class[0].seen_by == ("black_box", "logs")
    assert result.logs_only == ()


def test_lambda_exception_all_three_see_it() -> None:
    orders = [order(1, Verdict.BAD, FailureClass.HTTP_5XX)]
    result = reconcile_logs(
        SPEC, orders, {"o-1": logged("o-1", *FAILED)}, metric_math={FailureClass.HTTP_5XX: 1}
    )
    assert result.by_class[0].seen_by == ("black_box", "metric_math", "logs")


def test_an_order_absent_from_the_logs_is_not_seen_by_them() -> None:
    orders = [order(1, Verdict.BAD, FailureClass.CONNECTION_ERROR)]
    result = reconcile_logs(SPEC, orders, {})
    assert result.by_class == (ClassSight(FailureClass.CONNECTION_ERROR, 1, None, 0),)
    assert result.by_class[0].seen_by == ("black_box",)
    assert result.to_dict()["by_class"]["connection_error"] == {
        "black_box": 1,
        "metric_math": None,
        "logs": 0,
        "seen_by": ["black_box"],
    }


def test_a_good_order_whose_logs_show_a_failure_is_logs_only() -> None:
    orders = [order(1, Verdict.GOOD), order(2, Verdict.GOOD)]
    logs = {"o-1": logged("o-1", *DELIVERED), "o-2": logged("o-2", *DELIVERED, ("FAILED", DELIVERY))}
    result = reconcile_logs(SPEC, orders, logs)
    assert (result.by_class, result.logs_only) == ((), ("o-2",))
