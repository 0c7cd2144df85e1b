"""``--flow-control on|off``: a bad value or scenario is one line and exit 2 before anything happens; a
mapping that cannot be found or updated is one line and exit 3 before the first order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chainprobe.cli.main import build_parser, main
from chainprobe.stacks.clients import AwsClients
from chainprobe.target import Target

ROOT = Path(__file__).resolve().parents[3]
SPEC = str(ROOT / "probes" / "orders.yaml")
SCENARIO = str(ROOT / "probes" / "flow-control.yaml")
QUEUE = "arn:aws:sqs:us-east-1:000000000000:DeliveryQueue"


class FakeLambda:
    def __init__(self, mappings: list[dict[str, Any]], refuse: bool = False) -> None:
        self.mappings = mappings
        self.refuse = refuse
        self.updates: list[dict[str, Any]] = []

    def list_event_source_mappings(self, FunctionName: str) -> dict[str, Any]:
        return {"EventSourceMappings": self.mappings}

    def update_event_source_mapping(self, **update: Any) -> dict[str, Any]:
        if self.refuse:
            raise ClientError(
                {"Error": {"Code": "InvalidParameterValueException", "Message": "no"}}, "Update"
            )
        self.updates.append(update)
        return update


def run(monkeypatch: pytest.MonkeyPatch, lam: FakeLambda, *args: str) -> int:
    clients = AwsClients(region="us-east-1", _cache={"lambda": lam})
    target = Target(name="local", endpoints={"courier_url": "http://127.0.0.1:9"}, clients=clients)
    monkeypatch.setattr("chainprobe.run_flow_control.resolve_target", lambda **_: target)

    def no_run(**_: Any) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr("chainprobe.cli.run_commands.run_canary", no_run)
    monkeypatch.setattr("chainprobe.cli.load_commands.run_load", no_run)
    return main(list(args))


def test_the_options_and_their_defaults() -> None:
    args = build_parser().parse_args(["canary", "--spec", SPEC])
    assert (args.flow_control, args.flow_scenario) == (None, Path("probes/flow-control.yaml"))
    args = build_parser().parse_args(
        ["load", "--shape", "x", "--flow-control", "off", "--flow-scenario", "f.yaml"]
    )
    assert (args.flow_control, args.flow_scenario) == ("off", Path("f.yaml"))


@pytest.mark.parametrize("command", [["canary", "--spec", SPEC], ["load", "--shape", "ramp-hold"]])
def test_a_bad_value_is_one_line_and_exit_2(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        run(monkeypatch, FakeLambda([]), *command, "--flow-control", "maybe")
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--flow-control: invalid choice: 'maybe'" in err


def test_a_bad_scenario_file_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "flow.yaml"
    bad.write_text(
        'courier_profile: slow\nfunction: F\ndlq: D\n"on": {batch_size: 0}\n"off": {batch_size: 1}\n'
    )
    code = run(
        monkeypatch,
        FakeLambda([]),
        "canary",
        "--spec",
        SPEC,
        "--flow-control",
        "on",
        "--flow-scenario",
        str(bad),
    )
    assert code == 2
    assert (
        capsys.readouterr().err
        == f"chainprobe: {bad}: on.batch_size: expected a whole number 1..10000, got 0\n"
    )


@pytest.mark.parametrize(
    ("lam", "line"),
    [
        (FakeLambda([]), "expected one SQS event source mapping of DeliveryHandler, found 0"),
        (
            FakeLambda([{"UUID": "u", "EventSourceArn": QUEUE}], refuse=True),
            "the mapping of DeliveryHandler refused",
        ),
    ],
)
@pytest.mark.parametrize("command", [["canary", "--spec", SPEC], ["load", "--shape", "ramp-hold"]])
def test_a_mapping_not_found_or_not_updated_is_one_line_and_exit_3(
    command: list[str],
    lam: FakeLambda,
    line: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(monkeypatch, lam, *command, "--flow-control", "off", "--flow-scenario", SCENARIO)
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("\n") == 1 and line in err


def test_the_setting_is_put_on_the_mapping_as_the_scenario_says(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainprobe.spec.flow_control import FlowSetting
    from chainprobe.stacks.flow_control import DeliveryFlow

    lam = FakeLambda([{"UUID": "u-1", "EventSourceArn": QUEUE}])
    flow = DeliveryFlow(
        AwsClients(region="us-east-1", _cache={"lambda": lam}), courier_url="http://x", function="F"
    )
    flow.apply(FlowSetting("on", batch_size=5, maximum_concurrency=2))
    flow.apply(FlowSetting("off", batch_size=10, maximum_concurrency=None))
    assert lam.updates == [
        {"UUID": "u-1", "BatchSize": 5, "ScalingConfig": {"MaximumConcurrency": 2}},
        {"UUID": "u-1", "BatchSize": 10, "ScalingConfig": {}},
    ]
