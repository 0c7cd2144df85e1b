"""``chainprobe budget``: bad input is one line and exit 2, an unreachable CloudWatch exit 3, and the exit
code says whether a budget is exhausted or a page fires now (CloudWatch faked; the replay is real)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chainprobe.cli import budget_commands
from chainprobe.cli.main import main
from chainprobe.measure.budget_history import read_history
from chainprobe.measure.budget_window import STAT, SliDefinition
from chainprobe.stacks.clients import AwsClients
from chainprobe.target import Target
from tests.unit.measure.cloudwatch_fake import FakeCloudWatch

SPEC = Path(__file__).parents[3] / "probes" / "orders.yaml"
NOW = 1_796_000_000 // 60 * 60  # a minute boundary


class FakeClients(AwsClients):
    def __init__(self, cloudwatch: FakeCloudWatch) -> None:
        super().__init__(region="us-east-1")
        self.fake = cloudwatch

    def client(self, service: str) -> Any:
        assert service == "cloudwatch"
        return self.fake


def run_budget(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, points: dict[tuple[str, str], list[tuple[float, float]]]
) -> tuple[int, dict[str, Any]]:
    monkeypatch.setenv("CHAINPROBE_LEDGER", str(tmp_path / "no-ledger.sqlite"))
    target = Target(name="local", endpoints={}, clients=FakeClients(FakeCloudWatch(points)))
    monkeypatch.setattr(budget_commands, "resolve_target", lambda **_: target)
    monkeypatch.setattr(budget_commands.time, "time", lambda: float(NOW))
    code = main(["budget", "--spec", str(SPEC), "--report-dir", str(tmp_path / "out"), "--html"])
    return code, json.loads((tmp_path / "out" / "budget.json").read_text())


def test_a_burst_now_pages_and_exits_1_a_quiet_history_exits_0(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    minute = NOW - 120
    burst = {
        ("Chainprobe", "OrdersGood"): [(minute - 3600, 20.0), (minute, 0.0)],
        ("Chainprobe", "OrdersBad"): [(minute - 3600, 0.0), (minute, 20.0)],
    }
    code, report = run_budget(monkeypatch, tmp_path, burst)
    blackbox = report["slis"]["blackbox"]
    assert code == 1
    assert report["paging"] == ["blackbox page-fast", "blackbox page-slow"]
    assert blackbox["requests"] == 40 and blackbox["error_rate"] == pytest.approx(0.5)
    assert blackbox["budget"]["consumed"]["minutes"] == pytest.approx(0.5 / 0.005 * 216)
    assert blackbox["time_to_first_page_s"] == 60
    assert (tmp_path / "out" / "budget.html").read_text().count("<svg") >= 6
    printed = capsys.readouterr().out
    assert "consumed 10000.0% (21600.0 min)" in printed
    assert "first page: page-fast 1 min after the first bad minute" in printed
    assert printed.endswith(
        "verdict: budget exhausted: blackbox; paging now: blackbox page-fast, blackbox page-slow\n"
    )
    assert "| black-box SLI (canary verdicts) | 40 |" in (tmp_path / "out" / "budget.md").read_text()

    # Ten days ago: nothing fires now, but the window's budget is spent.
    old = {
        ("Chainprobe", "OrdersGood"): [(minute - 10 * 86_400, 20.0)],
        ("Chainprobe", "OrdersBad"): [(minute - 10 * 86_400, 20.0)],
    }
    code, report = run_budget(monkeypatch, tmp_path, old)
    assert code == 1 and report["paging"] == [] and report["exhausted"] == ["blackbox"]
    assert capsys.readouterr().out.endswith("verdict: budget exhausted: blackbox\n")

    quiet = {("Chainprobe", "OrdersGood"): [(minute, 20.0)], ("Chainprobe", "OrdersBad"): [(minute, 0.0)]}
    code, report = run_budget(monkeypatch, tmp_path, quiet)
    assert code == 0 and report["paging"] == [] and report["slis"]["blackbox"]["alerts"] == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--window", "5x"], "argument --window: expected a duration"),
        (["--window", "90s"], "argument --window: expected whole minutes"),
        (["--at", "yesterday"], "argument --at: expected an ISO 8601 time"),
        (["--html"], "--html writes budget.html into --report-dir"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _exit(["budget", "--spec", str(SPEC), *argv])
    err = capsys.readouterr().err
    assert code == 2 and says in err and err.count("\n") == 1


def test_an_unknown_spec_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["budget", "--spec", "nope.yaml"]) == 2
    assert (
        capsys.readouterr().err
        == "chainprobe: nope.yaml: cannot read the spec file (No such file or directory)\n"
    )


def test_an_unreachable_cloudwatch_is_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHAINPROBE_API_URL", "http://127.0.0.1:9/prod")
    monkeypatch.setenv("CHAINPROBE_AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert main(["budget", "--spec", str(SPEC)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("chainprobe: AWS endpoint: Could not connect") and err.count("\n") == 1


def test_the_history_is_read_in_chunks_at_the_period_cloudwatch_keeps() -> None:
    sli = SliDefinition(
        key="k",
        title="t",
        queries=({"Id": "g", "MetricStat": dict(STAT)}, {"Id": "a", "Expression": "g"}),
        availability_id="a",
        requests_ids=("g",),
        missing_breaches=False,
    )
    fake = FakeCloudWatch({("N", "M"): [(NOW - 20 * 86_400 + 30, 1.0), (NOW - 60, 2.0)]})
    history = read_history(
        sli, start=NOW - 30 * 86_400, end=NOW, get_metric_data=fake.get_metric_data, now=NOW
    )
    assert history == {NOW - 20 * 86_400: {"g": 1.0}, NOW - 60: {"g": 2.0}}
    periods = [call["MetricDataQueries"][0]["MetricStat"]["Period"] for call in fake.calls]
    assert periods == [
        300,
        60,
    ]  # older than 15 days: 5-minute data; younger: 1-minute, 100,800 points per call


def _exit(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
