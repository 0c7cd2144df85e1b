"""pytester for the plugin's own tests: each runs a team's test file in a pytest of its own, against the
session's local stack (named to it by ``CHAINPROBE_*`` variables)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # ``pytest_plugins`` is refused outside the root conftest; registering it here is the same, scoped by use.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
