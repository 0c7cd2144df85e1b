"""The ``>>>`` examples in the modules' docstrings run as written (and each module listed has some)."""

from __future__ import annotations

import doctest
import importlib

import pytest

from tests.unit.plugin_source import use_plugin_source

use_plugin_source()  # the LocalStack plugin's pure modules, from its source tree

MODULES = [
    "chainprobe.spec.checks",
    "chainprobe.verify.answer_text",
    "chainprobe.spec.duration",
    "chainprobe.spec.paths",
    "chainprobe.spec.reader",
    "chainprobe.spec.request",
    "chainprobe.spec.template",
    "chainprobe.spec.variables",
    "chainprobe.drive.load.shapes",
    "chainprobe.drive.load.schedule",
    "chainprobe.drive.load.context",
    "chainprobe.drive.load.loopback",
    "chainprobe.ledger.location",
    "chainprobe.run_lifecycle",
    "chainprobe.measure.budget",
    "chainprobe.measure.budget_stages",
    "chainprobe.measure.fault_log",
    "chainprobe.measure.sli",
    "chainprobe.measure.logsinsights",
    "chainprobe.measure.logsinsights.errors",
    "chainprobe.measure.run_traffic",
    "chainprobe.report.alarms.exceptions",
    "chainprobe.report.alarms.sources",
    "chainprobe.report.slo_export.ratio",
    "chainprobe.stacks.local.fault_names",
    "chainprobe.pytest_plugin.kinds",
    "chainprobe_localstack.cloudwatch.alarm_rule",
    "chainprobe_localstack.cloudwatch.alarm_state",
    "chainprobe_localstack.lambda_.timeout_log",
    "chainprobe_localstack.faults.locations",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, report=True)
    assert result.attempted > 0 and result.failed == 0
