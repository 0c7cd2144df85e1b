"""Where chainprobe keeps its tools, its state and the reference chain it ships.

Environment:
    CHAINPROBE_HOME: tools and default state (default: ``<checkout>/.chainprobe``, else ``~/.chainprobe``).
    CHAINPROBE_STATE_DIR: one stack's state: pids, ports, logs (default: ``$CHAINPROBE_HOME/state``).
"""

from __future__ import annotations

import os
from pathlib import Path

import chainprobe

CHECKOUT = Path(chainprobe.__file__).resolve().parents[2]


def project_root() -> Path:
    """The checkout holding ``chain/``, ``stubs/`` and ``plugins/`` (chainprobe runs from a checkout)."""
    return CHECKOUT


def home() -> Path:
    if value := os.environ.get("CHAINPROBE_HOME"):
        return Path(value).resolve()
    if (CHECKOUT / "pyproject.toml").exists():
        return CHECKOUT / ".chainprobe"
    return Path.home() / ".chainprobe"


def state_dir() -> Path:
    if value := os.environ.get("CHAINPROBE_STATE_DIR"):
        return Path(value).resolve()
    return home() / "state"


def tools_dir() -> Path:
    return home() / "tools"


def chain_dir() -> Path:
    return project_root() / "chain"


def stubs_dir() -> Path:
    return project_root() / "stubs"


def plugins_dir() -> Path:
    return project_root() / "plugins" / "localstack"
