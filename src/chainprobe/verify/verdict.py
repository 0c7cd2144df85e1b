"""Judging one order from what each stage showed: the chain verdict and the delivery verdict.

A verdict is final only when the evidence can no longer change it: every verified stage succeeded or a
failing stage's deadline passed (deadlines count from the moment the order was sent, or was planned
when no send was recorded), and the settle windows of the "must not happen" checks have closed. Until
then it stays pending.

- Chain (the availability SLO): the API answer, then the DynamoDB item, then the captured event (good
  when it was delivered to the capture queue by its deadline, whenever the verifier received it).
- The instrument's own pace never fails an order: ``db_missing`` only after a table read that began at
  or after the item's deadline; ``event_missing`` (no event) only after a drain of the capture queue
  that began at or after the event's deadline (plus ``EVENT_RECEIVE_MARGIN_S``) and emptied it;
  ``courier_missing`` and ``courier_failed`` only after a journal read that began at or after the
  delivery deadline (plus ``JOURNAL_MARGIN_S``) and covered the order. A verifier that falls behind
  leaves orders pending, never bad.
- Not sent: an order with no ``sent_at``, no API outcome and no trace downstream once its API deadline
  passed never left the harness (the run was killed between planning and sending it): ``not_sent``,
  in no SLI. With ``sent_at`` recorded and nothing else it is ``api_timeout``: the user got no answer.
- Delivery (the courier's own SLO): judged only for orders the chain completed, so one failure is
  never counted twice; a chain-bad or never-sent order gets no delivery verdict, except an order the
  API rejected that the courier was called for anyway (``courier_unexpected``).
- Settle windows (``ProbeSpec.settle_windows``, seconds from the send): a good-looking verdict stays
  provisional (pending, its timeline complete) until a read that began after the window (and its
  margin) has shown no violation (an emptying drain of the capture queue, a journal read): a second
  distinct event within the event's window is ``event_duplicate``; a courier call after the successful
  one within the courier's window is ``courier_duplicate``. An order the API rejected stays pending
  for the courier's window too: a call for it within the window is ``courier_unexpected``. What comes
  after a window never counts, so nothing flips once final. A window of 0 waits for nothing: only
  what was seen when the stage's timeline completed counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from chainprobe.ledger.model import FailureClass, OrderOutcome, OrderRecord, Verdict
from chainprobe.spec.checks import failed_checks
from chainprobe.spec.model import ApiSpec, ProbeSpec, SettleWindows
from chainprobe.spec.template import Scalar
from chainprobe.spec.variables import order_variables
from chainprobe.verify.answer_text import answer_excerpt, secret_values
from chainprobe.verify.courier import CourierCall

# An event delivered by its deadline may be invisible in the capture queue a little longer: another
# harness that received it first releases it (``verify.capture.RELEASE_SECONDS``). "Missing" waits for
# an emptying drain that began this long past the deadline; whether the event was on time is judged by
# its delivery. A settle window waits as long past its end before a good event verdict is final.
EVENT_RECEIVE_MARGIN_S = 2.0
# A call the courier logged by a window's end is in every journal read that began this much later.
JOURNAL_MARGIN_S = 1.0


@dataclass
class Evidence:
    """What the verifiers have seen of one order so far."""

    item: dict[str, object] | None = None
    item_problems: list[str] = field(default_factory=list)
    event_times: list[float] = field(default_factory=list)  # when each captured event was delivered
    courier_calls: list[CourierCall] = field(default_factory=list)
    courier_read_at: float | None = None  # when the latest journal read that covered the order began
    item_read_at: float | None = None  # when the latest table read that looked for the item began
    events_drained_at: float | None = None  # when the latest drain that emptied the capture queue began


@dataclass(frozen=True)
class StageFailure:
    """A failed stage; ``rejected``: the API answered, and its answer is bad (no delivery may follow)."""

    failure: FailureClass
    details: str
    rejected: bool = False


@dataclass(frozen=True)
class Settling:
    """Good so far, held by a settle window: final once ``until`` (epoch seconds) has passed unharmed."""

    until: float


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

    def __init__(self, spec: ProbeSpec, endpoints: dict[str, Scalar], *, settle: bool = True) -> None:
        """``settle`` false judges as if every settle window were 0 (when a verdict could be final)."""
        self.spec = spec
        self.endpoints = endpoints
        self.not_before = 0.0  # no stage is judged missing before this time (epoch seconds)
        windows = spec.settle_windows()
        self.windows = windows if settle else SettleWindows(event=0.0, courier=0.0)

    def variables(self, record: OrderRecord) -> dict[str, Scalar]:
        return order_variables(self.endpoints, run_id=record.run_id, seq=record.seq, order_id=record.order_id)

    def overdue(self, record: OrderRecord, stage: str, now: float, *, margin: float = 0.0) -> bool:
        due = sent_time(record) + self.spec.deadlines.for_stage(stage) + margin
        return now >= max(self.not_before, due)

    @staticmethod
    def window_end(record: OrderRecord, seconds: float, now: float) -> float:
        """When a settle window of ``seconds`` closes: that long after the send; ``now`` for 0."""
        return sent_time(record) + seconds if seconds > 0 else now

    def chain(self, record: OrderRecord, evidence: Evidence, now: float) -> StageFailure | Verdict | Settling:
        """A failure, or ``good`` (every stage succeeded), ``Settling`` (good so far, held by the event's
        settle window), ``not_sent`` or ``pending`` (undecided)."""
        if record.api_failure is not None:
            return StageFailure(record.api_failure, "no HTTP answer")
        if record.api_status is not None:
            failure = judge_api(
                self.spec.api, record.api_status, parse_body(record.api_body), self.variables(record)
            )
            if failure is not None:
                return StageFailure(failure.failure, failure.details, rejected=True)
        elif not self.overdue(record, "api", now):
            return Verdict.PENDING
        elif not traced_downstream(record, evidence):
            if record.sent_at is None:
                return Verdict.NOT_SENT
            return StageFailure(FailureClass.API_TIMEOUT, "no answer recorded and no trace downstream")
        undecided = False
        item_unproven = evidence.item is None or bool(evidence.item_problems)
        if self.spec.dynamodb is not None and record.dynamodb_at is None and item_unproven:
            # Missing only if a read that began at or after the deadline found none: an item written
            # after the pass's read began, but by the deadline, is not missing because the judging is later.
            looked = now if evidence.item_read_at is None else min(now, evidence.item_read_at)
            if not self.overdue(record, "dynamodb", looked):
                undecided = True
            elif evidence.item is None:
                return StageFailure(FailureClass.DB_MISSING, "no item by the deadline")
            else:
                return StageFailure(FailureClass.DB_MISMATCH, "; ".join(evidence.item_problems))
        event = self._event(record, evidence, now) if self.spec.event is not None else None
        if isinstance(event, StageFailure):
            return event
        if undecided or event is Verdict.PENDING:
            return Verdict.PENDING
        return event if isinstance(event, Settling) else Verdict.GOOD

    def _event(
        self, record: OrderRecord, evidence: Evidence, now: float
    ) -> StageFailure | Verdict | Settling | None:
        """None when one event was delivered by the deadline and the settle window has closed; else the
        failure, ``Settling`` (good so far) or pending."""
        # The ledger remembers the first event an earlier (perhaps killed) verifier saw; this one may see
        # it again (a message not deleted before the kill), or only a later one.
        first = record.event_at
        remembered = [first] if first is not None and first not in evidence.event_times else []
        delivered = sorted([*evidence.event_times, *remembered])
        window = self.windows.event or 0.0
        end = self.window_end(record, window, now)
        within = [at for at in delivered if at <= end]
        if len(within) > 1:
            second = within[1] - sent_time(record)
            return StageFailure(
                FailureClass.EVENT_DUPLICATE,
                f"{len(within)} events captured, the second {second:.1f} s after the send",
            )
        due = sent_time(record) + self.spec.deadlines.event
        # What the queue held when the latest emptying drain began has been received; nothing later is known.
        drained = None if evidence.events_drained_at is None else min(now, evidence.events_drained_at)
        if delivered and delivered[0] <= due:
            until = max(self.not_before, end + EVENT_RECEIVE_MARGIN_S)
            return Settling(until) if window > 0 and (drained is None or drained < until) else None
        if delivered:
            late = delivered[0] - due
            return StageFailure(FailureClass.EVENT_MISSING, f"the event came {late:.1f} s after the deadline")
        if drained is None or not self.overdue(record, "event", drained, margin=EVENT_RECEIVE_MARGIN_S):
            return Verdict.PENDING
        return StageFailure(FailureClass.EVENT_MISSING, "no event captured by the deadline")

    def delivery(
        self, record: OrderRecord, evidence: Evidence, now: float
    ) -> StageFailure | Verdict | Settling:
        """A failure, ``good``, ``Settling`` or ``pending``; only calls logged by the deadline deliver."""
        courier = self.spec.courier
        if courier is None:
            raise ValueError("the spec verifies no courier call")
        due = sent_time(record) + self.spec.delivery_deadline()
        calls = [c for c in evidence.courier_calls if c.at <= due]
        delivered = [c.at for c in calls if c.succeeded(courier.expected_status, courier.client_timeout_ms)]
        if record.courier_at is not None and record.courier_at <= due:
            delivered.append(record.courier_at)
        if delivered:
            return self._settled_delivery(record, evidence, min(delivered), now)
        read = evidence.courier_read_at
        if read is None or min(now, read) < due + JOURNAL_MARGIN_S:
            return Verdict.PENDING  # a call logged by the deadline may not be in the reads so far
        if calls:
            answers = ", ".join(f"{c.status} after {c.response_ms:.0f} ms" for c in calls)
            return StageFailure(FailureClass.COURIER_FAILED, f"courier answered {answers}")
        return StageFailure(FailureClass.COURIER_MISSING, "the courier was not called by the deadline")

    def _settled_delivery(
        self, record: OrderRecord, evidence: Evidence, delivered_at: float, now: float
    ) -> StageFailure | Verdict | Settling:
        """A delivery at ``delivered_at``: ``courier_duplicate`` when the courier was called again within
        the settle window, ``Settling`` until a journal read has covered the window, then good."""
        window = self.windows.courier or 0.0
        end = self.window_end(record, window, now)
        again = [c for c in evidence.courier_calls if delivered_at < c.at <= end]
        if again:
            first = again[0].at - sent_time(record)
            return StageFailure(
                FailureClass.COURIER_DUPLICATE,
                f"the courier was called {len(again)} more time(s) after the delivery, first {first:.1f} s"
                " after the send",
            )
        return self._settling_courier(evidence, window, end) or Verdict.GOOD

    def unexpected_delivery(
        self, record: OrderRecord, evidence: Evidence, now: float
    ) -> StageFailure | Settling | None:
        """For an order the API rejected: ``courier_unexpected`` when the courier was called for it within
        the settle window, ``Settling`` until a journal read has covered the window, then None."""
        if self.spec.courier is None:
            return None
        window = self.windows.courier or 0.0
        end = self.window_end(record, window, now)
        calls = [c for c in evidence.courier_calls if c.at <= end]
        if calls:
            first = calls[0].at - sent_time(record)
            return StageFailure(
                FailureClass.COURIER_UNEXPECTED,
                f"yet the courier was called {len(calls)} time(s), first {first:.1f} s after the send",
            )
        return self._settling_courier(evidence, window, end)

    @staticmethod
    def _settling_courier(evidence: Evidence, window: float, end: float) -> Settling | None:
        until = end + JOURNAL_MARGIN_S
        read = evidence.courier_read_at
        return Settling(until) if window > 0 and (read is None or read < until) else None

    def judge(self, record: OrderRecord, evidence: Evidence, now: float) -> OrderOutcome | None:
        """The outcome to record now, or None when nothing changed.

        The delivery verdict becomes ``pending`` in the same outcome that makes the chain good (when the
        spec verifies the courier), so a good order is never left without one; other orders get none,
        but for a rejected order the courier was called for (``courier_unexpected``).
        """
        chain_verdict, chain_failure, details = record.chain_verdict, record.chain_failure, record.details
        delivery_verdict, delivery_failure = record.delivery_verdict, record.delivery_failure
        if chain_verdict is Verdict.PENDING:
            chain = self.chain(record, evidence, now)
            if isinstance(chain, StageFailure):
                chain_verdict, chain_failure, details = Verdict.BAD, chain.failure, chain.details
                if chain.rejected:
                    unexpected = self.unexpected_delivery(record, evidence, now)
                    if isinstance(unexpected, Settling):
                        return None  # bad, but not final: a delivery may still come
                    if unexpected is not None:
                        delivery_verdict, delivery_failure = Verdict.BAD, unexpected.failure
                        details = f"{chain.details}, {unexpected.details}"
            elif isinstance(chain, Settling):
                chain_verdict = Verdict.PENDING
            else:
                chain_verdict = chain
        judge_delivery = chain_verdict is Verdict.GOOD and self.spec.courier is not None
        if judge_delivery and delivery_verdict in (None, Verdict.PENDING):
            delivery = self.delivery(record, evidence, now)
            if isinstance(delivery, StageFailure):
                delivery_verdict, delivery_failure = Verdict.BAD, delivery.failure
                details = delivery.details
            elif isinstance(delivery, Settling):
                delivery_verdict = Verdict.PENDING
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
