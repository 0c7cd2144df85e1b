"""Data flows one way: spec -> drive -> verify -> measure -> report; no stage imports a later one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "chainprobe"
STAGES = ("spec", "drive", "verify", "measure", "report")


def imported_stages(source: str) -> set[str]:
    """The chainprobe stages a module's source imports (``import chainprobe.x`` or ``from chainprobe.x``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    parts = (name.split(".") for name in names)
    return {p[1] for p in parts if len(p) > 1 and p[0] == "chainprobe" and p[1] in STAGES}


def test_the_scan_sees_both_import_forms() -> None:
    source = "import chainprobe.report.gate\nfrom chainprobe.measure import sli\nfrom . import x\n"
    assert imported_stages(source) == {"report", "measure"}


@pytest.mark.parametrize("stage", STAGES)
def test_no_import_runs_back_up_the_pipeline(stage: str) -> None:
    later = set(STAGES[STAGES.index(stage) + 1 :])
    upward = {
        str(path.relative_to(PACKAGE)): sorted(imported_stages(path.read_text()) & later)
        for path in sorted((PACKAGE / stage).rglob("*.py"))
    }
    assert {path: found for path, found in upward.items() if found} == {}
