"""pytester for the containers stack's plugin test: a team's test file run by a pytest of its own."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # ``pytest_plugins`` is refused outside the root conftest; registering it here is the same, scoped by use.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
