"""``chainprobe reconcile --run ID --suggest`` on the real local stack: the suggested expression closes
the gap a swallowed PutEvents failure leaves, on the very window the run was reconciled over.

A naive-mode canary of six orders, every third marked ``events-entry-failure`` (as in
test_reconciliation.py, whose isolation it shares: a fresh period, a 5-second period, the denominator
asserted to hold exactly the canary's orders). The spec's metric math reads 100%; the black box 4/6.
The command, run as a user runs it, suggests adding the account-wide PutEventsFailedEntriesCount, and
its expression over the same window reads the black box's 4/6. The command runs before the stack goes
back to strict mode, so the redeploy's own smoke order cannot enter the window.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chainprobe.ledger.model import FailureClass
from chainprobe.spec.variables import endpoint_variables
from chainprobe.target import Target
from tests.integration.conftest import RunningStack
from tests.integration.test_local_stack import redeploy
from tests.integration.test_reconciliation import COUNT, MARKED, bad_orders, reconciled_canary

CHAINPROBE = Path(sys.executable).with_name("chainprobe")


def test_the_suggested_expression_closes_a_swallowed_publish_failure(
    local_stack: RunningStack, ledger_path: Path, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    redeploy(local_stack, "naive")
    try:
        target = Target(
            name="local",
            endpoints=endpoint_variables(local_stack.stack.status()),
            clients=local_stack.clients,
        )
        report = reconciled_canary(target, tmp_path, "events-entry-failure")
        command = [str(CHAINPROBE), "reconcile", "--run", report["run_id"], "--suggest", "--wait", "60"]
        done = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=300, check=False)
    finally:
        redeploy(local_stack, "strict")
    print(done.stdout, done.stderr)

    assert bad_orders(ledger_path, report["run_id"]) == dict.fromkeys(MARKED, FailureClass.EVENT_MISSING)
    assert (report["reconciliation"]["requests"], report["metric_math"]["availability"]) == (COUNT, 1.0)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"run {report['run_id']}: black box 66.67%, metric math 100.00% (gap -33.33 pp)")
    assert "event_missing: add AWS/Events PutEventsFailedEntriesCount (putEventsFailedEntries" in out
    assert "still misses: nothing of this class, but it is account-wide" in out
    assert "suggested expression on the same window: 66.67% (gap +0.00 pp), the spec's own 100.00%" in out
    block = yaml.safe_load(out[out.index("metric_math:") :])["metric_math"]
    [availability] = [q for q in block["Metrics"] if q["Id"] == block["availability_id"]]
    assert re.search(
        r"FILL\(putEventsFailedEntries,0\)\) / MAX\(\[totalRequests\], 1\)\)$", availability["Expression"]
    )
    [added] = [q for q in block["Metrics"] if q["Id"] == "putEventsFailedEntries"]
    assert added["MetricStat"] == {
        "Metric": {"Namespace": "AWS/Events", "MetricName": "PutEventsFailedEntriesCount"},
        "Period": 5,
        "Stat": "Sum",
    }
    assert report["sli"]["availability"] == pytest.approx(4 / 6, abs=1e-6)
