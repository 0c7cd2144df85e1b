"""Writing reports into a directory: its check before a run, stale files of ours removed, secrets masked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from report_inputs import load_case

from chainprobe.report import build_report, write_reports
from chainprobe.report.writer import REPORT_FILE_NAMES, ReportDirError, check_report_dir


def test_a_run_without_html_removes_the_html_of_an_earlier_run(tmp_path: Path) -> None:
    report = build_report(**load_case("met"))
    write_reports(report, tmp_path, html=True)
    (tmp_path / "load.json").write_text("{}")  # not one of the files write_reports owns
    (tmp_path / "notes.txt").write_text("mine")

    files = write_reports(report, tmp_path)

    assert files.html is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "junit.xml",
        "load.json",
        "notes.txt",
        "report.json",
        "summary.md",
    ]


def test_a_run_with_html_keeps_every_report_file(tmp_path: Path) -> None:
    report = build_report(**load_case("met"))
    write_reports(report, tmp_path, html=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(REPORT_FILE_NAMES)


def test_reports_are_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = build_report(**load_case("met"))
    run_id = report.run.run_id
    monkeypatch.setenv("CHAINPROBE_API_KEY", run_id)  # a value every report carries
    assert len(run_id) >= 8
    write_reports(report, tmp_path, html=True)
    for name in REPORT_FILE_NAMES:
        assert run_id not in (tmp_path / name).read_text(), name
    assert json.loads((tmp_path / "report.json").read_text())["run_id"] == "***"


def test_check_report_dir_creates_the_directory_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    assert check_report_dir(folder) == folder
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_report_dir_is_one_line_naming_it(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(ReportDirError) as raised:
            check_report_dir(locked)
        assert str(raised.value) == f"--report-dir {locked}: cannot write reports there (Permission denied)"
        with pytest.raises(ReportDirError, match="cannot write reports there"):
            check_report_dir(locked / "sub")
    finally:
        locked.chmod(0o700)


def test_a_file_where_the_report_dir_should_be(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("{}")
    with pytest.raises(ReportDirError, match=f"--report-dir {path}: cannot write reports there"):
        check_report_dir(path)
