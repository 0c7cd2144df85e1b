"""``chainprobe deploy | undeploy`` (the ``aws`` stack) against a LocalStack of its own, standing in
for an account.

A second local stack (its own ports and state directory) is brought up with ``up``, and its chain,
packages and bucket are deleted: an empty account with a courier. ``chainprobe deploy`` must put the
chain back from nothing, with only what the environment says (credentials, region,
``CHAINPROBE_AWS_ENDPOINT_URL``), and a canary reading only the variables ``deploy --env`` printed
must find every order good. ``undeploy`` then leaves no stack, package or bucket behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig
from chainprobe.stacks.reference_chain import STACK_NAME, ChainStack, artifact_bucket_name, delete_artifacts
from tests.integration.conftest import RunningStack, free_port

ROOT = Path(__file__).resolve().parents[2]
CHAINPROBE = [str(Path(sys.executable).parent / "chainprobe")]


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    config = LocalStackConfig(
        localstack_port=free_port(), courier_port=free_port(), state_dir=tmp_path_factory.mktemp("account")
    )
    stack = LocalStack(config, say=print)
    try:
        endpoints = stack.up()
        ChainStack(stack.clients).delete()
        delete_artifacts(stack.clients)
        yield RunningStack(stack, endpoints)
    finally:
        stack.down()


def account_env(account: RunningStack, tmp_path: Path) -> dict[str, str]:
    """What a CI job pointing at an account has: credentials, a region, and here an endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAINPROBE_", "AWS_", "LOCUST_"))}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        CHAINPROBE_AWS_ENDPOINT_URL=account.config.aws_endpoint_url,
        CHAINPROBE_STATE_DIR=str(tmp_path / "no-local-stack"),
        CHAINPROBE_LEDGER=str(tmp_path / "ledger.sqlite"),
    )
    return env


def chainprobe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHAINPROBE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def buckets(account: RunningStack) -> list[str]:
    return [b["Name"] for b in account.clients.client("s3").list_buckets()["Buckets"]]


def test_deploy_puts_the_chain_in_an_empty_account_and_a_canary_finds_it_by_the_printed_variables(
    account: RunningStack, tmp_path: Path, quick_spec: Path
) -> None:
    env = account_env(account, tmp_path)
    assert ChainStack(account.clients).status() is None
    assert artifact_bucket_name(account.clients) not in buckets(account)

    deployed = chainprobe(env, "deploy", "--courier-url", account.config.courier_url, "--env")
    assert deployed.returncode == 0, deployed.stderr
    assert f"stack {STACK_NAME} deployed in us-east-1" in deployed.stderr
    variables = dict(line.split("=", 1) for line in deployed.stdout.splitlines())
    api_url = variables["CHAINPROBE_API_URL"]  # a new API: a new id
    assert api_url.startswith(f"{account.config.aws_endpoint_url}/_aws/execute-api/") and api_url.endswith(
        "/prod"
    )
    assert api_url != account.endpoints.api_url
    assert variables == {
        "CHAINPROBE_API_URL": api_url,
        "CHAINPROBE_COURIER_URL": account.config.courier_url,
        "CHAINPROBE_TABLE": "Orders",
        "CHAINPROBE_BUS": "orders",
        "AWS_REGION": "us-east-1",
        "CHAINPROBE_AWS_ENDPOINT_URL": account.config.aws_endpoint_url,
    }

    again = chainprobe(env, "deploy", "--courier-url", account.config.courier_url)
    assert again.returncode == 0, again.stderr
    assert f"stack {STACK_NAME} unchanged" in again.stderr
    assert json.loads(again.stdout)["api_url"] == variables["CHAINPROBE_API_URL"]

    reports = tmp_path / "reports"
    canary = chainprobe(
        env | variables,
        "canary",
        "--spec",
        str(quick_spec),
        "--count",
        "4",
        "--rate",
        "4",
        "--report-dir",
        str(reports),
    )
    report = json.loads((reports / "report.json").read_text())
    assert report["target"] != "local"
    assert (report["orders"]["sent"], report["orders"]["good"]) == (4, 4), canary.stdout
    assert canary.returncode in (0, 1), canary.stderr  # 1: a cold start may breach p95 on 4 orders
    assert chainprobe(env | variables, "cleanup").returncode == 0

    undeployed = chainprobe(env, "undeploy")
    assert undeployed.returncode == 0, undeployed.stderr
    assert "2 deployment package(s) removed" in undeployed.stderr
    assert ChainStack(account.clients).status() is None
    assert artifact_bucket_name(account.clients) not in buckets(account)


def test_deploy_without_credentials_or_endpoint_is_one_line(account: RunningStack, tmp_path: Path) -> None:
    env = account_env(account, tmp_path)  # a real account's path (an emulator gets fixed test credentials)
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["CHAINPROBE_AWS_ENDPOINT_URL"]
    env["AWS_SHARED_CREDENTIALS_FILE"] = env["AWS_CONFIG_FILE"] = str(tmp_path / "none")
    no_credentials = chainprobe(env, "deploy", "--courier-url", account.config.courier_url)
    assert (no_credentials.returncode, no_credentials.stdout) == (2, "")
    assert no_credentials.stderr.splitlines() == [
        "chainprobe: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
    ]

    unreachable = chainprobe(
        account_env(account, tmp_path) | {"CHAINPROBE_AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"},
        "deploy",
        "--courier-url",
        account.config.courier_url,
    )
    assert unreachable.returncode == 3 and len(unreachable.stderr.splitlines()) == 1, unreachable.stderr
    assert unreachable.stderr.startswith("chainprobe: AWS endpoint: Could not connect")

    bad_url = chainprobe(account_env(account, tmp_path), "deploy", "--courier-url", "courier:8080")
    assert bad_url.returncode == 2 and "not an http(s) URL: 'courier:8080'" in bad_url.stderr
