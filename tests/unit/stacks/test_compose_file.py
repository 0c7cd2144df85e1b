"""docker-compose.yml cannot run here (no Docker engine): its structure and pins are checked instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from chainprobe.stacks.local import tools
from chainprobe.stacks.local.servers import localstack_server

ROOT = Path(__file__).resolve().parents[3]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def dockerfile() -> str:
    return (ROOT / "docker" / "localstack" / "Dockerfile").read_text()


def test_every_published_port_is_bound_to_loopback() -> None:
    for name, service in compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def host_localstack_env(state_dir: Path) -> dict[str, str]:
    layout = tools.tools_layout()
    server = localstack_server(
        layout, port=4566, state_dir=state_dir, lambda_concurrency=8, alarm_evaluation_seconds=10
    )
    return server.env


def test_the_images_pin_the_versions_the_local_stack_uses() -> None:
    services = compose()["services"]
    assert services["wiremock"]["image"] == f"wiremock/wiremock:{tools.WIREMOCK_VERSION}"
    assert services["localstack"]["build"]["args"]["LOCALSTACK_VERSION"] == tools.LOCALSTACK_VERSION
    assert f"ARG LOCALSTACK_VERSION={tools.LOCALSTACK_VERSION}" in dockerfile()
    for requirement in tools.LOCALSTACK_REQUIREMENTS[1:]:
        assert f'"{requirement}"' in dockerfile()


def test_the_container_selects_the_same_plugins_as_the_host_stack(tmp_path: Path) -> None:
    host_env = host_localstack_env(tmp_path)
    selectors = {k: v for k, v in host_env.items() if k.startswith(("PROVIDER_OVERRIDE_", "LAMBDA_RUNTIME_"))}
    assert selectors, "the host stack selects no plugin?"
    for key, value in selectors.items():
        assert re.search(rf"^\s+{key}={value}\b", dockerfile(), re.MULTILINE), f"{key}={value} missing"


def test_the_courier_stubs_are_mounted_where_wiremock_reads_them() -> None:
    wiremock = compose()["services"]["wiremock"]
    assert "./stubs:/home/wiremock:ro" in wiremock["volumes"]
    assert (ROOT / "stubs" / "mappings").is_dir()


def test_the_image_vendors_every_harness_module_the_plugins_import() -> None:
    vendor = "/tmp/chainprobe-localstack/src/chainprobe_localstack/_vendor"
    for name, source in tools.vendored_sources().items():
        target = f"{vendor}/{name}.py" if source.is_file() else f"{vendor}/{name}"
        assert f"COPY {source.relative_to(ROOT)} {target}\n" in dockerfile(), name


def test_the_container_limits_lambda_concurrency_and_evaluates_alarms_like_the_host_stack(
    tmp_path: Path,
) -> None:
    host_env = host_localstack_env(tmp_path)
    container_env = compose()["services"]["localstack"]["environment"]
    for key in (
        "LAMBDA_LIMITS_CONCURRENT_EXECUTIONS",
        "LAMBDA_LIMITS_MINIMUM_UNRESERVED_CONCURRENCY",
        "CHAINPROBE_ALARM_EVALUATION_SECONDS",
    ):
        assert key in host_env and key in container_env
