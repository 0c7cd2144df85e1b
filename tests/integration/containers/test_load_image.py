"""docker/load/Dockerfile, the image of the Kubernetes recipe (deploy/kubernetes/chainprobe-load.yaml), built
and run as the recipe runs it: an unprivileged user (10001) on a read-only root with a writable /tmp. Its
`chainprobe` is the harness of this checkout, and its `worker` and `load --expect-workers` commands are
there. (The distributed run itself is tests/integration/test_distributed_load.py, in network namespaces.)"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest

from chainprobe import __version__
from tests.integration.test_canary import ROOT

pytestmark = pytest.mark.containers

BUILD_TIMEOUT_S = 900  # pip installs the harness's dependencies in the image: minutes on two cores, cold


@pytest.fixture(scope="module")
def load_image() -> Iterator[str]:
    tag = f"chainprobe/load:itest-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "build", "-q", "-f", "docker/load/Dockerfile", "-t", tag, "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=BUILD_TIMEOUT_S,
    )
    yield tag
    subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, check=False, timeout=60)


def run_as_the_recipe(image: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--user",
            "10001",
            "--cap-drop",
            "ALL",
            image,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_load_image_runs_this_harness_unprivileged_on_a_read_only_root(load_image: str) -> None:
    version = run_as_the_recipe(load_image, "--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"chainprobe {__version__}"), version.stderr

    worker = run_as_the_recipe(load_image, "worker", "--help")
    assert worker.returncode == 0, worker.stderr
    assert "--master" in worker.stdout

    master = run_as_the_recipe(load_image, "load", "--help")
    assert master.returncode == 0, master.stderr
    assert "--expect-workers" in master.stdout and "--master-bind-port" in master.stdout

    # A bad address is the CLI's one line and exit 2 inside the image too, not a traceback.
    bad = run_as_the_recipe(load_image, "worker", "--master", "host:notaport", "--spec", "probes/orders.yaml")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.stderr
