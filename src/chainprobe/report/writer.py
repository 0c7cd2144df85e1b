"""Write a run's reports into a directory: ``report.json``, ``junit.xml``, ``summary.md``, and
``report.html`` when asked (``html=True``); ``write_html`` writes the HTML report to any path.

Each file is written to a temporary name and renamed into place, so a reader never sees half a file.
A report file of ours that a run does not write (``report.html`` of an earlier ``--html`` run) is
removed, so a reused directory never shows an older run's report beside the new one's.
Text written goes through ``chainprobe.spec.secrets.redact``: no secret value reaches a report.

``check_report_dir`` (before a run sends anything) creates the directory and proves it writable, raising
``ReportDirError`` (exit 2) naming it.
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
from chainprobe.spec.secrets import redact

__all__ = [
    "REPORT_FILE_NAMES",
    "ReportDirError",
    "ReportFiles",
    "check_report_dir",
    "write_html",
    "write_reports",
    "write_text_atomically",
]

REPORT_FILE_NAMES = ("report.json", "junit.xml", "summary.md", "report.html")


class ReportDirError(Exception):
    """The report directory cannot be created or written to (exit 2)."""


def check_report_dir(directory: str | os.PathLike[str]) -> Path:
    """Creates ``directory`` when missing and writes (then removes) a file in it; ``ReportDirError``
    naming the directory and the reason when either fails."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".chainprobe-write-check.", suffix=".tmp")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise ReportDirError(
            f"--report-dir {folder}: cannot write reports there ({error.strerror or error})"
        ) from error
    return folder


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
    write_text_atomically(files.json, render_json(report))
    write_text_atomically(files.junit, render_junit(report))
    write_text_atomically(files.markdown, render_markdown(report))
    if files.html is not None:
        write_text_atomically(files.html, render_html(report))
    written = {path.name for path in (files.json, files.junit, files.markdown, files.html) if path}
    for name in REPORT_FILE_NAMES:
        if name not in written:
            (folder / name).unlink(missing_ok=True)
    return files


def write_html(report: RunReport, path: str | os.PathLike[str]) -> Path:
    """Write the HTML report to ``path`` (its folder created when missing); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(target, render_html(report))
    return target


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _read_umask()  # read once, at import: os.umask can only be read by setting it


def write_text_atomically(path: Path, text: str) -> None:
    """``text``, redacted, into ``path`` by way of a temporary file renamed into place: a reader (or a
    crash) never leaves half a file, and a write that fails keeps the earlier file whole."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(redact(text))
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes it private; a report is not
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
