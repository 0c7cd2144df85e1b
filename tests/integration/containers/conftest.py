"""The containers tests' engine check (skipped without a Docker daemon, unless CI requires them), and
pytester for the containers stack's plugin test: a team's test file run by a pytest of its own."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # ``pytest_plugins`` is refused outside the root conftest; registering it here is the same, scoped by use.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


def docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    result = subprocess.run([docker, "info"], capture_output=True, timeout=30, check=False)
    return result.returncode == 0


@pytest.fixture(scope="module", autouse=True)
def docker_engine() -> None:
    if docker_answers():
        return
    reason = "no Docker daemon answers (scripts/test installs and starts one when run as root with apt)"
    if os.environ.get("CHAINPROBE_CONTAINER_TESTS") == "required":
        pytest.fail(reason)
    pytest.skip(reason)
