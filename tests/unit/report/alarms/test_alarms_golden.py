"""Golden files: the whole ``chainprobe alarms`` pipeline (load -> model -> validate -> render).

``orders.template.yaml`` is the template for probes/orders.yaml, ``blackbox_only.template.yaml`` for a spec
with no metric_math (black-box alarms only). Regenerate after an intended change with
``CHAINPROBE_UPDATE_GOLDEN=1 pytest tests/unit/report/alarms`` and review the diff. When the local stack's
tools are installed, cfn-lint (shipped with LocalStack) checks the golden templates against
CloudFormation's resource schemas too.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml
from alarm_specs import GOLDEN, ORDERS

from chainprobe.report.alarms import generate_alarms
from chainprobe.stacks.local.tools import tools_layout

UPDATE = os.environ.get("CHAINPROBE_UPDATE_GOLDEN") == "1"
CASES = {
    "orders.template.yaml": ORDERS,
    "blackbox_only.template.yaml": GOLDEN / "spec_blackbox_only.yaml",
}
CFN_LINT = tools_layout().localstack_python.parent / "cfn-lint"


@pytest.mark.parametrize("golden", sorted(CASES))
def test_the_template_matches_its_golden_file(golden: str) -> None:
    template = generate_alarms(CASES[golden], variables={}).template
    expected = GOLDEN / golden
    if UPDATE:
        expected.write_text(template)
    assert template == expected.read_text(), f"{golden} differs from the golden file"


def test_the_orders_template_holds_what_the_design_asks_for() -> None:
    template = yaml.safe_load((GOLDEN / "orders.template.yaml").read_text())
    resources = template["Resources"]
    kinds = [resource["Type"] for resource in resources.values()]
    assert kinds.count("AWS::CloudWatch::Alarm") == 12
    assert kinds.count("AWS::CloudWatch::CompositeAlarm") == 6
    assert kinds.count("AWS::CloudWatch::Dashboard") == 1
    assert set(template["Parameters"]) == {"NamePrefix", "PageTopicArn", "TicketTopicArn"}
    composite = resources["SliPageFast"]["Properties"]
    assert composite["AlarmRule"] == {
        "Fn::Sub": 'ALARM("${SliPageFastLong.Arn}") AND ALARM("${SliPageFastShort.Arn}")'
    }
    assert composite["AlarmActions"] == [{"Ref": "PageTopicArn"}]
    assert resources["BlackboxTicket"]["Properties"]["AlarmActions"] == [{"Ref": "TicketTopicArn"}]
    ticket_long = resources["SliTicketLong"]["Properties"]
    assert ticket_long["Threshold"] == 0.005
    assert {q["MetricStat"]["Period"] for q in ticket_long["Metrics"] if "MetricStat" in q} == {259200}


def test_the_blackbox_only_template_has_no_metric_math_sli() -> None:
    template = yaml.safe_load((GOLDEN / "blackbox_only.template.yaml").read_text())
    resources = template["Resources"]
    assert not [name for name in resources if name.startswith("Sli")]
    assert len([name for name in resources if name.startswith("Blackbox")]) == 9
    query = resources["BlackboxPageFastLong"]["Properties"]["Metrics"][0]["MetricStat"]["Metric"]
    assert query["Namespace"] == "Shop/Probes"
    assert query["Dimensions"] == [{"Name": "Probe", "Value": "checkout"}, {"Name": "Env", "Value": "prod"}]
    assert template["Parameters"]["NamePrefix"]["Default"] == "chainprobe-checkout-v2"
    # 99.9%: page-fast at 14.4 x 0.001
    assert resources["BlackboxPageFastShort"]["Properties"]["Threshold"] == 0.0144


@pytest.mark.skipif(
    not CFN_LINT.exists(), reason="cfn-lint comes with the local stack's tools (scripts/setup)"
)
@pytest.mark.parametrize("golden", sorted(CASES))
def test_cfn_lint_finds_nothing_in_the_golden_templates(golden: str) -> None:
    result = subprocess.run(
        [str(CFN_LINT), str(GOLDEN / golden)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
