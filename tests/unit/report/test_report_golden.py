"""Golden files: each case's inputs (golden/<case>/input.json) against every writer's exact output
(``report.html`` included: open it in a browser to review a change to the HTML report).

Regenerate after an intended change with ``CHAINPROBE_UPDATE_GOLDEN=1 pytest tests/unit/report`` and
review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from report_inputs import GOLDEN, load_case

from chainprobe.report import build_report, render_terminal, write_reports

CASES = ("breached", "met", "pending", "not_sent", "interrupted")
UPDATE = os.environ.get("CHAINPROBE_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", CASES)
def test_writers_match_golden_files(case: str, tmp_path: Path) -> None:
    report = build_report(**load_case(case))
    files = write_reports(report, tmp_path / "reports", html=True)
    assert files.html is not None
    produced = {
        "report.json": files.json.read_text(),
        "junit.xml": files.junit.read_text(),
        "summary.md": files.markdown.read_text(),
        "report.html": files.html.read_text(),
        "terminal.txt": render_terminal(report),
    }
    for name, text in produced.items():
        expected = GOLDEN / case / name
        if UPDATE:
            expected.write_text(text)
        assert text == expected.read_text(), f"{case}/{name} differs from the golden file"
    assert sorted(path.name for path in (tmp_path / "reports").iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "summary.md",
    ]
