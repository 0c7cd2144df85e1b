"""The Kubernetes recipe (deploy/kubernetes/chainprobe-load.yaml) is valid Kubernetes, and it runs
chainprobe as chainprobe parses it: the master's and workers' arguments are accepted by the real command
line, the worker count and the master's port agree across the Jobs and the Service, and only the master has
AWS access."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate import validate
from kubernetes_validate.utils import ValidationError

from chainprobe.cli.main import build_parser

RECIPE = Path(__file__).parents[3] / "deploy" / "kubernetes" / "chainprobe-load.yaml"


def resources() -> dict[str, dict[str, Any]]:
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(RECIPE.read_text())}


def container(job: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = job["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def option(args: list[str], name: str) -> str:
    values = [a.split("=", 1)[1] for a in args if a.startswith(f"{name}=")]
    assert len(values) == 1, f"{name} given {len(values)} times in {args}"
    return values[0]


@pytest.mark.parametrize("name", sorted(resources()))
def test_every_resource_is_valid_kubernetes(name: str) -> None:
    validate(resources()[name], "1.37.0", strict=True)


def test_a_misspelt_field_is_refused_so_the_check_above_can_fail() -> None:
    job = resources()["Job/chainprobe-worker"]
    job["spec"]["paralelism"] = job["spec"].pop("parallelism")
    with pytest.raises(ValidationError):
        validate(job, "1.37.0", strict=True)


@pytest.mark.parametrize("job", ["Job/chainprobe-master", "Job/chainprobe-worker"])
def test_the_jobs_arguments_parse_as_chainprobe_parses_them(job: str, tmp_path: Path) -> None:
    args = container(resources()[job])["args"]
    # --report-dir is created when parsed: the pod's volume becomes a folder of the test's.
    local = [f"--report-dir={tmp_path}" if a.startswith("--report-dir=") else a for a in args]
    parsed = build_parser().parse_args(local)
    assert parsed.command == args[0]


def test_workers_master_port_and_count_agree() -> None:
    found = resources()
    master_args = container(found["Job/chainprobe-master"])["args"]
    worker_job = found["Job/chainprobe-worker"]
    expected = int(option(master_args, "--expect-workers"))
    assert worker_job["spec"]["parallelism"] == worker_job["spec"]["completions"] == expected
    port = int(option(master_args, "--master-bind-port"))
    assert [p["port"] for p in found["Service/chainprobe-master"]["spec"]["ports"]] == [port]
    host, _, worker_port = option(container(worker_job)["args"], "--master").partition(":")
    assert (host, int(worker_port)) == ("chainprobe-master", port)
    service_selector = found["Service/chainprobe-master"]["spec"]["selector"]
    master_labels = found["Job/chainprobe-master"]["spec"]["template"]["metadata"]["labels"]
    assert service_selector.items() <= master_labels.items()


def test_only_the_master_can_reach_aws() -> None:
    found = resources()
    master_account = found["ServiceAccount/chainprobe-master"]
    assert "eks.amazonaws.com/role-arn" in master_account["metadata"]["annotations"]
    worker_account = found["ServiceAccount/chainprobe-worker"]
    assert "annotations" not in worker_account["metadata"]
    assert worker_account["automountServiceAccountToken"] is False
    worker_pod = found["Job/chainprobe-worker"]["spec"]["template"]["spec"]
    assert worker_pod["serviceAccountName"] == "chainprobe-worker"
    assert worker_pod["automountServiceAccountToken"] is False


def test_the_master_keeps_its_ledger_with_its_reports() -> None:
    master = container(resources()["Job/chainprobe-master"])
    env = {e["name"]: e.get("value") for e in master["env"]}
    reports = option(master["args"], "--report-dir")
    assert Path(env["CHAINPROBE_LEDGER"]).parent == Path(reports)
    assert reports in {m["mountPath"] for m in master["volumeMounts"]}
