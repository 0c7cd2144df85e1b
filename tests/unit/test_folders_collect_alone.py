"""Every folder of unit tests collects on its own (``pytest tests/unit/cli`` works alone): no test
module may lean on a sibling folder having been collected first (``sys.path`` entries, conftest files).
Run as the ``pytest`` script runs (``-P``: the working directory is not put on ``sys.path``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent
ROOT = UNIT.parents[1]
FOLDERS = sorted(p.name for p in UNIT.iterdir() if p.is_dir() and any(p.glob("test_*.py")))


def test_the_folders_are_found() -> None:
    assert {"cli", "ledger", "measure", "report", "verify"} <= set(FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folder_collects_alone(folder: str) -> None:
    command = [sys.executable, "-P", "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, f"tests/unit/{folder}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " collected" in done.stdout.splitlines()[-1]
