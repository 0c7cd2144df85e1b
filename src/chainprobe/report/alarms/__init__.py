"""Burn-rate alarms and a dashboard, as a CloudFormation template generated from a probe spec.

``chainprobe alarms --spec probes/orders.yaml [--out alarms.yaml] [--windows FILE]``; in code::

    from chainprobe.report.alarms import generate_alarms

    generated = generate_alarms("probes/orders.yaml", variables={})
    print(generated.template)             # AWSTemplateFormatVersion: '2010-09-09' ...

The pipeline, one module a stage (``generate``): ``inputs`` (spec + burn-rate windows, as data in
``measure/windows/``) -> ``plan`` (the ``model``: per SLI source and tier two metric-math alarms, period =
window, and the composite ANDing them; the ``dashboard``) -> ``limits`` (CloudWatch's and
CloudFormation's, refused in one line) -> ``template`` (YAML). SLI sources (``sources``): the spec's
``metric_math`` and, with ``cloudwatch_publish``, the canary's published verdicts; ``latency`` builds the
dashboard's end-to-end latency estimate.
"""

from chainprobe.report.alarms.exceptions import (
    AlarmsError,
    InvalidSliError,
    LimitExceededError,
    NothingToAlarmError,
    WindowsMismatchError,
)
from chainprobe.report.alarms.generate import GeneratedAlarms, generate_alarms
from chainprobe.report.alarms.inputs import AlarmInputs, load_inputs
from chainprobe.report.alarms.limits import LIMITS, Limits, check_limits, check_template_size
from chainprobe.report.alarms.model import AlarmPlan, BurnRateAlarm, Dashboard, Widget, WindowAlarm
from chainprobe.report.alarms.plan import plan_alarms
from chainprobe.report.alarms.sources import MissingData, SliSource, TreatMissingData
from chainprobe.report.alarms.template import render_template

__all__ = [
    "LIMITS",
    "AlarmInputs",
    "AlarmPlan",
    "AlarmsError",
    "BurnRateAlarm",
    "Dashboard",
    "GeneratedAlarms",
    "InvalidSliError",
    "LimitExceededError",
    "Limits",
    "MissingData",
    "NothingToAlarmError",
    "SliSource",
    "TreatMissingData",
    "Widget",
    "WindowAlarm",
    "WindowsMismatchError",
    "check_limits",
    "check_template_size",
    "generate_alarms",
    "load_inputs",
    "plan_alarms",
    "render_template",
]
