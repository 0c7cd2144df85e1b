"""Where the ledger lives: a given path, else ``$CHAINPROBE_LEDGER``, else ``.chainprobe/ledger.sqlite``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DEFAULT_LEDGER_PATH", "LEDGER_ENV", "resolve_ledger_path"]

LEDGER_ENV = "CHAINPROBE_LEDGER"
DEFAULT_LEDGER_PATH = Path(".chainprobe") / "ledger.sqlite"


def resolve_ledger_path(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> Path:
    """The ledger path: ``path``, else ``CHAINPROBE_LEDGER``, else the default (relative to cwd).

    Example::

        >>> resolve_ledger_path(environ={"CHAINPROBE_LEDGER": "/tmp/l.sqlite"})
        PosixPath('/tmp/l.sqlite')
    """
    if path is not None:
        return Path(path)
    env = os.environ if environ is None else environ
    configured = env.get(LEDGER_ENV, "").strip()
    return Path(configured) if configured else DEFAULT_LEDGER_PATH
