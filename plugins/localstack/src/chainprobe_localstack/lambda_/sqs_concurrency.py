"""How many batches an SQS event source mapping may have in flight at once: a pure decision.

AWS (Lambda's SQS event source): pollers receive batches and invoke the function with each, several
invocations at a time. With ``ScalingConfig.MaximumConcurrency`` set (2 to 1000) the mapping never
has more invocations in flight than that; without it the mapping scales up to 1,250 concurrent
invocations, bounded like every invocation by the function's reserved concurrency, or else by the
account's unreserved concurrency.

Locally (chosen here, documented in the README): the same rule, with the account limit being
LocalStack's ``LAMBDA_LIMITS_CONCURRENT_EXECUTIONS`` (chainprobe's stack sets it to what the machine
can run as processes, ``CHAINPROBE_LAMBDA_CONCURRENCY``). A reserved concurrency of 0 stops the
mapping (AWS throttles every invocation). AWS ramps up from five batches adding up to 300 a minute;
locally every poller starts at once (no ramp: a local mapping is at its bound within one poll).

Example::

    >>> sqs_mapping_concurrency(maximum_concurrency=2, reserved_concurrency=None, account_limit=8)
    2
    >>> sqs_mapping_concurrency(maximum_concurrency=None, reserved_concurrency=None, account_limit=24)
    24
"""

from __future__ import annotations

AWS_SQS_SCALING_LIMIT = 1250
"""Concurrent invocations one SQS event source mapping scales up to on AWS without MaximumConcurrency."""

MAXIMUM_CONCURRENCY_RANGE = (2, 1000)
"""What AWS accepts for ``ScalingConfig.MaximumConcurrency``."""


def sqs_mapping_concurrency(
    *, maximum_concurrency: int | None, reserved_concurrency: int | None, account_limit: int
) -> int:
    """Batches the mapping may process at once: its pollers, each invoking the function synchronously.

    ``maximum_concurrency``: the mapping's ``ScalingConfig.MaximumConcurrency`` (None when unset).
    ``reserved_concurrency``: the function's reserved concurrent executions (None when unset).
    ``account_limit``: the account's concurrent executions limit.
    Raises ValueError for a MaximumConcurrency outside AWS's range or a negative limit.
    """
    if maximum_concurrency is not None:
        low, high = MAXIMUM_CONCURRENCY_RANGE
        if not low <= maximum_concurrency <= high:
            raise ValueError(f"MaximumConcurrency must be {low}..{high}, got {maximum_concurrency}")
    if account_limit < 0 or (reserved_concurrency is not None and reserved_concurrency < 0):
        raise ValueError("concurrency limits cannot be negative")
    bound = maximum_concurrency if maximum_concurrency is not None else AWS_SQS_SCALING_LIMIT
    function_limit = reserved_concurrency if reserved_concurrency is not None else account_limit
    return min(bound, function_limit, account_limit)
