"""The :class:`MetricsPublisher`: records datapoints in memory and flushes them to CloudWatch.

Recording is cheap and never raises (a service's request path calls it); a background thread
flushes every ``flush_seconds`` and :meth:`MetricsPublisher.close` flushes what is left. Each
datapoint keeps the timestamp it was recorded with (the time of the request), not the time of
the flush. Example, with a sink that prints instead of calling CloudWatch::

    >>> calls = []
    >>> publisher = MetricsPublisher(sink=lambda batch: calls.append(batch), autostart=False)
    >>> count = Metric.of("AWS/ApiGateway", "Count", ApiName="OrdersAPI")
    >>> publisher.record(count, 1, account_id="000000000000", region="us-east-1", at=1767268800.0)
    >>> publisher.flush(), calls[0].metric_data[0]["Values"]
    (1, [1.0])

A batch the sink refuses is kept for the next flush, unless more than ``max_pending`` entries
are waiting, in which case the oldest data is dropped (and counted in ``dropped``): managed
services' metrics are best-effort on AWS too. Standard library only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .datapoints import Batch, Buffer, Metric

LOG = logging.getLogger(__name__)

type Sink = Callable[[Batch], None]
"""Sends one PutMetricData call; raises when it could not."""


class MetricsPublisher:
    """Aggregates datapoints per second and flushes them through ``sink`` every ``flush_seconds``."""

    def __init__(
        self,
        *,
        sink: Sink,
        flush_seconds: float = 5.0,
        max_pending: int = 200_000,
        autostart: bool = True,
        enabled: bool = True,
    ) -> None:
        self._sink = sink
        self._flush_seconds = flush_seconds
        self._max_pending = max_pending
        self._autostart = autostart
        self.enabled = enabled
        self._buffer = Buffer()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.dropped = 0

    def record(
        self,
        metric: Metric,
        value: float,
        *,
        account_id: str,
        region: str,
        at: float | None = None,
        count: int = 1,
    ) -> None:
        """Record ``count`` samples of ``value`` for ``metric`` at ``at`` (epoch seconds, default now)."""
        if not self.enabled:
            return
        try:
            with self._lock:
                self._buffer.add(
                    account_id, region, metric, value, at=time.time() if at is None else at, count=count
                )
            if self._autostart and self._thread is None:
                self.start()
        except Exception:  # a metric must never break the request that produced it
            LOG.exception("chainprobe metrics: could not record %s", metric.name)

    def flush(self) -> int:
        """Send everything recorded so far; returns the number of samples sent."""
        with self._flush_lock:
            with self._lock:
                pending, self._buffer = self._buffer, Buffer()
            sent = 0
            for batch in pending.batches():
                try:
                    self._sink(batch)
                    sent += batch.samples
                except Exception as error:
                    LOG.warning("chainprobe metrics: PutMetricData %s failed: %s", batch.namespace, error)
                    self._requeue(batch)
            self.sent += sent
            return sent

    def _requeue(self, batch: Batch) -> None:
        with self._lock:
            if len(self._buffer) + len(batch) > self._max_pending:
                self.dropped += batch.samples
                LOG.warning("chainprobe metrics: dropping %d samples that could not be sent", batch.samples)
                return
            self._buffer.restore(batch)

    # background flushing

    def start(self) -> None:
        """Start the flushing thread (idempotent)."""
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="chainprobe-metrics-flush", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread and flush what is left."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        sent = self.flush()
        LOG.info("chainprobe metrics: %d samples flushed on close (%d sent in all)", sent, self.sent)

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            try:
                self.flush()
            except Exception:
                LOG.exception("chainprobe metrics: flush failed")
