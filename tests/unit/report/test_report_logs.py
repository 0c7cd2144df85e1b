"""The log view in every report: report.json ``logs``, the terminal line and the Markdown row; a spec
without ``logs`` says the view was not configured; a failed read is a note, never a failed run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from report_inputs import order, run, spec

from chainprobe.ledger import FailureClass, Verdict
from chainprobe.measure.log_reconcile import ClassSight, LogReconciliation
from chainprobe.measure.log_view import LeadTime, LogView
from chainprobe.report import RunReport, build_report, render_markdown, render_terminal
from chainprobe.report.logs import NOT_CONFIGURED, LogsSummary
from chainprobe.run_logs import LogsSource, measure_logs
from chainprobe.spec import ProbeSpec, parse_spec

REPO = Path(__file__).resolve().parents[3]

VIEW = LogView(started=4, completed=3, failed=("o-4",), lead_time_ms=LeadTime(1200.5, 1800.0, 2100.0))
SIGHT = LogReconciliation((ClassSight(FailureClass.EVENT_MISSING, 1, 0, 1),))


def report(logs: LogsSummary | None) -> RunReport:
    orders = [order(1), order(2), order(3), order(4, Verdict.BAD, FailureClass.EVENT_MISSING)]
    return build_report(run=run(), orders=orders, spec=spec("spec_full.yaml"), logs=logs)


def test_report_json_carries_the_log_sli_lead_time_and_reconciliation() -> None:
    logs = report(LogsSummary(configured=True, view=VIEW, reconciliation=SIGHT, queries=2)).to_dict()["logs"]
    assert logs["sli"] == {"availability": 0.75, "started": 4, "completed": 3}
    assert logs["lead_time_ms"] == {"p50": 1200.5, "p95": 1800.0, "max": 2100.0}
    assert logs["failed_orders"] == ["o-4"]
    assert logs["reconciliation"]["by_class"]["event_missing"]["seen_by"] == ["black_box", "logs"]
    assert (logs["configured"], logs["queries"], logs["notes"]) == (True, 2, [])


def test_terminal_and_markdown_show_the_log_sli_beside_the_others() -> None:
    built = report(LogsSummary(configured=True, view=VIEW))
    line = next(line for line in render_terminal(built).splitlines() if line.strip().startswith("logs"))
    assert "75.00% (3/4 reached the last milestone)" in line and "p95 1800 ms" in line
    assert "| Log milestone availability | 75.00% (3/4" in render_markdown(built)


def test_without_a_logs_section_the_report_says_not_configured() -> None:
    plain = spec("spec_full.yaml")
    assert plain.logs is None
    summary = measure_logs(plain, run(), [], LogsSource(skipped="not configured"))
    assert summary == LogsSummary.not_configured()
    logs = report(summary).to_dict()["logs"]
    assert (logs["configured"], logs["sli"]["availability"], logs["notes"]) == (False, None, [NOT_CONFIGURED])
    assert NOT_CONFIGURED in render_terminal(report(summary))


def test_a_report_rebuilt_without_reading_logs_has_no_logs_key() -> None:
    assert "logs" not in report(None).to_dict()


LOGS_SECTION = """
logs:
  log_groups: ["/aws/lambda/OrdersHandler", "/aws/lambda/DeliveryHandler"]
  correlation_field: correlation_id
  milestone_field: status
  first_milestone: {name: START, log_group: /aws/lambda/OrdersHandler}
  last_milestone: {name: COMPLETED, log_group: /aws/lambda/DeliveryHandler}
  failure_milestone: FAILED
"""


def spec_with_logs() -> ProbeSpec:
    """probes/orders.yaml, whose ``logs`` section is the reference chain's (without its exception fields)."""
    text = (REPO / "probes" / "orders.yaml").read_text()
    head, _, tail = text.partition("\nlogs:")
    rest = tail[tail.index("\ncloudwatch_publish:") :]
    return parse_spec(head + "\n" + LOGS_SECTION.strip() + "\n" + rest, source="orders-logs.yaml")


class RefusingLogs:
    def start_query(self, **kwargs: Any) -> Mapping[str, Any]:
        raise ValueError("ResourceNotFoundException: The specified log group does not exist.")

    def get_query_results(self, **kwargs: Any) -> Mapping[str, Any]:
        raise AssertionError("never reached")

    def stop_query(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}


def test_a_missing_log_group_is_a_note_never_a_failed_run() -> None:
    with_logs = spec_with_logs()
    orders = [order(1)]
    summary = measure_logs(
        with_logs, run(), orders, LogsSource(client=RefusingLogs(), endpoints={}, wait_s=1)
    )
    assert summary is not None and summary.configured and summary.view is None
    assert summary.notes == (
        "the log query was not started: ValueError: ResourceNotFoundException: "
        "The specified log group does not exist.",
    )
    built = report(summary)
    assert built.to_dict()["logs"]["sli"]["availability"] is None
    assert "not measured: the log query was not started" in render_terminal(built)


def test_a_source_without_a_client_says_why() -> None:
    with_logs = spec_with_logs()
    summary = measure_logs(with_logs, run(), [], LogsSource(skipped="the target has no CloudWatch Logs"))
    assert summary == LogsSummary(
        configured=True, notes=("the log view was not read: the target has no CloudWatch Logs",)
    )
