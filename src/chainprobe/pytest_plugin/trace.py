"""One probe order as a test sees it: its final verdicts, failure classes, stage timeline and details.

Example::

    trace = probe.order(amount=12.5)
    trace.assert_good()           # AssertionError naming the failing stage, its class and details
    assert trace.timeline.keys() >= {"sent", "api", "dynamodb", "event"}
    assert trace.delivery_verdict == "good"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.pytest_plugin.exceptions import ProbeError

FINAL = (Verdict.GOOD, Verdict.BAD)


class TraceNotFinalError(ProbeError):
    """The order has no final chain verdict (its run was stopped before it was judged)."""


@dataclass(frozen=True)
class Trace:
    """An order's final verdicts. ``verdict`` is the chain's (the availability SLO: ``good``/``bad``),
    ``delivery_verdict`` the courier's (``None`` when the spec verifies no delivery or the chain failed);
    ``timeline`` maps each stage seen (``sent``, ``api``, ``dynamodb``, ``event``, ``courier``) to when
    (epoch seconds), in chain order; ``details`` says why an order is bad."""

    order_id: str
    run_id: str
    verdict: str
    failure_class: str | None
    timeline: Mapping[str, float]
    delivery_verdict: str | None
    delivery_class: str | None
    details: str | None
    api_status: int | None
    faults: tuple[str, ...] = ()

    @classmethod
    def of(cls, record: OrderRecord, *, faults: tuple[str, ...] = ()) -> Trace:
        """The trace of a judged order; TraceNotFinalError when its chain verdict is not final."""
        if record.chain_verdict not in FINAL:
            raise TraceNotFinalError(
                f"order {record.order_id} of run {record.run_id} has no final verdict "
                f"({record.chain_verdict.value}): 'chainprobe verify --run {record.run_id}' finishes it"
            )
        delivery = record.delivery_verdict
        return cls(
            order_id=record.order_id,
            run_id=record.run_id,
            verdict=record.chain_verdict.value,
            failure_class=_value(record.chain_failure),
            timeline={stage.value: at for stage, at in record.timeline().items()},
            delivery_verdict=None if delivery is None else delivery.value,
            delivery_class=_value(record.delivery_failure),
            details=record.details,
            api_status=record.api_status,
            faults=faults,
        )

    @property
    def failing_stage(self) -> str | None:
        """The stage the chain failed at (``api`` for ``http_5xx``…); ``None`` for a good order."""
        return None if self.failure_class is None else FailureClass(self.failure_class).stage.value

    def elapsed_ms(self) -> dict[str, float]:
        """Each stage seen, in milliseconds after the order was sent."""
        sent = self.timeline.get("sent")
        if sent is None:
            return {}
        return {stage: round((at - sent) * 1000, 1) for stage, at in self.timeline.items()}

    def assert_good(self) -> None:
        """Passes when the chain verdict is good; else AssertionError naming the stage, class and details."""
        if self.verdict != Verdict.GOOD.value:
            raise AssertionError(self._failure(self.failure_class, self.details))

    def assert_delivered(self) -> None:
        """Passes when the chain and the courier delivery are good; else AssertionError (``assert_good``)."""
        self.assert_good()
        if self.delivery_verdict is None:
            raise AssertionError(f"order {self.order_id}: the spec verifies no courier delivery")
        if self.delivery_verdict != Verdict.GOOD.value:
            raise AssertionError(self._failure(self.delivery_class, self.details))

    def _failure(self, failure_class: str | None, details: str | None) -> str:
        stage = "?" if failure_class is None else FailureClass(failure_class).stage.value
        marked = f" (fault markers: {', '.join(self.faults)})" if self.faults else ""
        timeline = ", ".join(f"{name} +{ms:g} ms" for name, ms in self.elapsed_ms().items())
        return (
            f"order {self.order_id} failed at stage {stage}: {failure_class}: {details or 'no details'}"
            f"{marked}\n  timeline: {timeline or 'nothing seen'}"
            f"\n  drill down: chainprobe report --run {self.run_id}"
        )


def _value(failure: FailureClass | None) -> str | None:
    return None if failure is None else failure.value
