"""Unit tests of the LocalStack plugin package's pure parts (no LocalStack needed).

The plugin package is installed into LocalStack's own virtualenv, not the harness's; its modules
that do not import LocalStack are tested here from the source tree.
"""

import sys
from pathlib import Path

PLUGIN_SRC = Path(__file__).resolve().parents[3] / "plugins" / "localstack" / "src"
if str(PLUGIN_SRC) not in sys.path:
    sys.path.insert(0, str(PLUGIN_SRC))
