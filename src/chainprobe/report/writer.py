"""Write a run's reports into a directory: ``report.json``, ``junit.xml``, ``summary.md``, and
``report.html`` when asked (``html=True``); ``write_html`` writes the HTML report to any path.

Each file is written to a temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chainprobe.report.html import render_html
from chainprobe.report.json_report import render_json
from chainprobe.report.junit import render_junit
from chainprobe.report.markdown import render_markdown
from chainprobe.report.model import RunReport

__all__ = ["ReportFiles", "write_html", "write_reports"]


@dataclass(frozen=True)
class ReportFiles:
    """The paths written (``html`` is ``None`` when no HTML report was asked for)."""

    json: Path
    junit: Path
    markdown: Path
    html: Path | None = None


def write_reports(report: RunReport, directory: str | os.PathLike[str], *, html: bool = False) -> ReportFiles:
    """Write the three reports, and ``report.html`` with ``html``, into ``directory`` (created when
    missing); returns their paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        json=folder / "report.json",
        junit=folder / "junit.xml",
        markdown=folder / "summary.md",
        html=folder / "report.html" if html else None,
    )
    _write(files.json, render_json(report))
    _write(files.junit, render_junit(report))
    _write(files.markdown, render_markdown(report))
    if files.html is not None:
        _write(files.html, render_html(report))
    return files


def write_html(report: RunReport, path: str | os.PathLike[str]) -> Path:
    """Write the HTML report to ``path`` (its folder created when missing); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _write(target, render_html(report))
    return target


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _read_umask()  # read once, at import: os.umask can only be read by setting it


def _write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes it private; a report is not
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
