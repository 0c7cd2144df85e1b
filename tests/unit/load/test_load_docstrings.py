"""The examples in the load modules' docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "chainprobe.drive.load.shapes",
    "chainprobe.drive.load.schedule",
    "chainprobe.drive.load.context",
    "chainprobe.drive.load.loopback",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0 and result.attempted > 0


def test_the_harness_side_never_imports_locust() -> None:
    """Importing Locust monkey-patches the process with gevent: the harness's modules must not."""
    import subprocess
    import sys

    code = (
        "import sys, chainprobe.cli.main, chainprobe.load_pipeline, chainprobe.drive.load;"
        "sys.exit(1 if 'locust' in sys.modules or 'gevent' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
