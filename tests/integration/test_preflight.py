"""Everything a run can check is checked before the first order leaves, on the real local stack.

Each bad input ends in exactly one line on stderr, the documented exit code and no traceback, and leaves
nothing behind: no run in the ledger (so nothing was sent), no capture rule or queue for a missing bus,
no secret in any output.
"""

from __future__ import annotations

import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from chainprobe.ledger.store import Ledger
from chainprobe.stacks.local.fault_names import FAULT_NAMES
from chainprobe.verify.capture import PREFIX
from chainprobe.verify.capture_cleanup import paginate
from tests.integration.conftest import RunningStack
from tests.integration.spec_variants import Spec, spec_variant
from tests.integration.test_canary import SPEC, chainprobe

API_KEY = f"apikey-{uuid.uuid4().hex}"
AWS_SECRET = f"awssecret-{uuid.uuid4().hex}"


def refused(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The one line on stderr of a run refused with ``code``."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def runs_recorded(ledger_path: Path) -> int:
    if not ledger_path.exists():
        return 0
    with Ledger(ledger_path) as ledger:
        return len(ledger.runs())


@pytest.fixture
def env_target(cli_env: dict[str, str], local_stack: RunningStack) -> dict[str, str]:
    """The session stack named by the environment, as a staging target is, with secrets in it."""
    endpoints = local_stack.endpoints
    return cli_env | {
        "CHAINPROBE_API_URL": endpoints.api_url,
        "CHAINPROBE_COURIER_URL": endpoints.courier_url,
        "CHAINPROBE_TABLE": endpoints.table,
        "CHAINPROBE_BUS": endpoints.bus,
        "CHAINPROBE_AWS_ENDPOINT_URL": local_stack.config.aws_endpoint_url,
        "CHAINPROBE_API_KEY": API_KEY,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "AWS_DEFAULT_REGION": local_stack.clients.region,
    }


def set_payload(data: Spec) -> None:
    data["send"]["payload"]["customerId"] = "${customer}"


def set_header(data: Spec) -> None:
    data["send"]["headers"]["x-customer"] = "${customer}"


def set_api_check(data: Spec) -> None:
    data["api"]["checks"][1]["equals"] = "${customer}"


def set_dynamodb_key(data: Spec) -> None:
    data["dynamodb"]["key"]["orderId"] = "${customer}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (set_payload, "send.payload.customerId"),
        (set_header, "send.headers.x-customer"),
        (set_api_check, "api.checks[1].equals"),
        (set_dynamodb_key, "dynamodb.key.orderId"),
    ],
)
def test_an_undefined_variable_is_exit_2_naming_the_field_and_no_run_is_created(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path, change: object, field: str
) -> None:
    spec = spec_variant(tmp_path, "undefined.yaml", change)  # type: ignore[arg-type]

    result = chainprobe(cli_env, "canary", "--spec", str(spec), "--count", "2", "--no-metric-math")

    line = refused(result, 2)
    assert f"{field}: unknown variable ${{customer}}" in line
    assert runs_recorded(ledger_path) == 0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999/prod", "Port out of range"),
        ("not-a-url", "no scheme"),
        ("ftp://127.0.0.1/prod", "scheme ftp"),
        ("http:///prod", "no host"),
    ],
)
def test_a_malformed_or_non_http_api_url_is_exit_2_naming_the_variable(
    env_target: dict[str, str], ledger_path: Path, url: str, problem: str
) -> None:
    result = chainprobe(
        env_target | {"CHAINPROBE_API_URL": url}, "canary", "--spec", str(SPEC), "--count", "1"
    )

    line = refused(result, 2)
    assert line.startswith("chainprobe: CHAINPROBE_API_URL: expected an http:// or https:// URL")
    assert problem in line
    assert runs_recorded(ledger_path) == 0


def test_a_spec_endpoint_rendering_to_another_scheme_is_exit_2_naming_the_field(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path
) -> None:
    def ftp(data: Spec) -> None:
        data["send"]["endpoint"] = "ftp://127.0.0.1:9/orders"

    spec = spec_variant(tmp_path, "ftp.yaml", ftp)

    line = refused(chainprobe(cli_env, "canary", "--spec", str(spec), "--count", "1"), 2)

    assert "send.endpoint: expected an http:// or https:// URL" in line and "scheme ftp" in line
    assert runs_recorded(ledger_path) == 0


def test_an_unreachable_courier_journal_is_exit_3_naming_its_url(
    cli_env: dict[str, str], ledger_path: Path
) -> None:
    env = cli_env | {"CHAINPROBE_COURIER_URL": "http://127.0.0.1:9"}

    line = refused(chainprobe(env, "canary", "--spec", str(SPEC), "--count", "1"), 3)

    assert "cannot read the courier journal at http://127.0.0.1:9/__admin/requests" in line
    assert line.endswith("Connection refused)") and "HTTPConnectionPool" not in line  # the cause, unwrapped
    assert runs_recorded(ledger_path) == 0


def test_an_unwritable_report_dir_is_exit_2_before_anything_is_sent(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a directory cannot be made inside a file, even by root

    result = chainprobe(
        cli_env, "canary", "--spec", str(SPEC), "--count", "2", "--report-dir", str(blocker / "r")
    )

    line = refused(result, 2)
    assert f"argument --report-dir: {blocker / 'r'}: cannot write reports there (Not a directory)" in line
    assert runs_recorded(ledger_path) == 0


def test_a_corrupted_ledger_is_exit_2_naming_the_file(cli_env: dict[str, str], ledger_path: Path) -> None:
    with Ledger(ledger_path) as ledger:
        run = ledger.create_run(spec_path=str(SPEC), spec_name="orders", target="local")
        for seq in range(60):
            ledger.plan_order(run.run_id, seq=seq, order_id=f"o-{run.run_id}-{seq}", planned_at=1.0)
    data = bytearray(ledger_path.read_bytes())
    data[4096:] = b"\xab" * (len(data) - 4096)  # every page after the header page is garbage
    ledger_path.write_bytes(bytes(data))

    line = refused(chainprobe(cli_env, "canary", "--spec", str(SPEC), "--count", "1"), 2)

    assert f"{ledger_path}: the ledger file is damaged" in line


def test_a_missing_bus_is_exit_2_and_leaves_no_capture_rule_or_queue(
    cli_env: dict[str, str], ledger_path: Path, local_stack: RunningStack
) -> None:
    bus = f"nosuchbus-{uuid.uuid4().hex[:8]}"

    line = refused(
        chainprobe(cli_env | {"CHAINPROBE_BUS": bus}, "canary", "--spec", str(SPEC), "--count", "1"), 2
    )

    assert f"event bus {bus} does not exist at the target" in line
    assert runs_recorded(ledger_path) == 0
    events, sqs = local_stack.clients.client("events"), local_stack.clients.client("sqs")
    rules = [
        rule["Name"]
        for each in paginate(events, "list_event_buses", "EventBuses")
        for rule in paginate(events, "list_rules", "Rules", EventBusName=each["Name"], NamePrefix=PREFIX)
    ]
    queues = sqs.list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", [])
    assert [name for name in rules if bus in name] == []
    assert [url for url in queues if bus in url] == []


def test_an_unknown_fault_is_exit_2_listing_the_known_ones(
    cli_env: dict[str, str], ledger_path: Path
) -> None:
    result = chainprobe(cli_env, "canary", "--spec", str(SPEC), "--count", "1", "--fault", "handler-5000")

    line = refused(result, 2)
    assert "unknown fault 'handler-5000'; known faults: " + ", ".join(FAULT_NAMES) in line
    assert runs_recorded(ledger_path) == 0


def test_a_fault_without_a_marker_path_is_exit_2_and_no_run_is_created(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path
) -> None:
    def unmarked(data: Spec) -> None:
        del data["send"]["fault_marker_path"]

    spec = spec_variant(tmp_path, "unmarked.yaml", unmarked)

    result = chainprobe(cli_env, "canary", "--spec", str(spec), "--count", "1", "--fault", "handler-500")

    assert "has no send.fault_marker_path" in refused(result, 2)
    assert runs_recorded(ledger_path) == 0


def test_a_secret_in_the_endpoint_url_is_never_printed(
    env_target: dict[str, str], ledger_path: Path, tmp_path: Path
) -> None:
    def key_in_url(data: Spec) -> None:
        data["send"]["endpoint"] = "${api_url}/orders?key=${api_key}"

    spec = spec_variant(tmp_path, "key-in-url.yaml", key_in_url)
    env = env_target | {"CHAINPROBE_API_URL": "http://127.0.0.1:9/prod"}

    result = chainprobe(env, "canary", "--spec", str(spec), "--count", "1")

    line = refused(result, 3)
    assert "cannot reach the API at 127.0.0.1:9 (http://127.0.0.1:9/prod/orders?key=***)" in line
    for secret in (API_KEY, AWS_SECRET):
        assert secret not in result.stdout + result.stderr


def test_an_api_key_with_a_trailing_newline_is_exit_2_naming_the_header(
    env_target: dict[str, str], ledger_path: Path, tmp_path: Path
) -> None:
    def keyed(data: Spec) -> None:
        data["send"]["headers"]["x-api-key"] = "${api_key}"

    spec = spec_variant(tmp_path, "keyed.yaml", keyed)
    env = env_target | {"CHAINPROBE_API_KEY": API_KEY + "\n"}

    result = chainprobe(env, "canary", "--spec", str(spec), "--count", "2")

    line = refused(result, 2)
    assert "send.headers.x-api-key: the rendered header value holds a control character" in line
    assert API_KEY not in result.stdout + result.stderr
    assert runs_recorded(ledger_path) == 0


def test_a_yaml_alias_bomb_is_exit_2_naming_the_file_and_nothing_is_sent(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path
) -> None:
    """Nine levels of aliases inside the payload (which takes any JSON): 9**9 strings once expanded."""
    lines = ['    l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"    l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    laughs = "\n".join(lines)
    assert len(laughs) < 1024
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(SPEC.read_text().replace("  payload:\n", f"  payload:\n{laughs}\n", 1))

    line = refused(chainprobe(cli_env, "canary", "--spec", str(bomb), "--count", "1", timeout=120), 2)

    assert f"{bomb}: YAML aliases expand to more than" in line
    assert runs_recorded(ledger_path) == 0


@pytest.mark.parametrize("rate", ["nan", "inf"])
def test_a_rate_that_is_not_finite_is_refused(cli_env: dict[str, str], ledger_path: Path, rate: str) -> None:
    line = refused(chainprobe(cli_env, "canary", "--spec", str(SPEC), "--rate", rate), 2)

    assert f"argument --rate: expected a finite number > 0, got {rate}" in line
    assert runs_recorded(ledger_path) == 0


def test_a_malformed_endpoint_in_the_spec_stops_a_load_run_before_locust_starts(
    cli_env: dict[str, str], ledger_path: Path, tmp_path: Path
) -> None:
    def malformed(data: Spec) -> None:
        data["send"]["endpoint"] = "http://[::1/orders"

    spec = spec_variant(tmp_path, "malformed.yaml", malformed)

    result = chainprobe(
        cli_env, "load", "--spec", str(spec), "--shape", "arrival-ramp", "--time-scale", "0.1"
    )

    line = refused(result, 2)
    assert "send.endpoint: expected an http:// or https:// URL" in line and "Invalid IPv6 URL" in line
    assert runs_recorded(ledger_path) == 0


def test_a_ledger_locked_by_another_process_at_the_start_is_one_line(
    cli_env: dict[str, str], ledger_path: Path
) -> None:
    with Ledger(ledger_path):
        pass  # the ledger exists, with its schema
    holder = sqlite3.connect(ledger_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # held for the whole canary: nothing may be recorded
    try:
        result = chainprobe(cli_env, "canary", "--spec", str(SPEC), "--count", "1", "--no-metric-math")
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    line = refused(result, 2)
    assert str(ledger_path) in line and "locked" in line
    assert runs_recorded(ledger_path) == 0
