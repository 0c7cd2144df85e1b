"""The pipeline, in the order it runs: load -> model -> validate -> render.

Example::

    from chainprobe.report.alarms import generate_alarms
    from chainprobe.spec import endpoint_variables

    generated = generate_alarms("probes/orders.yaml", variables=endpoint_variables())
    Path("alarms.yaml").write_text(generated.template)
    generated.notes        # what could not be checked, what was left off the dashboard

Each stage is one module: ``inputs.load_inputs`` (spec + windows), ``plan.plan_alarms`` (the model),
``limits.check_limits`` (refuses what CloudWatch or CloudFormation would), ``template.render_template``
(YAML). Raises ``AlarmsError`` subclasses, ``SpecError`` and ``BudgetError``, each one line; nothing
is written by this function.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chainprobe.report.alarms.inputs import load_inputs
from chainprobe.report.alarms.limits import check_limits, check_template_size
from chainprobe.report.alarms.model import AlarmPlan
from chainprobe.report.alarms.plan import plan_alarms
from chainprobe.report.alarms.template import render_template
from chainprobe.spec.template import Scalar

__all__ = ["GeneratedAlarms", "generate_alarms"]


@dataclass(frozen=True, kw_only=True)
class GeneratedAlarms:
    """The checked model, the template text and the notes for the reader."""

    plan: AlarmPlan
    template: str
    notes: tuple[str, ...]


def generate_alarms(
    spec_path: str | os.PathLike[str],
    *,
    windows_path: str | os.PathLike[str] | None = None,
    variables: Mapping[str, Scalar] | None = None,
) -> GeneratedAlarms:
    """The CloudFormation template of burn-rate alarms and dashboard for the spec at ``spec_path``."""
    inputs = load_inputs(spec_path, windows_path=windows_path, variables=variables)
    plan = plan_alarms(inputs)
    checked = check_limits(plan)
    template = render_template(plan)
    size = check_template_size(template)
    return GeneratedAlarms(plan=plan, template=template, notes=(*plan.notes, *checked, *size))
