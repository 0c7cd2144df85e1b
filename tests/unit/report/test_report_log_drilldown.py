"""Every bad order's drill-down in every report, read with at most one query per ten bad orders.

The logs client is a fake that answers each query with chainprobe's own Logs Insights evaluator over
hand-built events (the reference chain's lines: START, FAILED and the Lambda runtime's error line of an
unhandled exception for a bad order; START and the delivery's COMPLETED for a good one), and counts
the queries it was asked: the run's one milestone query, then one per ten bad orders (at most
``MAX_DRILLDOWNS`` of them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import pytest
from report_inputs import order, run
from test_report_logs import spec_with_logs

from chainprobe.ledger import FailureClass, OrderRecord, Verdict
from chainprobe.measure.log_drilldown import BATCH
from chainprobe.measure.logsinsights import LogEvent, evaluate
from chainprobe.report import build_report, render_html, render_markdown, render_terminal
from chainprobe.report.logs import MAX_DRILLDOWNS, LogsSummary
from chainprobe.report.logs_console import console_url
from chainprobe.run_logs import LogsSource, measure_logs

ORDERS, DELIVERY = "/aws/lambda/OrdersHandler", "/aws/lambda/DeliveryHandler"
LOCAL = {"aws_endpoint_url": "http://127.0.0.1:4566", "region": "us-east-1"}
SECRET = "s3cr3t-api-key-value"


class EvaluatingLogs:
    """StartQuery/GetQueryResults answered by the evaluator over ``events``; counts the queries."""

    def __init__(self, events: list[LogEvent], *, refuse_after: int | None = None) -> None:
        self.events = events
        self.queries: list[str] = []
        self.refuse_after = refuse_after
        self.pending: dict[str, dict[str, Any]] = {}

    def start_query(self, **kwargs: Any) -> Mapping[str, Any]:
        if self.refuse_after is not None and len(self.queries) >= self.refuse_after:
            raise ValueError("MalformedQueryException: refused")
        self.queries.append(kwargs["queryString"])
        query_id = f"q-{len(self.queries)}"
        self.pending[query_id] = kwargs
        return {"queryId": query_id}

    def get_query_results(self, **kwargs: Any) -> Mapping[str, Any]:
        asked = self.pending[kwargs["queryId"]]
        start, end = asked["startTime"] * 1000, asked["endTime"] * 1000
        events = [
            e for e in self.events if e.log_group in asked["logGroupNames"] and start <= e.timestamp <= end
        ]
        result = evaluate(asked["queryString"], events)
        return {"status": "Complete", "results": result.results, "statistics": {}}

    def stop_query(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}


def line(at_s: float, group: str, **fields: Any) -> LogEvent:
    return LogEvent(int(at_s * 1000), json.dumps(fields), group, "stream")


def chain_logs(orders: list[OrderRecord]) -> list[LogEvent]:
    events = []
    for item in orders:
        at, oid = 100.0 + item.seq, item.order_id
        events.append(line(at, ORDERS, correlation_id=oid, status="START", message="order received"))
        if item.chain_verdict is Verdict.BAD:
            events.append(
                line(at + 0.01, ORDERS, correlation_id=oid, status="FAILED", message=f"key {SECRET}")
            )
            text = f"[ERROR] InjectedHandlerError: injected fault lambda-exception for order {oid}"
            events.append(LogEvent(int((at + 0.02) * 1000), text, ORDERS, "stream"))
        else:
            events.append(line(at + 1.5, DELIVERY, correlation_id=oid, status="COMPLETED"))
    return events


def canary(bad: int, good: int = 3) -> list[OrderRecord]:
    bad_orders = [order(seq, Verdict.BAD, FailureClass.HTTP_5XX, api_status=502) for seq in range(bad)]
    return bad_orders + [order(bad + seq) for seq in range(good)]


def measured(orders: list[OrderRecord], client: EvaluatingLogs, endpoints: Mapping[str, Any]) -> LogsSummary:
    source = LogsSource(client=client, endpoints=endpoints, wait_s=1)
    summary = measure_logs(spec_with_logs(), run(), orders, source)
    assert summary is not None
    return summary


@pytest.mark.parametrize("bad", [0, 1, 10, 11, 25, MAX_DRILLDOWNS, MAX_DRILLDOWNS + 7])
def test_one_query_for_the_view_and_one_per_ten_bad_orders(bad: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINPROBE_API_KEY", SECRET)
    orders = canary(bad)
    client = EvaluatingLogs(chain_logs(orders))
    summary = measured(orders, client, LOCAL)
    drilled = min(bad, MAX_DRILLDOWNS)
    assert len(client.queries) == 1 + math.ceil(drilled / BATCH)
    assert (summary.queries, summary.drilldown_queries) == (1, math.ceil(drilled / BATCH))
    assert (len(summary.bad_orders), summary.bad_orders_total) == (drilled, bad)
    assert summary.notes == ()


def test_report_json_has_each_bad_orders_drilldown_and_console_query(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINPROBE_API_KEY", SECRET)
    orders = canary(2)
    summary = measured(orders, EvaluatingLogs(chain_logs(orders)), LOCAL)
    logs = build_report(run=run(), orders=orders, spec=spec_with_logs(), logs=summary).to_dict()["logs"]
    assert logs["sli"] == {"availability": 0.6, "started": 5, "completed": 3}
    assert (logs["bad_orders_total"], [item["order_id"] for item in logs["bad_orders"]]) == (
        2,
        ["o-0", "o-1"],
    )
    first = logs["bad_orders"][0]
    assert (first["seq"], first["failure"]) == (0, "http_5xx")
    assert first["drilldown"] == {
        "milestones": [
            {"name": "START", "log_group": ORDERS, "time": "1970-01-01T00:01:40.000Z"},
            {"name": "FAILED", "log_group": ORDERS, "time": "1970-01-01T00:01:40.010Z"},
        ],
        "missing_milestone": f"COMPLETED in {DELIVERY}",
        "functions": ["OrdersHandler"],
        "log_lines": [
            '1970-01-01 00:01:40.000 OrdersHandler {"correlation_id": "o-0", "status": "START", '
            '"message": "order received"}',
            '1970-01-01 00:01:40.010 OrdersHandler {"correlation_id": "o-0", "status": "FAILED", '
            '"message": "key ***"}',
            "1970-01-01 00:01:40.020 OrdersHandler [ERROR] InjectedHandlerError: injected fault "
            "lambda-exception for order o-0",
        ],
        "log_lines_dropped": 0,
        "exception": {
            "type": "InjectedHandlerError",
            "message": "injected fault lambda-exception for order o-0",
        },
    }
    console = first["console"]
    assert console["log_groups"] == [ORDERS, DELIVERY] and console["url"] is None  # not AWS: no console
    assert console["query"].startswith("fields @timestamp, @log, @message, correlation_id, status")
    assert 'filter correlation_id = "o-0" or @message like "o-0"' in console["query"]
    assert (console["start"], console["end"]) == ("1970-01-01T00:00:40.000Z", console["end"])


def test_every_format_shows_the_drilldowns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINPROBE_API_KEY", SECRET)
    orders = canary(5)
    summary = measured(orders, EvaluatingLogs(chain_logs(orders)), LOCAL)
    built = build_report(run=run(), orders=orders, spec=spec_with_logs(), logs=summary)
    terminal = render_terminal(built)
    drill = [text for text in terminal.splitlines() if text.startswith("  drill-down")]
    assert len(drill) == 3  # the worst few
    assert drill[0] == (
        "  drill-down  o-0 (seq 0, http_5xx); never reached COMPLETED in /aws/lambda/DeliveryHandler; "
        "InjectedHandlerError: injected fault lambda-exception for order o-0; last FAILED in OrdersHandler "
        "at 00:01:40.010"
    )
    assert "… and 2 more: report.json logs.bad_orders, chainprobe logs --run r-t" in terminal
    markdown, html = render_markdown(built), render_html(built)
    for seq in range(5):
        oid = f"o-{seq}"
        assert f"| {seq} | {oid} | http_5xx | START OrdersHandler 00:01:{40 + seq}.000 \\| FAILED" in markdown
        assert f"InjectedHandlerError: injected fault lambda-exception for order {oid}" in html
        assert f"filter correlation_id = &quot;{oid}&quot; or @message like &quot;{oid}&quot;" in html
    assert "#### Bad orders in the chain's logs (5 of 5)" in markdown
    assert (
        '<a href="#log-drilldown">' in html
        and "never reached COMPLETED in /aws/lambda/DeliveryHandler" in html
    )
    assert SECRET not in terminal + markdown + html


def test_on_aws_each_query_has_a_console_link_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-access-key-value")
    orders = canary(1)
    summary = measured(orders, EvaluatingLogs(chain_logs(orders)), {"region": "eu-west-1"})
    console = summary.bad_orders[0].console
    assert console.url is not None
    prefix = "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights"
    assert console.url.startswith(prefix + "$3FqueryDetail$3D$257E$2528end$257E$2527")
    assert "aws-secret" not in console.url and "Credential" not in console.url
    assert decoded(console.url) == {
        "end": console.end,
        "start": console.start,
        "timeType": "ABSOLUTE",
        "tz": "UTC",
        "editorString": console.query,
        "source": [ORDERS, DELIVERY],
    }


def test_a_console_link_by_hand() -> None:
    url = console_url(
        "fields @message | limit 5", ["/a"], start="2026-01-01T00:00:00.000Z", end="E", region="r"
    )
    assert url == (
        "https://r.console.aws.amazon.com/cloudwatch/home?region=r#logsV2:logs-insights$3FqueryDetail$3D"
        "$257E$2528end$257E$2527E$257Estart$257E$25272026-01-01T00*3A00*3A00.000Z$257EtimeType$257E$2527"
        "ABSOLUTE$257Etz$257E$2527UTC$257EeditorString$257E$2527fields*20*40message*20*7C*20limit*205"
        "$257Esource$257E$2528$257E$2527*2Fa$2529$2529"
    )


def decoded(url: str) -> dict[str, Any]:
    """The console link's query detail read back: the steps of ``console_url`` undone."""
    fragment = unquote(unquote(url.split("#logsV2:logs-insights", 1)[1].replace("$", "%")))
    body = fragment.removeprefix("?queryDetail=~(").removesuffix(")")
    detail: dict[str, Any] = {}
    head, _, groups = body.partition("~source~(")
    parts = head.split("~")
    for key, value in zip(parts[::2], parts[1::2], strict=True):
        detail[key] = unquote(value.removeprefix("'").replace("*", "%"))
    detail["source"] = [
        unquote(g.removeprefix("'").replace("*", "%")) for g in groups.rstrip(")").split("~")[1:]
    ]
    return detail


def test_a_failed_drilldown_query_is_a_note_never_a_failed_run() -> None:
    orders = canary(12)
    client = EvaluatingLogs(chain_logs(orders), refuse_after=2)  # the view, the first ten, then refused
    summary = measured(orders, client, LOCAL)
    assert summary.view is not None and summary.view.started == 15
    assert summary.drilldown_queries == 2
    assert summary.notes == (
        "the drill-down: the log query was not started: ValueError: MalformedQueryException: refused",
    )
    assert [len(item.drilldown.log_lines) for item in summary.bad_orders] == [3] * 10 + [0, 0]
    logs = build_report(run=run(), orders=orders, spec=spec_with_logs(), logs=summary).to_dict()["logs"]
    assert logs["bad_orders"][11]["drilldown"]["missing_milestone"] == f"START in {ORDERS}"


def test_an_incomplete_run_is_not_read_from_the_logs() -> None:
    orders = canary(2)
    client = EvaluatingLogs(chain_logs(orders))
    stopped = replace(run(), end_reason="infrastructure: AWS endpoint: read timeout")
    summary = measure_logs(
        spec_with_logs(), stopped, orders, LogsSource(client=client, endpoints=LOCAL, wait_s=1)
    )
    assert client.queries == []
    assert summary == LogsSummary(
        configured=True,
        notes=(
            "the log view was not read: the run is incomplete (infrastructure: AWS endpoint: read timeout)",
        ),
    )
