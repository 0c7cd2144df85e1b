"""One Locust process's part in a load run: the run's context, its share of the arrivals, its recorder.

A session exists from the moment the process learns of a started run (a local runner or a master at
``test_start``, a worker when the master's run message arrives) until the test stops. Users find it
with ``session_for(environment)``; one ``Environment``, one session at a time (a fresh environment has
none, so nothing leaks between tests).

The master has a session too (to know the run) but sends nothing: only processes that run users
(``sends=True``) record, a local runner into the ledger file (``OrderRecorder``), a worker through its
master (``relay.RemoteRecorder``: the worker opens no file).
"""

from __future__ import annotations

import weakref
from urllib.parse import urlsplit

from chainprobe.drive.load.context import RunContext
from chainprobe.drive.load.recorder import OrderRecorder, Recorder
from chainprobe.drive.load.schedule import ArrivalClaims, ArrivalSchedule
from chainprobe.spec import load_spec
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import render

__all__ = ["LoadSession", "bind_session", "session_for"]


class LoadSession:
    """What this process knows of the run it drives; see the module docstring."""

    def __init__(
        self,
        context: RunContext,
        *,
        index: int,
        sends: bool,
        spec: ProbeSpec | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        if context.start is None:
            raise ValueError(f"run {context.run_id} has not started: its schedule has no start")
        self.context = context
        self.spec: ProbeSpec = spec if spec is not None else load_spec(context.spec_path)
        self.schedule = ArrivalSchedule(
            shape=context.shape, start=context.start, index=index, stride=context.processes
        )
        self.claims = ArrivalClaims(self.schedule)
        if recorder is None and sends:
            recorder = OrderRecorder(context.ledger_path, context.run_id)
        self.recorder: Recorder | None = recorder
        endpoint = render(self.spec.send.endpoint, context.endpoints, field="send.endpoint")
        parts = urlsplit(endpoint)
        self.host = f"{parts.scheme}://{parts.netloc}"
        self.request_name = f"{self.spec.send.method} {parts.path or '/'}"
        self.api_timeout = self.spec.deadlines.api

    @property
    def run_id(self) -> str:
        return self.context.run_id

    def close(self) -> None:
        """Closes the recorder (its writes are all committed)."""
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None


_SESSIONS: weakref.WeakKeyDictionary[object, LoadSession] = weakref.WeakKeyDictionary()


def bind_session(environment: object, session: LoadSession | None) -> None:
    """Makes ``session`` the environment's current one (closing the one before), or none."""
    previous = _SESSIONS.pop(environment, None)
    if previous is not None and previous is not session:
        previous.close()
    if session is not None:
        _SESSIONS[environment] = session


def session_for(environment: object) -> LoadSession | None:
    """The environment's current session, if a run has started."""
    return _SESSIONS.get(environment)
