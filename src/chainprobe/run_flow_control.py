"""A run with the courier scenario's flow control (``--flow-control on|off``): set before the first
order, measured and written after the run.

Before: the scenario file is read (``chainprobe.spec.flow_control``; a bad file or value: exit 2), the
delivery function's SQS mapping gets the setting's BatchSize and MaximumConcurrency and the courier
profile's stubs are loaded (``chainprobe.stacks.flow_control``; not possible: exit 3), and the DLQ's
depth is read. After: the courier journal's calls for the run's orders, the DLQ's depth again, the
figures (``chainprobe.measure.flow_control``) and their lines (``chainprobe.report.flow_control``):
``flow.json`` and a ``## Courier flow control`` section of ``summary.md`` in the report directory (and
of ``report.html`` when the run wrote one).
On leaving, the profile's stubs are removed from the courier; the mapping keeps the setting.

Example::

    with flow_control(choice="off", scenario_path=Path("probes/flow-control.yaml"), say=print) as flow:
        outcome = run_canary(spec_path=..., count=40, rate=10, report_dir=out, say=print, target=flow.target)
        lines = flow.conclude(outcome.report, spec=load_spec(...), report_dir=out)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chainprobe.measure.flow_control import FlowFigures, flow_figures
from chainprobe.report import RunReport
from chainprobe.report.flow_control import flow_dict, flow_html, flow_lines, flow_markdown, with_flow_section
from chainprobe.report.writer import write_text_atomically
from chainprobe.spec.flow_control import FlowScenario, FlowSetting, RateLimit, load_flow_scenario, rate_limit
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import render
from chainprobe.stacks import paths
from chainprobe.stacks.flow_control import DeliveryFlow
from chainprobe.target import Target, resolve_target
from chainprobe.verify.courier import CourierJournal

__all__ = ["FlowRun", "describe", "flow_control"]

Say = Callable[[str], None]


def describe(setting: FlowSetting) -> str:
    """``off (batch 10, no maximum concurrency)``."""
    maximum = setting.maximum_concurrency
    concurrency = "no maximum concurrency" if maximum is None else f"maximum concurrency {maximum}"
    return f"{setting.name} (batch {setting.batch_size}, {concurrency})"


@dataclass
class FlowRun:
    """The setting a run was given, and what is needed to measure it afterwards."""

    target: Target
    scenario: FlowScenario
    setting: FlowSetting
    delivery: DeliveryFlow
    limit: RateLimit | None
    dlq_before: int

    def conclude(
        self, report: RunReport, *, spec: ProbeSpec, report_dir: Path | None, html: Path | None = None
    ) -> list[tuple[str, str]]:
        """The run's figures as terminal lines; with a report directory, ``flow.json`` and Markdown; a
        section of the run's ``html`` report when it wrote one."""
        figures = self.figures(report, spec)
        setting = describe(self.setting)
        if report_dir is not None:
            scenario = {
                "source": self.scenario.source,
                "courier_profile": str(self.scenario.courier_profile),
                "batch_size": self.setting.batch_size,
                "maximum_concurrency": self.setting.maximum_concurrency,
                "rate_limit": None if self.limit is None else vars(self.limit),
            }
            document = flow_dict(
                figures, run_id=report.run.run_id, setting=self.setting.name, scenario=scenario
            )
            write_text_atomically(report_dir / "flow.json", json.dumps(document, indent=2) + "\n")
            markdown = report_dir / "summary.md"
            if markdown.exists():
                text = markdown.read_text(encoding="utf-8").rstrip("\n") + "\n"
                write_text_atomically(markdown, text + flow_markdown(figures, setting=setting))
        if html is not None and html.exists():
            section = flow_html(figures, setting=setting)
            write_text_atomically(html, with_flow_section(html.read_text(encoding="utf-8"), section))
        return flow_lines(figures, setting=setting)

    def figures(self, report: RunReport, spec: ProbeSpec) -> FlowFigures:
        sent = {order.order_id: order.sent_at for order in report.orders if order.sent_at is not None}
        calls = []
        if spec.courier is not None and sent:
            journal = CourierJournal(
                admin_url=str(
                    render(spec.courier.admin_url, self.target.endpoints, field="courier.admin_url")
                ),
                method=spec.courier.method,
                url_path=spec.courier.url_path,
                order_id_path=spec.courier.order_id_json_path,
            )
            try:
                calls = [
                    call
                    for found in journal.calls_since(min(sent.values()), set(sent)).values()
                    for call in found
                ]
            finally:
                journal.close()
        return flow_figures(
            calls,
            sent=sent,
            deadline_s=spec.delivery_deadline(),
            limit_per_second=None if self.limit is None else self.limit.per_second,
            dlq_before=self.dlq_before,
            dlq_after=self.delivery.dlq_depth(self.scenario.dlq),
            expected_status=spec.courier.expected_status if spec.courier is not None else (200, 201),
            client_timeout_ms=spec.courier.client_timeout_ms if spec.courier is not None else None,
        )


@contextmanager
def flow_control(*, choice: str, scenario_path: Path, say: Say) -> Iterator[FlowRun]:
    """The scenario's ``choice`` (on|off) set on the target's chain; its courier profile loaded inside."""
    scenario = load_flow_scenario(scenario_path, profiles=paths.stubs_dir() / "profiles")
    setting = scenario.setting(choice)
    stubs = scenario.profile_mappings()
    limit = rate_limit(stubs)
    target = resolve_target(say=say)
    delivery = DeliveryFlow(
        target.clients, courier_url=str(target.endpoints["courier_url"]), function=scenario.function
    )
    delivery.apply(setting)
    dlq_before = delivery.dlq_depth(scenario.dlq)
    say(
        f"flow control {describe(setting)} on {scenario.function}; "
        f"courier profile {scenario.courier_profile.name}"
    )
    with delivery.courier_profile(stubs):
        yield FlowRun(target, scenario, setting, delivery, limit, dlq_before)
