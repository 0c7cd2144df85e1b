"""A run's verification loop under the run lifecycle (``chainprobe.run_lifecycle``).

``verify_run`` runs the verifier's passes while orders are sent and until every verdict is final, as
``RunVerifier.verify`` does, and also:

- a pass that fails (an AWS endpoint down, the ledger locked) stops the run with its cause instead of
  ending the process: no more orders leave, and the passes go on, retried, within the grace period;
- once the run is stopped and the sending is over, the passes go on at most ``grace_s`` seconds;
- the courier journal is watched (``WatchedJournal``): while it cannot be read, delivery verdicts are
  held pending (``HeldDeliveryJudge``) — never judged missing for want of a journal — the chain verdicts
  go on, and the run is stopped as an infrastructure failure;
- when a stopped run's time is up, orders whose API outcome is final and bad by itself (a transport
  failure, a 5xx, a 4xx, a failed check) are judged bad with their class (``judge_api_outcomes``); the
  others stay pending, for ``chainprobe verify --run`` to finish.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chainprobe.ledger.model import OrderOutcome, OrderRecord, Verdict
from chainprobe.run_lifecycle import RunControl, RunStop, StopCause, stop_for
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import Scalar
from chainprobe.verify.courier import CourierCall, CourierJournal, CourierJournalError
from chainprobe.verify.run_verifier import RunVerifier
from chainprobe.verify.verdict import Evidence, OrderJudge, Settling, StageFailure, judge_api, parse_body

__all__ = ["HeldDeliveryJudge", "WatchedJournal", "judge_api_outcomes", "verify_run"]

Progress = Callable[[int, int], None]


class WatchedJournal:
    """A courier journal that remembers its last failure instead of raising it: ``failure`` is the
    error of the last read (``None`` after a read that worked); a failed read returns no calls."""

    def __init__(self, journal: CourierJournal) -> None:
        self.journal = journal
        self.failure: CourierJournalError | None = None

    def calls_since(self, since: float, order_ids: set[str]) -> dict[str, list[CourierCall]]:
        try:
            calls = self.journal.calls_since(since, order_ids)
        except CourierJournalError as error:
            self.failure = error
            return {}
        self.failure = None
        return calls

    def close(self) -> None:
        self.journal.close()


class HeldDeliveryJudge(OrderJudge):
    """The verifier's judge, but a delivery verdict stays pending while the journal cannot be read."""

    def __init__(self, spec: ProbeSpec, endpoints: dict[str, Scalar], journal: WatchedJournal) -> None:
        super().__init__(spec, endpoints)
        self.journal = journal

    @classmethod
    def holding(cls, judge: OrderJudge, journal: WatchedJournal) -> HeldDeliveryJudge:
        """``judge`` as it is (its spec, endpoints, ``not_before`` and whatever else it holds), with
        its deliveries held while ``journal`` cannot be read."""
        held = cls.__new__(cls)
        held.__dict__.update(vars(judge))
        held.journal = journal
        return held

    def delivery(
        self, record: OrderRecord, evidence: Evidence, now: float
    ) -> StageFailure | Verdict | Settling:
        if self.journal.failure is not None:
            return Verdict.PENDING
        return super().delivery(record, evidence, now)


def watch_courier(verifier: RunVerifier) -> WatchedJournal | None:
    """Puts a ``WatchedJournal`` and a ``HeldDeliveryJudge`` into the verifier (before ``prepare``)."""
    if verifier.courier is None:
        return None
    watched = WatchedJournal(verifier.courier)
    verifier.courier = watched  # type: ignore[assignment]
    verifier.judge = HeldDeliveryJudge.holding(verifier.judge, watched)
    return watched


def verify_run(
    verifier: RunVerifier,
    run_id: str,
    control: RunControl,
    *,
    grace_s: float,
    progress: Progress | None = None,
    sending: Callable[[], bool] = lambda: False,
) -> None:
    """Verifies until every verdict of the run is final and nothing is sent any more; once ``control``
    is stopped and the sending is over, for at most ``grace_s`` more seconds. Never raises for a failed
    pass: its cause stops the run (the first cause recorded is kept)."""
    journal = verifier.courier if isinstance(verifier.courier, WatchedJournal) else None
    grace_ends: float | None = None
    while True:
        still_sending = sending()
        if control.stopped and not still_sending and grace_ends is None:
            grace_ends = time.monotonic() + grace_s
        pending = _pass(verifier, run_id, control, progress)
        if journal is not None and journal.failure is not None:
            control.stop(RunStop(StopCause.INFRASTRUCTURE, str(journal.failure)))
        if not still_sending:
            if pending == []:
                return
            held = journal is not None and journal.failure is not None
            if held and pending is not None and all(o.chain_verdict is not Verdict.PENDING for o in pending):
                return  # only deliveries left, and no journal to judge them by
            if grace_ends is not None and time.monotonic() >= grace_ends:
                return
        time.sleep(verifier.poll_interval)


def _pass(
    verifier: RunVerifier, run_id: str, control: RunControl, progress: Progress | None
) -> list[OrderRecord] | None:
    """One verification pass; the orders still pending after it (``None`` when a pass failed)."""
    try:
        if verifier.capture is not None and verifier.capture.queue_url is None:
            verifier.prepare()  # a finishing verifier's first pass (or a retry of a failed prepare)
        pending = verifier.ledger.pending_orders(run_id)
        if pending:
            verifier.verify_pass(run_id, pending)
        still = verifier.ledger.pending_orders(run_id)
        if progress is not None:
            total = len(verifier.ledger.orders(run_id))
            progress(total - len(still), total)
        return still
    except Exception as error:  # whatever stops a pass stops the run; the cause says what it was
        control.stop(stop_for(error))
        return None


def judge_api_outcomes(verifier: RunVerifier, run_id: str) -> int:
    """Judges bad the pending orders whose API outcome alone makes them bad (a transport failure, a
    status or body the spec rejects); returns how many. Never raises: the ledger may be what failed."""
    outcomes = []
    try:
        for record in verifier.ledger.pending_orders(run_id):
            if record.chain_verdict is not Verdict.PENDING:
                continue
            failure = api_failure(verifier.judge, record)
            if failure is not None:
                outcomes.append(
                    OrderOutcome(
                        seq=record.seq,
                        chain_verdict=Verdict.BAD,
                        chain_failure=failure.failure,
                        details=failure.details,
                    )
                )
        if outcomes:
            verifier.ledger.record_outcomes(run_id, outcomes)
    except Exception:  # the report shows these orders pending, which is the truth as recorded
        return 0
    return len(outcomes)


def api_failure(judge: OrderJudge, record: OrderRecord) -> StageFailure | None:
    """The failure the API outcome alone proves, or ``None`` (no outcome yet, or a good answer)."""
    if record.api_failure is not None:
        return StageFailure(record.api_failure, "no HTTP answer")
    if record.api_status is None:
        return None
    return judge_api(judge.spec.api, record.api_status, parse_body(record.api_body), judge.variables(record))
