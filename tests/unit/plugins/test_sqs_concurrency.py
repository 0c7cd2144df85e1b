"""How many batches an SQS event source mapping processes at once (hand-computed cases)."""

from __future__ import annotations

import pytest
from chainprobe_localstack.lambda_.sqs_concurrency import sqs_mapping_concurrency


@pytest.mark.parametrize(
    ("maximum", "reserved", "account", "expected"),
    [
        # ScalingConfig.MaximumConcurrency set: the mapping's own bound (the template's flow control).
        (2, None, 8, 2),
        (5, None, 24, 5),
        (1000, None, 24, 24),  # never past the account's limit
        (10, 3, 24, 3),  # nor past the function's reserved concurrency
        # Unset: AWS scales to 1,250, locally bounded by the function's and the account's limits.
        (None, None, 8, 8),
        (None, None, 5000, 1250),
        (None, 4, 24, 4),
        (None, 40, 24, 24),
        (None, 0, 24, 0),  # reserved 0: the function is throttled
    ],
)
def test_the_mapping_concurrency_is_the_tightest_bound(
    maximum: int | None, reserved: int | None, account: int, expected: int
) -> None:
    assert (
        sqs_mapping_concurrency(
            maximum_concurrency=maximum, reserved_concurrency=reserved, account_limit=account
        )
        == expected
    )


@pytest.mark.parametrize(
    ("maximum", "reserved", "account"), [(1, None, 8), (1001, None, 8), (None, -1, 8), (None, None, -1)]
)
def test_values_aws_refuses_are_refused(maximum: int | None, reserved: int | None, account: int) -> None:
    with pytest.raises(ValueError):
        sqs_mapping_concurrency(
            maximum_concurrency=maximum, reserved_concurrency=reserved, account_limit=account
        )
