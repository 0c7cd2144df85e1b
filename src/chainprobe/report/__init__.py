"""Run reports: one ``RunReport`` model, written as JSON, JUnit XML, Markdown, HTML (with inline SVG charts)
and a terminal summary.

Example::

    from chainprobe.report import build_report, render_terminal, write_reports

    report = build_report(run=ledger.get_run(run_id), orders=ledger.orders(run_id), spec=spec)
    print(render_terminal(report), end="")
    write_reports(report, report_dir)          # report.json, junit.xml, summary.md
    write_reports(report, report_dir, html=True)   # ... and report.html
    raise SystemExit(0 if report.gate.met else 1)

The gate's rules are in ``chainprobe.report.gate``; publishing a run as CloudWatch custom metrics (names,
units, dimensions) in ``chainprobe.report.cloudwatch``.
"""

from chainprobe.report.build import build_report, sli_for_spec, worst_orders
from chainprobe.report.cloudwatch import MetricPublisher, PublishedMetrics, run_metrics
from chainprobe.report.gate import evaluate_gate
from chainprobe.report.html import render_html
from chainprobe.report.json_report import render_json
from chainprobe.report.junit import render_junit
from chainprobe.report.markdown import render_markdown
from chainprobe.report.model import (
    REPORT_SCHEMA,
    BudgetSummary,
    MetricMathSummary,
    ObjectiveResult,
    ReconciliationSummary,
    RunReport,
    SloGate,
)
from chainprobe.report.terminal import render_terminal
from chainprobe.report.writer import ReportFiles, write_html, write_reports

__all__ = [
    "REPORT_SCHEMA",
    "BudgetSummary",
    "MetricMathSummary",
    "MetricPublisher",
    "ObjectiveResult",
    "PublishedMetrics",
    "ReconciliationSummary",
    "ReportFiles",
    "RunReport",
    "SloGate",
    "build_report",
    "evaluate_gate",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_terminal",
    "run_metrics",
    "sli_for_spec",
    "worst_orders",
    "write_html",
    "write_reports",
]
