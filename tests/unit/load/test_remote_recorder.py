"""A worker sends an order only once the master acknowledged it (``remote_recorder_cases``, in a process
of its own: the cases import Locust, which monkey-patches the importing process with gevent)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_worker_waits_for_the_masters_ack_and_skips_when_it_may_not_send() -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "tests.unit.load.remote_recorder_cases"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0 and ran.stdout.strip() == "ok", ran.stderr[-2000:]
