"""Write a run's reports into a directory: ``report.json``, ``junit.xml``, ``summary.md``.

Each file is written to a temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chainprobe.report.json_report import render_json
from chainprobe.report.junit import render_junit
from chainprobe.report.markdown import render_markdown
from chainprobe.report.model import RunReport

__all__ = ["ReportFiles", "write_reports"]


@dataclass(frozen=True)
class ReportFiles:
    """The paths written."""

    json: Path
    junit: Path
    markdown: Path


def write_reports(report: RunReport, directory: str | os.PathLike[str]) -> ReportFiles:
    """Write the three reports into ``directory`` (created when missing); returns their paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        json=folder / "report.json", junit=folder / "junit.xml", markdown=folder / "summary.md"
    )
    _write(files.json, render_json(report))
    _write(files.junit, render_junit(report))
    _write(files.markdown, render_markdown(report))
    return files


def _write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
