"""Which stack ``--chainprobe-stack`` asks for: checked when pytest starts, before any test runs.

>>> stack_kind(None, {"CHAINPROBE_API_URL": "https://api.example.com/prod"}), stack_kind(None, {})
('env', 'local')
>>> stack_kind("containers", {})
'containers'
>>> try:
...     stack_kind("kubernetes", {})
... except StackUsageError as e:
...     print(e)
--chainprobe-stack=kubernetes: no such stack, use local or env or containers
"""

from __future__ import annotations

from collections.abc import Mapping

KINDS = ("local", "env", "containers")
"""Every kind ``--chainprobe-stack`` names."""

AVAILABLE = ("local", "env", "containers")
"""The kinds that can be opened (``stack.OPENERS``); the others are usage errors, for now."""


class StackUsageError(ValueError):
    """A stack kind that is not available, or ``env`` without ``CHAINPROBE_API_URL``: one line."""


def stack_kind(asked: str | None, environ: Mapping[str, str]) -> str:
    """The kind to open: ``asked``, else ``env`` when ``CHAINPROBE_API_URL`` is set, else ``local``.
    Raises StackUsageError for a kind that is not available (yet) or ``env`` with nothing named."""
    if asked is None:
        return "env" if environ.get("CHAINPROBE_API_URL") else "local"
    if asked not in AVAILABLE:
        available = " or ".join(AVAILABLE)
        if asked in KINDS:
            raise StackUsageError(f"--chainprobe-stack={asked} is not available yet: use {available}")
        raise StackUsageError(f"--chainprobe-stack={asked}: no such stack, use {available}")
    if asked == "env" and not environ.get("CHAINPROBE_API_URL"):
        raise StackUsageError(
            "--chainprobe-stack=env needs CHAINPROBE_API_URL (and the CHAINPROBE_* values the spec reads)"
        )
    return asked
