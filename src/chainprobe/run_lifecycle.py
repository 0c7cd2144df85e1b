"""How a run ends: what stopped it (the user, the infrastructure, the ledger, a bug), and the signals.

A run ends in one of two ways. It *completes*: every order was sent and every verdict is final. Or it
is *stopped*: the first cause recorded by ``RunControl.stop`` wins, no new order leaves, the orders
that left are judged within a grace period bounded by the spec's deadlines (``grace_seconds``), and the
run is recorded and reported as it stands, ``incomplete: <reason>`` (never graded as if complete).
The CLI turns the cause into the exit code (``chainprobe.cli.run_commands.STOP_EXIT``).

| cause | from | exit |
|---|---|---|
| ``interrupted`` | SIGINT (Ctrl-C), SIGTERM | 130 |
| ``ledger`` | the ledger locked, unreadable, corrupt (``LedgerError``) | 2 |
| ``config`` | a spec or template the run could not use (``SpecError``, ``TargetConfigError``) | 2 |
| ``infrastructure`` | AWS endpoints, the courier journal, the stack (``BotoCoreError``, | 3 |
| | ``ClientError``, ``CourierJournalError``, ``StackError``, ``httpx.HTTPError``) | |
| ``bug`` | anything else | 4 |

Signals (``StopSignals``): the first SIGINT or SIGTERM stops the run as above; a second one ends the
process at once (``os._exit(130)``) after one line on stderr. Every ledger write is one SQLite
transaction, so the ledger is consistent whenever the process dies, and ``chainprobe verify --run ID``
finishes the run.

Example::

    control = RunControl()
    with StopSignals(control, say=say, run_id=run.run_id):
        ...                                   # send and verify, checking control.stopped
    if control.cause is not None:
        print(control.cause.reason)           # "interrupted (SIGINT)"
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from types import FrameType, TracebackType

import httpx
from botocore.exceptions import BotoCoreError, ClientError

from chainprobe.ledger.exceptions import LedgerError
from chainprobe.ledger.model import OrderRecord, Run, RunState
from chainprobe.ledger.store import Ledger
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.secrets import redact
from chainprobe.stacks.exceptions import StackError
from chainprobe.target import TargetConfigError
from chainprobe.verify.cleanup import ItemCleanup
from chainprobe.verify.courier import CourierJournalError
from chainprobe.verify.run_verifier import RunVerifier
from chainprobe.verify.verdict import EVENT_RECEIVE_MARGIN_S

__all__ = [
    "SENDING_CUT_SHORT",
    "RunControl",
    "RunStop",
    "StopCause",
    "StopSignals",
    "clean_up",
    "end_reason",
    "end_run",
    "grace_seconds",
    "stop_for",
]

Say = Callable[[str], None]

# The end reason of a run whose sending stopped with no cause recorded (the process was killed).
SENDING_CUT_SHORT = "the sending stopped before every order was sent (the process was killed)"
GRACE_MARGIN_S = 3.0  # a verification pass or two beyond the last deadline


class StopCause(StrEnum):
    """Why a run was stopped before it completed."""

    INTERRUPTED = "interrupted"
    LEDGER = "ledger"
    CONFIG = "config"
    INFRASTRUCTURE = "infrastructure"
    BUG = "bug"


@dataclass(frozen=True)
class RunStop:
    """A cause and its one line (``SIGINT``, ``courier journal at http://…: connection refused``)."""

    cause: StopCause
    detail: str

    @property
    def reason(self) -> str:
        """The end reason recorded in the ledger and the report: ``interrupted (SIGINT)``,
        ``infrastructure: AWS endpoint: …``, ``bug: internal error: KeyError: 'x'``. One line, with
        every secret redacted (an error's text may hold a URL with ``?key=…``): the ledger keeps it, and
        a later ``verify`` prints it in an environment that may not know the secret."""
        detail = " ".join(redact(self.detail).split())  # one line, whatever the error's message held
        if self.cause is StopCause.INTERRUPTED:
            return f"interrupted ({detail})"
        return f"{self.cause.value}: {detail}"


def stop_for(error: BaseException) -> RunStop:
    """The cause an error stands for (see the module's table).

    >>> stop_for(KeyboardInterrupt()).reason
    'interrupted (SIGINT)'
    >>> stop_for(CourierJournalError("courier journal at http://127.0.0.1:9: refused")).cause.value
    'infrastructure'
    >>> stop_for(KeyError("x")).reason
    "bug: internal error: KeyError: 'x'"
    >>> stop_for(ValueError("two\\nlines")).reason
    'bug: internal error: ValueError: two lines'
    """
    if isinstance(error, KeyboardInterrupt):
        return RunStop(StopCause.INTERRUPTED, "SIGINT")
    if isinstance(error, LedgerError):
        return RunStop(StopCause.LEDGER, str(error))  # the reason reads "ledger: <path>: …" once
    if isinstance(error, SpecError | TargetConfigError):
        return RunStop(StopCause.CONFIG, str(error))
    if isinstance(error, CourierJournalError | StackError):
        return RunStop(StopCause.INFRASTRUCTURE, str(error))
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return RunStop(StopCause.INFRASTRUCTURE, f"AWS said {details.get('Code')}: {details.get('Message')}")
    if isinstance(error, BotoCoreError):
        return RunStop(StopCause.INFRASTRUCTURE, f"AWS endpoint: {error}")
    if isinstance(error, httpx.HTTPError):
        return RunStop(StopCause.INFRASTRUCTURE, f"HTTP: {type(error).__name__}: {error}")
    return RunStop(StopCause.BUG, f"internal error: {type(error).__name__}: {error}")


def end_reason(run: Run, *, verified: bool, stop: RunStop | None) -> str | None:
    """Why the run is incomplete, or ``None`` when it is complete: every order it meant to send was
    sent and every verdict is final (``verified``). The sending was complete when the state is
    ``sent``, or ``verified`` with no reason recorded: a run whose sending was cut short stays
    ``running`` until its verdicts are final, then ``verified`` with its reason, which a finished
    verification never undoes.

    >>> sent = Run(run_id="r", spec_path="s", spec_name="n", target="t", started_at=0, state=RunState.SENT)
    >>> end_reason(sent, verified=True, stop=RunStop(StopCause.INTERRUPTED, "SIGINT")) is None
    True
    >>> end_reason(sent, verified=False, stop=RunStop(StopCause.INTERRUPTED, "SIGINT"))
    'interrupted (SIGINT)'
    >>> stopped = Run(run_id="r", spec_path="s", spec_name="n", target="t", started_at=0, end_reason="x")
    >>> end_reason(stopped, verified=True, stop=None)
    'x'
    """
    sending_done = run.state is RunState.SENT or (run.state is RunState.VERIFIED and run.end_reason is None)
    if sending_done and verified:
        return None
    if stop is not None:
        return stop.reason
    return run.end_reason or SENDING_CUT_SHORT


def grace_seconds(spec: ProbeSpec) -> float:
    """How long a stopped run's verification may go on after the last order left: its longest
    deadline (a delivery objective's included), the event's receive margin and a pass or two."""
    deadlines = spec.deadlines
    longest = max(deadlines.api, deadlines.dynamodb, deadlines.event, deadlines.courier)
    if spec.slo is not None and spec.slo.delivery is not None:
        longest = max(longest, spec.slo.delivery.deadline_seconds)
    return longest + EVENT_RECEIVE_MARGIN_S + GRACE_MARGIN_S


class RunControl:
    """The run's stop switch, shared by the sender, the verifier and the signal handlers: the first
    cause recorded wins; ``event`` is set from then on (the sender waits on it between orders)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._lock = threading.Lock()
        self._cause: RunStop | None = None

    @property
    def cause(self) -> RunStop | None:
        """The first cause recorded, or ``None`` while the run goes on."""
        return self._cause

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def stop(self, cause: RunStop) -> bool:
        """Records ``cause`` when it is the first; true when it was."""
        with self._lock:
            first = self._cause is None
            if first:
                self._cause = cause
        self.event.set()
        return first


class StopSignals:
    """SIGINT and SIGTERM while a run is in flight: the first stops it through ``control`` (one line
    saying what happens next), a second ends the process at once with exit code 130. Installed only
    in the main thread (elsewhere Python cannot); the previous handlers come back on exit."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, control: RunControl, *, say: Say, run_id: str, grace_s: float) -> None:
        self.control = control
        self.say = say
        self.run_id = run_id
        self.grace_s = grace_s
        self.previous: dict[int, object] = {}
        self.received = 0

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self.previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]

    def _handle(self, number: int, _frame: FrameType | None) -> None:
        self.received += 1
        name = signal.Signals(number).name
        if self.received > 1:
            self._tell(
                f"{name} again: stopped at once; finish the run with 'chainprobe verify --run {self.run_id}'"
            )
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            os._exit(130)
        if self.control.stop(RunStop(StopCause.INTERRUPTED, name)):
            self._tell(
                f"{name}: no more orders leave; judging those sent for at most {self.grace_s:g} s "
                "(again to stop at once)"
            )

    def _tell(self, line: str) -> None:
        """``say``, or straight to fd 2 when the signal came while the main thread was writing to
        stderr (a buffered stream refuses a reentrant write)."""
        try:
            self.say(line)
        except RuntimeError:
            os.write(2, f"chainprobe: {line}\n".encode())


def clean_up(
    verifier: RunVerifier, run_id: str, *, stop: RunStop | None, pending: bool
) -> ItemCleanup | None:
    """The spec's clean-up of the run's probe items, and what it did (``None`` when it did nothing). A
    stopped run with verdicts still pending keeps them, for ``verify --run`` to read (it cleans up when
    it finishes); a stopped run's clean-up that the infrastructure fails is skipped."""
    if stop is not None and pending:
        return None
    try:
        return verifier.clean_up_items(run_id)
    except (BotoCoreError, ClientError):
        if stop is None:
            raise
        return None


def end_run(ledger: Ledger, run: Run, orders: list[OrderRecord], stop: RunStop | None) -> Run:
    """Records the end of the run (``end_reason`` when incomplete) and returns the run as ended; when
    the ledger refuses the write (it may be what stopped the run) the run is reported as ended all
    the same, and ``chainprobe verify --run`` records it later."""
    verified = not any(order.pending for order in orders)
    reason = end_reason(run, verified=verified, stop=stop)
    ended_at = time.time()
    try:
        ledger.end_run(run.run_id, end_reason=reason, verified=verified, ended_at=ended_at)
    except LedgerError:
        if stop is None:
            raise
    state = RunState.VERIFIED if verified else run.state
    return replace(run, ended_at=ended_at, end_reason=reason, state=state)
