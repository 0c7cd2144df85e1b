"""An SQS event source mapping that invokes its function concurrently, as AWS's does.

LocalStack 2026.3.0's ``EsmWorker`` runs one poller thread per mapping: it receives a batch, invokes
the function synchronously and only then polls again, so a mapping never has more than one
invocation in flight, and ``ScalingConfig.MaximumConcurrency`` is stored but read nowhere. On AWS
the mapping's pollers process several batches at once, up to ``MaximumConcurrency`` when it is set
and up to 1,250 otherwise (bounded by the function's concurrency): that is what the delivery queue's
flow control in the reference chain is about.

:class:`ConcurrentSqsEsmWorker` is LocalStack's ``EsmWorker`` (states, store updates, backoffs
unchanged) with as many poller threads as :func:`~.sqs_concurrency.sqs_mapping_concurrency` decides,
all sharing the mapping's one ``SqsPoller`` (each call receives up to ``BatchSize`` messages and
invokes once; botocore clients are thread-safe). The first thread is LocalStack's own
``poller_loop``, which owns the mapping's state; the others run the same polling with its backoffs.

:func:`install` is the one place that patches LocalStack: it wraps ``EsmWorkerFactory.get_esm_worker``
so every SQS mapping (created, updated or restored) gets this worker; other sources are untouched.
It runs from an ``on_infra_start`` hook (``hooks.py``), before the Lambda provider starts any mapping.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from localstack.config import (
    LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC,
    LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_ERROR_SEC,
    LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC,
    LAMBDA_LIMITS_CONCURRENT_EXECUTIONS,
)
from localstack.services.lambda_.api_utils import function_locators_from_arn
from localstack.services.lambda_.event_source_mapping.esm_worker import EsmWorker
from localstack.services.lambda_.event_source_mapping.pollers.poller import EmptyPollResultsException
from localstack.services.lambda_.event_source_mapping.pollers.sqs_poller import SqsPoller
from localstack.services.lambda_.invocation.models import lambda_stores
from localstack.utils.backoff import ExponentialBackoff
from localstack.utils.threads import FuncThread

from chainprobe_localstack.lambda_.sqs_concurrency import sqs_mapping_concurrency

LOG = logging.getLogger(__name__)


def mapping_concurrency(esm_config: Any) -> int:
    """The decision for one mapping, read from its configuration and its function's current limits."""
    maximum = (esm_config.get("ScalingConfig") or {}).get("MaximumConcurrency")
    function_name, _, account, region = function_locators_from_arn(esm_config["FunctionArn"])
    function = lambda_stores[account][region].functions.get(function_name)
    reserved = getattr(function, "reserved_concurrent_executions", None)
    return sqs_mapping_concurrency(
        maximum_concurrency=maximum,
        reserved_concurrency=reserved,
        account_limit=LAMBDA_LIMITS_CONCURRENT_EXECUTIONS,
    )


class ConcurrentSqsEsmWorker(EsmWorker):
    """LocalStack's EsmWorker with ``mapping_concurrency`` poller threads instead of one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.concurrency = 1
        self._extra_threads: list[FuncThread] = []

    def start(self) -> None:
        # Reserved concurrency 0 still gets one poller: LocalStack throttles its invocations, as AWS does.
        self.concurrency = max(1, mapping_concurrency(self.esm_config))
        super().start()
        self._extra_threads = [
            FuncThread(self._polling_loop, name=f"event-source-mapping-poller-{self.uuid}-{n}")
            for n in range(1, self.concurrency)
        ]
        for thread in self._extra_threads:
            thread.start()
        LOG.debug("event source mapping %s polls with %d threads", self.uuid, self.concurrency)

    def _polling_loop(self, *args: Any, **kwargs: Any) -> None:
        """LocalStack's ``poller_loop`` without the state handling (the first thread owns that)."""
        on_error = ExponentialBackoff(
            initial_interval=2, max_interval=LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_ERROR_SEC
        )
        on_empty = ExponentialBackoff(
            initial_interval=1, max_interval=LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC
        )
        while not self._shutdown_event.is_set():
            wait = LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC
            try:
                self.poller.poll_events()
                on_error.reset()
                on_empty.reset()
            except EmptyPollResultsException:
                wait = on_empty.next_backoff()
            except Exception as exc:
                LOG.error("Error while polling messages for event source %s: %s", self.uuid, exc)
                wait = on_error.next_backoff()
            self._shutdown_event.wait(wait)


def install() -> None:
    """Make every SQS event source mapping a :class:`ConcurrentSqsEsmWorker` (idempotent)."""
    from localstack.services.lambda_.event_source_mapping.esm_worker_factory import EsmWorkerFactory

    original = EsmWorkerFactory.get_esm_worker
    if getattr(original, "chainprobe_concurrent_sqs", False):
        return

    @functools.wraps(original)
    def get_esm_worker(self: Any) -> EsmWorker:
        worker = original(self)
        if not isinstance(worker.poller, SqsPoller):
            return worker
        return ConcurrentSqsEsmWorker(
            worker.esm_config,
            poller=worker.poller,
            enabled=worker.enabled,
            user_state_reason=worker.user_state_reason,
        )

    get_esm_worker.chainprobe_concurrent_sqs = True
    # Patch (see the module docstring): LocalStack has no hook to choose the worker of a mapping.
    EsmWorkerFactory.get_esm_worker = get_esm_worker
