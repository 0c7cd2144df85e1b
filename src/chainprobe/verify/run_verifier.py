"""Verifies a run's orders until every verdict is final: the stage verifiers, batched, in passes.

Each pass reads the pending orders from the ledger, then asks each stage at once for all of them:
one BatchGetItem per 100 items, the capture queue drained 10 messages at a time with long polling,
one courier journal query. What a stage shows is recorded in the ledger as it is seen (so a killed
verifier loses nothing), then every order is judged. An order held by a settle window stays pending,
so the passes keep reading the capture queue and the journal for it until the window has closed
(``verify.verdict``); ``settle`` records how long verdicts waited. Events of other runs found in the queue are
recorded against their own run when the ledger knows it; an event no order in this ledger sent is
counted as foreign and released for the harness that sent it (see ``verify.capture``).

The same verifier finishes a killed run: ``chainprobe verify --run ID``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from chainprobe.ledger.model import Observation, OrderOutcome, OrderRecord, Stage, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.spec.checks import failed_checks
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.paths import MISSING
from chainprobe.spec.template import Scalar, render
from chainprobe.stacks.clients import AwsClients
from chainprobe.verify.capture import VISIBILITY_SECONDS, CapturedEvent, CaptureRule
from chainprobe.verify.cleanup import ItemCleanup
from chainprobe.verify.courier import CourierJournal
from chainprobe.verify.settle import SettleTally
from chainprobe.verify.table import TableReader, key_id
from chainprobe.verify.tally import CaptureTally
from chainprobe.verify.verdict import Evidence, OrderJudge, sent_time

Progress = Callable[[int, int], None]


class RunVerifier:
    """Verifies one spec's stages against one target; ``verify(run_id)`` returns when all is final."""

    def __init__(
        self,
        *,
        spec: ProbeSpec,
        endpoints: dict[str, Scalar],
        clients: AwsClients,
        ledger: Ledger,
        poll_interval: float = 0.5,
    ) -> None:
        self.spec = spec
        self.endpoints = endpoints
        self.ledger = ledger
        self.judge = OrderJudge(spec, endpoints)
        self.unsettled = OrderJudge(spec, endpoints, settle=False)  # when a verdict could be final
        self.settle = SettleTally(windows=spec.settle_windows())
        self.poll_interval = poll_interval
        self.evidence: dict[str, Evidence] = defaultdict(Evidence)
        self.seen_messages: set[str] = set()
        self.tally = CaptureTally()
        self.capture = self._capture_rule(clients)
        self.table = self._table_reader(clients)
        self.courier = self._courier_journal()

    def _capture_rule(self, clients: AwsClients) -> CaptureRule | None:
        if self.spec.event is None:
            return None
        bus = render(self.spec.event.bus, self.endpoints, field="event.bus")
        return CaptureRule(clients, bus=bus, pattern=self.spec.event.capture_pattern())

    def _table_reader(self, clients: AwsClients) -> TableReader | None:
        if self.spec.dynamodb is None:
            return None
        table = render(self.spec.dynamodb.table, self.endpoints, field="dynamodb.table")
        return TableReader(clients, table=table, consistent_read=self.spec.dynamodb.consistent_read)

    def _courier_journal(self) -> CourierJournal | None:
        courier = self.spec.courier
        if courier is None:
            return None
        return CourierJournal(
            admin_url=render(courier.admin_url, self.endpoints, field="courier.admin_url"),
            method=courier.method,
            url_path=courier.url_path,
            order_id_path=courier.order_id_json_path,
        )

    def prepare(self) -> None:
        """Makes sure the capture rule exists; call before the first order is sent.

        No event is judged missing before messages that an earlier, killed verifier had received (and
        not deleted) are visible again. The rule is ensured once per verifier (``verify`` prepares too).
        """
        if self.capture is not None and self.capture.queue_url is None:
            self.capture.ensure()
        self.judge.not_before = time.time() + VISIBILITY_SECONDS + 1
        self.unsettled.not_before = self.judge.not_before

    # -- the loop --------------------------------------------------------------------------------

    def verify(
        self, run_id: str, *, progress: Progress | None = None, sending: Callable[[], bool] = lambda: False
    ) -> None:
        """Runs passes until no order of the run is pending (and ``sending()`` is false)."""
        self.prepare()
        while True:
            pending = self.ledger.pending_orders(run_id)
            if pending:
                self.verify_pass(run_id, pending)
            if progress is not None:
                total = len(self.ledger.orders(run_id))
                progress(total - len(self.ledger.pending_orders(run_id)), total)
            if not pending and not sending():
                return
            time.sleep(self.poll_interval)

    def verify_pass(self, run_id: str, pending: list[OrderRecord]) -> None:
        by_id = {record.order_id: record for record in pending}
        observations: list[Observation] = []
        observations += self._observe_table(pending)
        consumed: list[CapturedEvent] = []
        observations += self._observe_events(run_id, by_id, consumed)
        observations += self._observe_courier(pending)
        if observations:
            self.ledger.record_observations(run_id, observations)
        if consumed and self.capture is not None:  # deleted once the ledger holds them, never before
            self.capture.settle(consumed=consumed, released=[])
        now = time.time()
        outcomes = []
        for record in self.ledger.pending_orders(run_id):
            evidence = self.evidence[record.order_id]
            outcome = self.judge.judge(record, evidence, now)
            if outcome is not None:
                outcomes.append(outcome)
            if _final(outcome):
                self.settle.final(record.order_id, now=now)
            elif _final(self.unsettled.judge(record, evidence, now)):
                self.settle.ready(record.order_id, now=now)
        if outcomes:
            self.ledger.record_outcomes(run_id, outcomes)

    # -- stages ----------------------------------------------------------------------------------

    def _observe_table(self, pending: list[OrderRecord]) -> list[Observation]:
        spec = self.spec.dynamodb
        if spec is None or self.table is None:
            return []
        wanted = [r for r in pending if self._needs_item(r)]
        if not wanted:
            return []
        keys = {
            r.order_id: {
                name: render(template, self.judge.variables(r), field=f"dynamodb.key.{name}")
                for name, template in spec.key.items()
            }
            for r in wanted
        }
        started = time.time()
        found = self.table.read(keys)
        now = time.time()
        observations = []
        for record in wanted:
            evidence = self.evidence[record.order_id]
            evidence.item_read_at = started
            item = found.get(record.order_id)
            if item is None:
                continue
            evidence.item = item
            evidence.item_problems = failed_checks(spec.checks, item, self.judge.variables(record))
            if not evidence.item_problems:
                observations.append(Observation(seq=record.seq, stage=Stage.DYNAMODB, at=now))
        return observations

    def _needs_item(self, record: OrderRecord) -> bool:
        evidence = self.evidence[record.order_id]
        return record.dynamodb_at is None and (evidence.item is None or bool(evidence.item_problems))

    def _observe_events(
        self, run_id: str, by_id: dict[str, OrderRecord], consumed: list[CapturedEvent]
    ) -> list[Observation]:
        """The events of pending orders; the messages to delete go to ``consumed`` (deleted by the
        caller once the observations are in the ledger: a failed write leaves them in the queue, and
        one seen twice is counted once by its message id), the others' are released at once."""
        if self.spec.event is None or self.capture is None:
            return []
        observations: list[Observation] = []
        started = time.time()
        for batch in self.capture.receive(wait_seconds=1):
            now = time.time()
            released = []
            for captured in batch:
                placed = self._place(run_id, by_id, captured, observations)
                if placed or captured.unclaimed_too_long(now):
                    consumed.append(captured)
                else:
                    released.append(captured)
            self.capture.settle(consumed=[], released=released)
        if self.capture.emptied:  # every event delivered before ``started`` has been received
            for order_id in by_id:
                self.evidence[order_id].events_drained_at = started
        return observations

    def _place(
        self, run_id: str, by_id: dict[str, OrderRecord], captured: CapturedEvent, into: list[Observation]
    ) -> bool:
        """Records a captured event against its order (in this run or another of this ledger's runs);
        false when no order here sent it: it is left for the harness that did."""
        first_time = captured.message_id not in self.seen_messages
        self.seen_messages.add(captured.message_id)  # SQS may give a message again: count it once
        order_id = self.spec.event.order_id_path.get(captured.event) if self.spec.event else MISSING
        if order_id is MISSING or not isinstance(order_id, str):
            self.tally.untagged += int(first_time)
            return True  # no order id: nobody's, whoever reads it
        record = by_id.get(order_id)
        if record is not None:
            if first_time:
                self.evidence[order_id].event_times.append(captured.delivered_at)
                into.append(Observation(seq=record.seq, stage=Stage.EVENT, at=captured.delivered_at))
            return True
        record = self.ledger.find_order(order_id)
        if record is None:
            self.tally.foreign += int(first_time)
            return False
        if first_time:
            self._record_elsewhere(run_id, record, captured.delivered_at)
        return True

    def _record_elsewhere(self, run_id: str, record: OrderRecord, at: float) -> None:
        """An event for a known order that is not pending in this run: a duplicate, or another run's."""
        if record.run_id == run_id:
            # Planned after this pass read the pending orders, or a duplicate of a judged one.
            self.evidence[record.order_id].event_times.append(at)
        else:
            self.tally.other_runs[record.run_id] += 1
        self.ledger.record_observations(
            record.run_id, [Observation(seq=record.seq, stage=Stage.EVENT, at=at)]
        )

    def _observe_courier(self, pending: list[OrderRecord]) -> list[Observation]:
        if self.courier is None:
            return []
        wanted = {r.order_id: r for r in pending}
        since = min(sent_time(r) for r in pending)
        read_at = time.time()
        observations = []
        found = self.courier.calls_since(since, set(wanted))
        for order_id in wanted:
            self.evidence[order_id].courier_read_at = read_at
        for order_id, calls in found.items():
            self.evidence[order_id].courier_calls = calls
            courier = self.spec.courier
            good = [
                c.at
                for c in calls
                if courier is not None and c.succeeded(courier.expected_status, courier.client_timeout_ms)
            ]
            if good:
                observations.append(Observation(seq=wanted[order_id].seq, stage=Stage.COURIER, at=min(good)))
        return observations

    # -- after the verdicts ----------------------------------------------------------------------

    def clean_up_items(self, run_id: str) -> ItemCleanup | None:
        """Applies the spec's cleanup (delete or TTL) to the items of every order of the run that left
        the harness, good or bad, found by the spec's key template; None when the spec asks for none."""
        spec = self.spec.dynamodb
        if spec is None or self.table is None or spec.cleanup.value == "none":
            return None
        keys: dict[str, dict[str, Any]] = {
            r.order_id: {
                name: render(template, self.judge.variables(r), field=f"dynamodb.key.{name}")
                for name, template in spec.key.items()
            }
            for r in self.ledger.orders(run_id)
            if r.chain_verdict is not Verdict.NOT_SENT
        }
        if spec.cleanup.value == "delete":
            found = self.table.read(keys)
            left = {key_id(key) for key in self.table.delete(list(keys.values()))}
            failed = sum(1 for order_id in found if key_id(keys[order_id]) in left)
            return ItemCleanup(
                mode="delete",
                orders=len(keys),
                removed=len(found) - failed,
                not_found=len(keys) - len(found),
                failed=failed,
            )
        at = int(time.time()) + int(spec.ttl_seconds or 0)
        missing = self.table.expire(list(keys.values()), attribute=spec.ttl_attribute or "expiresAt", at=at)
        return ItemCleanup(mode="ttl", orders=len(keys), removed=len(keys) - missing, not_found=missing)


def _final(outcome: OrderOutcome | None) -> bool:
    """Whether ``outcome`` leaves no verdict of its order pending."""
    return outcome is not None and Verdict.PENDING not in (outcome.chain_verdict, outcome.delivery_verdict)
