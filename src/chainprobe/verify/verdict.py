"""Judging one order from what each stage showed: the chain verdict and the delivery verdict.

A verdict is final only when every verified stage succeeded or a failing stage's deadline passed
(deadlines count from the moment the order was sent, or was planned when no send was recorded). Until
then it stays pending.

- Chain (the availability SLO): the API answer, then the DynamoDB item, then the captured event (good
  when it was delivered to the capture queue by its deadline, whenever the verifier received it).
- Not sent: an order with no ``sent_at``, no API outcome and no trace downstream once its API deadline
  passed never left the harness (the run was killed between planning and sending it): ``not_sent``,
  in no SLI. With ``sent_at`` recorded and nothing else it is ``api_timeout``: the user got no answer.
- Delivery (the courier's own SLO): judged only for orders the chain completed, so one failure is
  never counted twice; a chain-bad or never-sent order gets no delivery verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from chainprobe.ledger.model import FailureClass, OrderOutcome, OrderRecord, Verdict
from chainprobe.spec.checks import failed_checks
from chainprobe.spec.model import ApiSpec, ProbeSpec
from chainprobe.spec.template import Scalar
from chainprobe.spec.variables import order_variables
from chainprobe.verify.answer_text import answer_excerpt, secret_values
from chainprobe.verify.courier import CourierCall

# An event delivered by its deadline may reach this harness a little later: the next verification
# pass, or another harness that received it first releasing it (``verify.capture.RELEASE_SECONDS``).
# "Missing" waits this long past the deadline; whether the event was on time is judged by its delivery.
EVENT_RECEIVE_MARGIN_S = 2.0


@dataclass
class Evidence:
    """What the verifiers have seen of one order so far."""

    item: dict[str, object] | None = None
    item_problems: list[str] = field(default_factory=list)
    event_times: list[float] = field(default_factory=list)  # when each captured event was delivered
    courier_calls: list[CourierCall] = field(default_factory=list)


@dataclass(frozen=True)
class StageFailure:
    failure: FailureClass
    details: str


def judge_api(api: ApiSpec, status: int, body: object, variables: dict[str, Scalar]) -> StageFailure | None:
    """None when the answer is good; otherwise the class and why, with what the body said (bounded,
    secrets redacted: ``verify.answer_text``)."""
    if status >= 500:
        failure, why = FailureClass.HTTP_5XX, f"API answered {status}"
    elif 400 <= status < 500:
        failure, why = FailureClass.HTTP_4XX, f"API answered {status}"
    elif status not in api.expected_status:
        expected = " or ".join(str(code) for code in api.expected_status)
        failure, why = FailureClass.HTTP_2XX_ERROR_BODY, f"API answered {status}, expected {expected}"
    elif problems := failed_checks(api.checks, body, variables):
        failure, why = FailureClass.HTTP_2XX_ERROR_BODY, "; ".join(problems)
    else:
        return None
    said = answer_excerpt(body, secrets=secret_values(variables))
    return StageFailure(failure, why if said is None else f"{why}; the body: {said}")


def sent_time(record: OrderRecord) -> float:
    return record.sent_at if record.sent_at is not None else record.planned_at


class OrderJudge:
    """Turns an order's record and evidence into an outcome, or None while it must wait."""

    def __init__(self, spec: ProbeSpec, endpoints: dict[str, Scalar]) -> None:
        self.spec = spec
        self.endpoints = endpoints
        self.not_before = 0.0  # no stage is judged missing before this time (epoch seconds)

    def variables(self, record: OrderRecord) -> dict[str, Scalar]:
        return order_variables(self.endpoints, run_id=record.run_id, seq=record.seq, order_id=record.order_id)

    def overdue(self, record: OrderRecord, stage: str, now: float, *, margin: float = 0.0) -> bool:
        due = sent_time(record) + self.spec.deadlines.for_stage(stage) + margin
        return now >= max(self.not_before, due)

    def chain(self, record: OrderRecord, evidence: Evidence, now: float) -> StageFailure | Verdict:
        """A failure, or ``good`` (every stage succeeded), ``not_sent`` or ``pending`` (undecided)."""
        if record.api_failure is not None:
            return StageFailure(record.api_failure, "no HTTP answer")
        if record.api_status is not None:
            failure = judge_api(
                self.spec.api, record.api_status, parse_body(record.api_body), self.variables(record)
            )
            if failure is not None:
                return failure
        elif not self.overdue(record, "api", now):
            return Verdict.PENDING
        elif not traced_downstream(record, evidence):
            if record.sent_at is None:
                return Verdict.NOT_SENT
            return StageFailure(FailureClass.API_TIMEOUT, "no answer recorded and no trace downstream")
        undecided = False
        item_unproven = evidence.item is None or bool(evidence.item_problems)
        if self.spec.dynamodb is not None and record.dynamodb_at is None and item_unproven:
            if not self.overdue(record, "dynamodb", now):
                undecided = True
            elif evidence.item is None:
                return StageFailure(FailureClass.DB_MISSING, "no item by the deadline")
            else:
                return StageFailure(FailureClass.DB_MISMATCH, "; ".join(evidence.item_problems))
        if self.spec.event is not None and (event := self._event(record, evidence, now)) is not None:
            return event
        return Verdict.PENDING if undecided else Verdict.GOOD

    def _event(self, record: OrderRecord, evidence: Evidence, now: float) -> StageFailure | Verdict | None:
        """None when one event was delivered by the deadline; else the failure, or pending."""
        # The ledger remembers an event seen by an earlier (perhaps killed) verifier.
        remembered = [record.event_at] if record.event_at is not None else []
        delivered = evidence.event_times or remembered
        if len(delivered) > 1:
            return StageFailure(FailureClass.EVENT_DUPLICATE, f"{len(delivered)} events captured")
        due = sent_time(record) + self.spec.deadlines.event
        if delivered and delivered[0] <= due:
            return None
        if delivered:
            late = delivered[0] - due
            return StageFailure(FailureClass.EVENT_MISSING, f"the event came {late:.1f} s after the deadline")
        if not self.overdue(record, "event", now, margin=EVENT_RECEIVE_MARGIN_S):
            return Verdict.PENDING
        return StageFailure(FailureClass.EVENT_MISSING, "no event captured by the deadline")

    def delivery(self, record: OrderRecord, evidence: Evidence, now: float) -> StageFailure | Verdict:
        """A failure, ``good`` or ``pending``; only calls the courier logged by the deadline count."""
        courier = self.spec.courier
        if courier is None:
            raise ValueError("the spec verifies no courier call")
        objective = self.spec.slo.delivery if self.spec.slo is not None else None
        deadline = objective.deadline_seconds if objective is not None else None
        due = sent_time(record) + (deadline if deadline is not None else self.spec.deadlines.courier)
        calls = [c for c in evidence.courier_calls if c.at <= due]
        delivered_before = record.courier_at is not None and record.courier_at <= due
        if delivered_before or any(
            c.succeeded(courier.expected_status, courier.client_timeout_ms) for c in calls
        ):
            return Verdict.GOOD
        if now < due:
            return Verdict.PENDING
        if calls:
            answers = ", ".join(f"{c.status} after {c.response_ms:.0f} ms" for c in calls)
            return StageFailure(FailureClass.COURIER_FAILED, f"courier answered {answers}")
        return StageFailure(FailureClass.COURIER_MISSING, "the courier was not called by the deadline")

    def judge(self, record: OrderRecord, evidence: Evidence, now: float) -> OrderOutcome | None:
        """The outcome to record now, or None when nothing changed.

        The delivery verdict becomes ``pending`` in the same outcome that makes the chain good (when the
        spec verifies the courier), so a good order is never left without one; other orders get none.
        """
        chain_verdict, chain_failure, details = record.chain_verdict, record.chain_failure, record.details
        if chain_verdict is Verdict.PENDING:
            chain = self.chain(record, evidence, now)
            if isinstance(chain, StageFailure):
                chain_verdict, chain_failure, details = Verdict.BAD, chain.failure, chain.details
            else:
                chain_verdict = chain
        delivery_verdict, delivery_failure = record.delivery_verdict, record.delivery_failure
        judge_delivery = chain_verdict is Verdict.GOOD and self.spec.courier is not None
        if judge_delivery and delivery_verdict in (None, Verdict.PENDING):
            delivery = self.delivery(record, evidence, now)
            if isinstance(delivery, StageFailure):
                delivery_verdict, delivery_failure = Verdict.BAD, delivery.failure
                details = delivery.details
            else:
                delivery_verdict = delivery
        changed = (chain_verdict, delivery_verdict) != (record.chain_verdict, record.delivery_verdict)
        if not changed:
            return None
        return OrderOutcome(
            seq=record.seq,
            chain_verdict=chain_verdict,
            chain_failure=chain_failure,
            delivery_verdict=delivery_verdict,
            delivery_failure=delivery_failure,
            details=details,
        )


def traced_downstream(record: OrderRecord, evidence: Evidence) -> bool:
    """Whether any stage after the API saw the order (now, or recorded by an earlier verifier)."""
    observed = (record.dynamodb_at, record.event_at, record.courier_at)
    seen = evidence.item is not None or bool(evidence.event_times) or bool(evidence.courier_calls)
    return seen or any(at is not None for at in observed)


def parse_body(body: str | None) -> object:
    try:
        return json.loads(body or "")
    except ValueError:
        return body
