"""The machine-readable report: ``report.json`` (``RunReport.to_dict()``, stable key order, UTF-8)."""

from __future__ import annotations

import json

from chainprobe.report.model import RunReport

__all__ = ["render_json"]


def render_json(report: RunReport) -> str:
    """The report as indented JSON text, ending with a newline."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
