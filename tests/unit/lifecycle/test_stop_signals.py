"""SIGINT and SIGTERM while a run is in flight: the first stops the run, a second ends the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from chainprobe.run_lifecycle import RunControl, StopCause, StopSignals

SRC = Path(__file__).resolve().parents[3] / "src"


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_the_first_signal_stops_the_run_and_the_handlers_come_back(number: signal.Signals) -> None:
    control, said = RunControl(), []
    before = signal.getsignal(number)
    with StopSignals(control, say=said.append, run_id="r-1", grace_s=35):
        os.kill(os.getpid(), number)  # handled here: no KeyboardInterrupt, the process goes on
        assert control.cause is not None and control.cause.cause is StopCause.INTERRUPTED
        assert control.cause.reason == f"interrupted ({number.name})"
    assert signal.getsignal(number) is before
    assert said == [
        f"{number.name}: no more orders leave; judging those sent for at most 35 s (again to stop at once)"
    ]


SECOND = textwrap.dedent(
    """
    import os, signal, sys
    from chainprobe.run_lifecycle import RunControl, StopSignals
    say = lambda line: print(f"chainprobe: {line}", file=sys.stderr, flush=True)
    with StopSignals(RunControl(), say=say, run_id="r-1", grace_s=35):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        print("still running", flush=True)
    """
)


def test_a_second_signal_ends_the_process_at_once_with_130_and_one_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    ended = subprocess.run(
        [sys.executable, "-c", SECOND], env=env, capture_output=True, text=True, timeout=60
    )
    assert ended.returncode == 130
    assert "still running" not in ended.stdout and "Traceback" not in ended.stderr
    assert ended.stderr.splitlines()[-1] == (
        "chainprobe: SIGINT again: stopped at once; finish the run with 'chainprobe verify --run r-1'"
    )


def test_outside_the_main_thread_no_handler_is_installed() -> None:
    """Python refuses ``signal.signal`` off the main thread: the run goes on without handlers."""
    errors: list[BaseException] = []
    entered: list[StopSignals] = []

    def enter() -> None:
        try:
            with StopSignals(RunControl(), say=print, run_id="r-1", grace_s=35) as signals:
                entered.append(signals)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    worker = threading.Thread(target=enter)
    worker.start()
    worker.join()
    assert errors == [] and len(entered) == 1 and entered[0].previous == {}
