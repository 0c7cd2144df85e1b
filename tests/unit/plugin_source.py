"""Load the LocalStack plugin package (``chainprobe_localstack``) from its source tree.

The plugin package is installed into LocalStack's own virtualenv, not the harness's; its modules
that do not import LocalStack are unit-tested from ``plugins/localstack/src``. Installed, the package
carries copies of a few harness modules under ``chainprobe_localstack._vendor``
(``chainprobe.stacks.local.tools.VENDORED``); the source tree does not, so :func:`use_plugin_source`
binds each vendored name to the harness module it is copied from: the same code, as installed.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from chainprobe.stacks.local.tools import VENDORED

PLUGIN_SRC = Path(__file__).resolve().parents[2] / "plugins" / "localstack" / "src"


def use_plugin_source() -> None:
    """Makes ``import chainprobe_localstack...`` load the source tree, vendored modules included."""
    if str(PLUGIN_SRC) not in sys.path:
        sys.path.insert(0, str(PLUGIN_SRC))
    vendor = importlib.import_module("chainprobe_localstack._vendor")
    for name, module in VENDORED.items():
        sys.modules.setdefault(f"{vendor.__name__}.{name}", module)
        setattr(vendor, name, sys.modules[f"{vendor.__name__}.{name}"])
