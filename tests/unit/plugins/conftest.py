"""Unit tests of the LocalStack plugin package's pure parts (no LocalStack needed).

The plugin package is installed into LocalStack's own virtualenv, not the harness's; its modules
that do not import LocalStack are tested here from the source tree (``tests/unit/plugin_source.py``).
"""

from tests.unit.plugin_source import use_plugin_source

use_plugin_source()
