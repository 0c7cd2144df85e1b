"""Why ``chainprobe slo`` refuses to write an export: every error is one line, naming the SLO and why.

The CLI prints ``chainprobe: <message>`` and exits 2 (bad usage or configuration): each is something
the spec or the command line asks for that the chosen format cannot hold.
"""

from __future__ import annotations

__all__ = ["NoSloError", "SloExportError", "UnexpressibleSloError", "UnknownSloError"]


class SloExportError(Exception):
    """The spec's SLOs cannot be exported as asked."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class NoSloError(SloExportError):
    """The spec has no ``slo`` section (nothing to export)."""


class UnknownSloError(SloExportError):
    """``--slo`` names an SLO the spec does not define."""


class UnexpressibleSloError(SloExportError):
    """An SLO the format cannot express honestly (the message says which and why)."""
