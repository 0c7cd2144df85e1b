"""Samples the harness's resident set size while a load runs, for ``memory_growth`` to judge.

One daemon thread reads, every ``interval_s`` seconds, the RSS of this process (the harness and its
verifier) plus that of every process it started, recursively (the Locust runner, or master and
workers), and keeps ``RssSample(t, rss_mb)`` with ``t`` seconds since ``start()``. A process that
ends between the listing and the reading is skipped. ``psutil`` comes with Locust.

The interval follows the run: ``interval_for(duration)`` takes about 60 samples over the shape
(at least every 10 s, at most every 0.2 s), so a 30-minute soak and a 10-second test both give a trend.

Example::

    sampler = RssSampler(interval_s=interval_for(shape.duration_s))
    sampler.start()
    ...run...
    growth = memory_growth(sampler.stop(), max_growth_mb=shape.max_memory_growth_mb)
"""

from __future__ import annotations

import os
import threading
import time

import psutil  # type: ignore[import-untyped]  # untyped; installed with Locust

from chainprobe.drive.load.memory_growth import RssSample

__all__ = ["RssSampler", "interval_for"]

MB = 2**20


def interval_for(duration_s: float) -> float:
    """About 60 samples over ``duration_s``, between every 0.2 s and every 10 s.

    >>> interval_for(1800.0), interval_for(12.0), interval_for(3.0)
    (10.0, 0.2, 0.2)
    """
    return min(10.0, max(0.2, duration_s / 60))


class RssSampler:
    """See the module docstring; ``pid`` defaults to this process."""

    def __init__(self, *, interval_s: float, pid: int | None = None) -> None:
        self.interval_s = interval_s
        self._process = psutil.Process(pid if pid is not None else os.getpid())
        self._samples: list[RssSample] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._started = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def stop(self) -> list[RssSample]:
        """Stops sampling and returns the samples (stop it when the sending ends: a sample taken
        after the Locust processes exited would count their memory as freed)."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        return list(self._samples)

    def _run(self) -> None:
        while True:
            self._samples.append(RssSample(t=time.monotonic() - self._started, rss_mb=self._tree_mb()))
            if self._done.wait(self.interval_s):
                return

    def _tree_mb(self) -> float:
        total = 0
        try:
            processes = [self._process, *self._process.children(recursive=True)]
        except psutil.Error:
            return 0.0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue  # ended between the listing and the reading
        return round(total / MB, 3)
