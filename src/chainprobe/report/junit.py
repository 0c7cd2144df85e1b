"""The CI report: ``junit.xml``, one test case per stage and per SLO objective.

Test cases, in class ``chainprobe.<spec>.stage``: ``api``, ``dynamodb``, ``event``, ``courier`` — failed
when an order failed there (listing each bad order id and its class, at most 50), skipped when the spec
does not verify the stage. In class ``chainprobe.<spec>.slo``: ``availability``, ``latency`` and, when the
spec states one, ``delivery`` — failed when the objective is not met (``availability`` also when orders
are still pending), skipped when not stated. A run that asked for faults has one case per fault in class
``chainprobe.<spec>.faults``, failed when marked orders have no fault-log entry (the fault never fired on
them). Built with ``xml.etree``, so the XML is well-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from chainprobe.ledger.model import OrderRecord, Stage
from chainprobe.measure.sli import Interval
from chainprobe.report.formatting import interval_text, ms, percent
from chainprobe.report.model import ObjectiveResult, RunReport
from chainprobe.report.timefmt import iso_seconds

__all__ = ["MAX_LISTED_ORDERS", "render_junit"]

MAX_LISTED_ORDERS = 50
_STAGES = (Stage.API, Stage.DYNAMODB, Stage.EVENT, Stage.COURIER)


def render_junit(report: RunReport) -> str:
    """The report as JUnit XML text (with declaration, indented, ending with a newline)."""
    suite = ET.Element("testsuite", name=f"chainprobe.{report.run.spec_name}")
    suite.append(_properties(report))
    cases = [_stage_case(report, stage) for stage in _STAGES] + _slo_cases(report) + _fault_cases(report)
    suite.extend(cases)
    _count(suite, cases)
    suite.set("timestamp", iso_seconds(report.run.started_at))
    suite.set("time", f"{report.duration_s or 0.0:.3f}")
    root = ET.Element("testsuites", name="chainprobe")
    root.append(suite)
    _count(root, cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _properties(report: RunReport) -> ET.Element:
    properties = ET.Element("properties")
    values = {
        "run_id": report.run.run_id,
        "target": report.run.target,
        "spec_path": report.run.spec_path,
        "slo_met": str(report.gate.met).lower(),
        "complete": str(report.complete).lower(),
    }
    if report.run.end_reason is not None:
        values["end_reason"] = report.run.end_reason
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=value)
    return properties


def _stage_case(report: RunReport, stage: Stage) -> ET.Element:
    case = ET.Element("testcase", classname=f"chainprobe.{report.run.spec_name}.stage", name=stage.value)
    if stage not in report.verified_stages:
        ET.SubElement(case, "skipped", message="not verified by this spec")
        return case
    failed = [order for order in report.orders if _failure_at(order, stage) is not None]
    if failed:
        classes = Counter(str(_failure_at(order, stage)) for order in failed)
        summary = ", ".join(f"{name}: {count}" for name, count in sorted(classes.items()))
        failure = ET.SubElement(
            case,
            "failure",
            message=f"{len(failed)} of {report.sli.sent} orders failed at {stage.value} ({summary})",
            type=classes.most_common(1)[0][0],
        )
        failure.text = _order_lines(failed, stage)
    return case


def _fault_cases(report: RunReport) -> list[ET.Element]:
    """One case per fault asked for: failed when the fault log does not name every marked order."""
    if report.faults is None:
        return []
    cases = []
    for check in report.faults.checks:
        case = ET.Element("testcase", classname=f"chainprobe.{report.run.spec_name}.faults", name=check.fault)
        if check.unlogged:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{len(check.unlogged)} of {check.marked} marked orders have no fault-log entry "
                f"(markers at {report.faults.marker_path})",
                type="fault_not_fired",
            )
            failure.text = "\n".join(check.unlogged[:MAX_LISTED_ORDERS])
        cases.append(case)
    return cases


def _slo_cases(report: RunReport) -> list[ET.Element]:
    cases = []
    for name in ("availability", "latency", "delivery"):
        result = report.gate.objective(name)
        if result is None and name == "delivery":
            continue
        case = ET.Element("testcase", classname=f"chainprobe.{report.run.spec_name}.slo", name=name)
        if result is None:
            ET.SubElement(case, "skipped", message=f"no {name} objective in the spec")
        else:
            _judge(case, report, result)
        cases.append(case)
    return cases


def _judge(case: ET.Element, report: RunReport, result: ObjectiveResult) -> None:
    problems = [] if result.met or not result.gating else [f"{result.description}: got {_actual(result)}"]
    if result.name == "availability":
        problems.extend(report.gate.incomplete)
    if problems:
        kind = "slo_breached" if result.measured else "slo_not_measured"
        ET.SubElement(case, "failure", message="; ".join(problems), type=kind)
    out = ET.SubElement(case, "system-out")
    out.text = _measurement(report, result)


def _measurement(report: RunReport, result: ObjectiveResult) -> str:
    parts = [f"{result.description}: measured {_actual(result)}"]
    interval = _interval(report, result.name)
    if result.name == "latency" and report.sli.latency.within_threshold is not None:
        parts.append(f"{percent(report.sli.latency.within_threshold)} within the threshold")
    if interval is not None:
        parts.append(interval_text(interval))
    if result.inconclusive:
        parts.append("inconclusive: the interval straddles the objective")
    if not result.gating:
        parts.append("reported only (gate: false)")
    return "; ".join(parts)


def _interval(report: RunReport, name: str) -> Interval | None:
    if name == "latency":
        return report.sli.latency.within_interval
    sli = report.sli.delivery if name == "delivery" else report.sli.chain
    return sli.interval if sli is not None else None


def _actual(result: ObjectiveResult) -> str:
    if not result.measured:
        return "not measured"
    return ms(result.actual) if result.name == "latency" else percent(result.actual)


def _failure_at(order: OrderRecord, stage: Stage) -> str | None:
    for failure in (order.chain_failure, order.delivery_failure):
        if failure is not None and failure.stage is stage:
            return failure.value
    return None


def _order_lines(orders: list[OrderRecord], stage: Stage) -> str:
    lines = [_order_line(order, stage) for order in orders[:MAX_LISTED_ORDERS]]
    if len(orders) > MAX_LISTED_ORDERS:
        lines.append(f"... and {len(orders) - MAX_LISTED_ORDERS} more")
    return "\n".join(lines)


def _order_line(order: OrderRecord, stage: Stage) -> str:
    status = f" status={order.api_status}" if order.api_status is not None else ""
    details = f" {order.details}" if order.details else ""
    return f"seq={order.seq} order_id={order.order_id} class={_failure_at(order, stage)}{status}{details}"


def _count(element: ET.Element, cases: list[ET.Element]) -> None:
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    element.set("errors", "0")
    element.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))
