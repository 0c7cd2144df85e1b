"""Secrets are never written down: an API key the spec sends as a header (from ``CHAINPROBE_API_KEY``)
and the AWS secret key from the environment go through a canary, a load run with Locust workers and
failing runs; neither may appear in any output, report, ledger, Locust file or error line."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import RunningStack
from tests.integration.spec_variants import Spec, spec_variant
from tests.integration.test_canary import CHAINPROBE, ROOT

API_KEY = f"apikey-{uuid.uuid4().hex}"
AWS_SECRET = f"awssecret-{uuid.uuid4().hex}"
SECRETS = (API_KEY, AWS_SECRET)


@pytest.fixture
def secret_env(cli_env: dict[str, str], local_stack: RunningStack) -> dict[str, str]:
    """The local stack named by the environment, as a staging target is, with secrets in it."""
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


@pytest.fixture
def keyed_spec(tmp_path: Path) -> Path:
    def send_the_key(data: Spec) -> None:
        data["send"]["headers"]["x-api-key"] = "${api_key}"

    return spec_variant(tmp_path, "keyed.yaml", send_the_key)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHAINPROBE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def written_files(root: Path) -> dict[Path, str]:
    return {path: path.read_bytes().decode("utf-8", "replace") for path in root.rglob("*") if path.is_file()}


def test_no_secret_reaches_outputs_reports_ledger_or_run_files(
    secret_env: dict[str, str], keyed_spec: Path, tmp_path: Path
) -> None:
    spec, canary_dir, load_dir = keyed_spec, tmp_path / "canary", tmp_path / "load-reports"
    canary = run(
        secret_env, *f"canary --spec {spec} --count 4 --rate 4 --report-dir {canary_dir} --html".split()
    )
    load = run(
        secret_env,
        *f"load --spec {spec} --shape arrival-ramp --time-scale 0.1 --workers 2".split(),
        *f"--report-dir {load_dir} --no-metric-math".split(),
    )
    unreachable = run(
        secret_env | {"CHAINPROBE_API_URL": "http://127.0.0.1:9/prod"},
        *f"canary --spec {spec} --count 1".split(),
    )
    no_table = run(
        secret_env | {"CHAINPROBE_TABLE": "NoSuchTable"}, *f"canary --spec {spec} --count 1".split()
    )
    runs = {"canary": canary, "load": load, "unreachable": unreachable, "no table": no_table}

    # The runs did what they do (so the secrets went through every path), ...
    assert canary.returncode in (0, 1) and (canary_dir / "report.html").exists(), canary.stderr
    assert load.returncode in (0, 1) and (load_dir / "load.json").exists(), load.stderr
    assert len(list(tmp_path.rglob("worker-*.log"))) == 2, "the Locust workers left no log"
    assert (unreachable.returncode, no_table.returncode) == (3, 2)
    # ... and wrote them nowhere.
    texts = {
        f"{what} {stream}": getattr(ran, stream)
        for what, ran in runs.items()
        for stream in ("stdout", "stderr")
    }
    texts |= {str(path): text for path, text in written_files(tmp_path).items() if path != keyed_spec}
    leaks = [where for where, text in texts.items() for secret in SECRETS if secret in text]
    assert leaks == []
