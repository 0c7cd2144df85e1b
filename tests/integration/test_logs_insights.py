"""Logs Insights on the real local stack (``logs:chainprobe``): the reference chain's own logs.

One good order goes through the chain; its milestones (JSON ``status`` with ``correlation_id``, in
``/aws/lambda/<function>`` of both functions) are then found by query, the source material's
lead-time query runs unchanged, and refused queries answer as CloudWatch does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from botocore.exceptions import ClientError

from chainprobe.measure.logs_query import QueryAnswer, run_logs_query
from chainprobe.stacks.reference_chain import ChainStack
from tests.integration.conftest import RunningStack, fault_order

pytestmark = pytest.mark.integration

DEADLINE_S = 120.0  # for the order's last milestone to be logged and for a query to complete
ORDER_MILESTONES = ["START", "SAVED_IN_DATABASE", "PUBLISHED", "COMPLETED"]
DELIVERY_MILESTONES = ["START", "COMPLETED"]
LEAD_TIME_QUERY = (
    "stats (latest(@timestamp) - earliest(@timestamp))/1000 as LeadTimeInSeconds by correlation_id"
    " | sort LeadTimeInSeconds desc | limit 10"
)


def log_groups(running: RunningStack) -> tuple[str, str]:
    outputs = ChainStack(running.clients).outputs()
    return (
        f"/aws/lambda/{outputs['OrdersFunctionName']}",
        f"/aws/lambda/{outputs['DeliveryFunctionName']}",
    )


def run_query(
    running: RunningStack, query: str, groups: list[str], since: datetime | None = None
) -> QueryAnswer:
    """The harness's own query runner: StartQuery, then GetQueryResults until Complete (bounded); over the
    last 15 minutes, or from ``since``."""
    now = datetime.now(UTC)
    answer = run_logs_query(
        running.clients.client("logs"),
        query=query,
        log_groups=groups,
        start=since or now - timedelta(minutes=15),
        end=now + timedelta(minutes=1),
        wait_s=DEADLINE_S,
        poll_s=0.2,
    )
    assert answer.complete, answer.note
    return answer


def milestones(running: RunningStack, order_id: str) -> list[tuple[str, str]]:
    orders, delivery = log_groups(running)
    query = (
        "fields @timestamp, @log, status, correlation_id"
        f' | filter correlation_id = "{order_id}" and ispresent(status) | sort @timestamp asc'
    )
    answer = run_query(running, query, [orders, delivery])
    return [(row["@log"].rsplit(":", 1)[-1], row["status"]) for row in answer.rows]


@pytest.fixture(scope="module")
def good_order_sent(local_stack: RunningStack) -> Iterator[tuple[str, datetime]]:
    """A good order's id and when it was sent, once both functions have logged its last milestone."""
    sent = datetime.now(UTC)
    order = fault_order("insights", "good")
    response = httpx.post(f"{local_stack.endpoints.api_url}/orders", json=order, timeout=30.0)
    assert response.status_code == 201, response.text
    _, delivery = log_groups(local_stack)
    deadline = time.monotonic() + DEADLINE_S
    while (delivery, "COMPLETED") not in milestones(local_stack, order["orderId"]):
        assert time.monotonic() < deadline, f"order {order['orderId']} never logged COMPLETED in {delivery}"
        time.sleep(0.5)
    yield order["orderId"], sent


@pytest.fixture(scope="module")
def good_order(good_order_sent: tuple[str, datetime]) -> str:
    return good_order_sent[0]


def test_the_orders_milestones_come_back_in_order_from_both_log_groups(
    local_stack: RunningStack, good_order: str
) -> None:
    orders, delivery = log_groups(local_stack)
    expected = [(orders, m) for m in ORDER_MILESTONES] + [(delivery, m) for m in DELIVERY_MILESTONES]
    assert milestones(local_stack, good_order) == expected


def test_statistics_count_the_scanned_and_matched_events(local_stack: RunningStack, good_order: str) -> None:
    orders, _ = log_groups(local_stack)
    answer = run_query(local_stack, f'filter correlation_id = "{good_order}" and ispresent(status)', [orders])
    assert answer.records_matched == len(ORDER_MILESTONES)
    assert answer.records_scanned >= answer.records_matched


def test_the_source_materials_lead_time_query_runs_unchanged(
    local_stack: RunningStack, good_order_sent: tuple[str, datetime]
) -> None:
    # From the order's send on: the suite's shared stack holds earlier tests' orders (a courier fault's
    # retries among them), whose longer lead times would fill the query's `limit 10` before this one.
    good_order, sent = good_order_sent
    answer = run_query(
        local_stack, LEAD_TIME_QUERY, list(log_groups(local_stack)), since=sent - timedelta(seconds=1)
    )
    lead_times = {row.get("correlation_id"): float(row["LeadTimeInSeconds"]) for row in answer.rows}
    assert lead_times[good_order] > 0
    assert list(lead_times.values()) == sorted(lead_times.values(), reverse=True)


def test_an_unsupported_command_is_a_malformed_query_naming_it(local_stack: RunningStack) -> None:
    orders, _ = log_groups(local_stack)
    logs = local_stack.clients.client("logs")
    now = int(time.time())
    with pytest.raises(ClientError) as raised:
        logs.start_query(
            logGroupNames=[orders],
            startTime=now - 60,
            endTime=now,
            queryString="fields @message | dedup @logStream",
        )
    error = raised.value.response["Error"]
    assert error["Code"] == "MalformedQueryException"
    assert "unsupported command 'dedup' at position 18" in error["Message"]


def test_a_missing_log_group_is_resource_not_found(local_stack: RunningStack) -> None:
    logs = local_stack.clients.client("logs")
    now = int(time.time())
    with pytest.raises(ClientError) as raised:
        logs.start_query(
            logGroupNames=["/aws/lambda/no-such-function"],
            startTime=now - 60,
            endTime=now,
            queryString="fields @message",
        )
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "/aws/lambda/no-such-function" in raised.value.response["Error"]["Message"]
    answer = run_logs_query(
        logs,
        query="fields @message",
        log_groups=["/aws/lambda/no-such-function"],
        start=datetime.now(UTC) - timedelta(minutes=1),
        end=datetime.now(UTC),
    )
    assert answer.status == "NotStarted"  # the harness's runner: a note, never a failed run
    assert answer.note is not None and "ResourceNotFoundException" in answer.note


def test_an_unknown_query_id_is_resource_not_found(local_stack: RunningStack) -> None:
    with pytest.raises(ClientError) as raised:
        local_stack.clients.client("logs").get_query_results(queryId="00000000-0000-0000-0000-000000000000")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_end_before_the_start_is_an_invalid_parameter(local_stack: RunningStack) -> None:
    orders, _ = log_groups(local_stack)
    now = int(time.time())
    with pytest.raises(ClientError) as raised:
        local_stack.clients.client("logs").start_query(
            logGroupNames=[orders], startTime=now, endTime=now - 60, queryString="fields @message"
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
