"""AWS/Lambda metrics (dimension FunctionName), from the two places that see them.

- The Lambda service side (every invocation LocalStack schedules, sync or async, event source
  mappings included): ``Invocations`` (1 per invocation that ran, failed ones included),
  ``Errors`` (0 or 1 per invocation: 1 for an unhandled error, a timeout or an init failure; a
  handler that *returns* a 500 response is not an error) and ``Throttles`` (1 per invocation
  refused for lack of concurrency, which is not an invocation).
- The execution environment side (the local-process executor): ``Duration`` (milliseconds the
  handler ran; about the timeout for a timed-out invocation, without the replacement of its
  environment; init is not included, as on AWS) and
  ``ConcurrentExecutions`` (at each invocation's start, how many invocations of the function are
  running, itself included: its Maximum per period is the peak concurrency).

LocalStack already publishes ``Invocations``/``Errors`` from inside ``LambdaVersionManager.invoke``
(``services/lambda_/invocation/metrics.py``), one PutMetricData per invocation, and has no hook for
them or for throttles. :func:`install` is the one place that patches it: it wraps that method and
replaces LocalStack's two publishing functions with no-ops, so nothing is counted twice.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from chainprobe_localstack.metrics import PUBLISHER, Metric, MetricsPublisher

NAMESPACE = "AWS/Lambda"


class FunctionId(Protocol):
    """What LocalStack's ``VersionIdentifier`` gives: enough to place a metric."""

    function_name: str
    region: str
    account: str


def _metric(name: str, function: FunctionId, unit: str = "Count") -> Metric:
    return Metric.of(NAMESPACE, name, unit, FunctionName=function.function_name)


def _record(
    publisher: MetricsPublisher, metric: Metric, value: float, function: FunctionId, at: float
) -> None:
    publisher.record(metric, value, account_id=function.account, region=function.region, at=at)


def invoked(function: FunctionId, *, at: float, error: bool, publisher: MetricsPublisher = PUBLISHER) -> None:
    """One invocation ran (successfully or not)."""
    _record(publisher, _metric("Invocations", function), 1, function, at)
    _record(publisher, _metric("Errors", function), 1 if error else 0, function, at)


def throttled(function: FunctionId, *, at: float, publisher: MetricsPublisher = PUBLISHER) -> None:
    """One invocation was refused with TooManyRequestsException."""
    _record(publisher, _metric("Throttles", function), 1, function, at)


_running: Counter[tuple[str, str, str]] = Counter()
_running_lock = threading.Lock()


class Execution:
    """One invocation in an execution environment; :meth:`stop` ends its Duration early."""

    def __init__(self) -> None:
        self.at = time.time()
        self._started = time.perf_counter()
        self._stopped: float | None = None

    def stop(self) -> None:
        """The invocation is over (e.g. timed out) even if the environment still has work to do."""
        if self._stopped is None:
            self._stopped = time.perf_counter()

    @property
    def duration_ms(self) -> float:
        end = self._stopped if self._stopped is not None else time.perf_counter()
        return (end - self._started) * 1000


@contextmanager
def execution(function: FunctionId, *, publisher: MetricsPublisher = PUBLISHER) -> Iterator[Execution]:
    """Around one invocation in an execution environment: ConcurrentExecutions, then Duration."""
    key = (function.account, function.region, function.function_name)
    with _running_lock:
        _running[key] += 1
        concurrent = _running[key]
    run = Execution()
    try:
        _record(publisher, _metric("ConcurrentExecutions", function), concurrent, function, run.at)
        yield run
    finally:
        run.stop()
        with _running_lock:
            _running[key] -= 1
        _record(publisher, _metric("Duration", function, "Milliseconds"), run.duration_ms, function, run.at)


def install(publisher: MetricsPublisher = PUBLISHER) -> None:
    """Wrap ``LambdaVersionManager.invoke`` and silence LocalStack's own Invocations/Errors (idempotent)."""
    from localstack.aws.api.lambda_ import TooManyRequestsException
    from localstack.services.lambda_.invocation import version_manager

    manager = version_manager.LambdaVersionManager
    if getattr(manager.invoke, "chainprobe_metrics", False):
        return
    original = manager.invoke

    @functools.wraps(original)
    def invoke(self: Any, *, invocation: Any) -> Any:
        function = self.function_version.id
        at = time.time()
        try:
            result = original(self, invocation=invocation)
        except TooManyRequestsException:
            throttled(function, at=at, publisher=publisher)
            raise
        invoked(function, at=at, error=bool(result.is_error), publisher=publisher)
        return result

    invoke.chainprobe_metrics = True  # type: ignore[attr-defined]
    # Patch (see the module docstring): LocalStack offers no hook for these metrics.
    manager.invoke = invoke
    version_manager.record_cw_metric_invocation = _published_by_chainprobe
    version_manager.record_cw_metric_error = _published_by_chainprobe


def _published_by_chainprobe(function_name: str, account_id: str, region_name: str) -> None:
    """Stands in for LocalStack's own Invocations/Errors publication: :func:`install` records them."""
