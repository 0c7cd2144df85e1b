"""Finding interpreters and Java: a clear one-line error when one is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from chainprobe.stacks.exceptions import ToolMissingError
from chainprobe.stacks.local import tools


def test_this_interpreter_is_found_when_it_is_new_enough() -> None:
    minimum = (sys.version_info.major, sys.version_info.minor)
    assert tools.python_version_ok(tools.find_python(minimum), minimum)


def test_a_missing_python_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "pyenv_interpreters", lambda: [])
    monkeypatch.setattr(tools.shutil, "which", lambda name: None)
    monkeypatch.setattr(tools.sys, "executable", "/nonexistent/python")

    with pytest.raises(ToolMissingError, match=r"^no Python 3\.99 or newer found on PATH or through pyenv$"):
        tools.find_python((3, 99))


def test_a_missing_java_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools.shutil, "which", lambda name: None)

    with pytest.raises(ToolMissingError, match="java not found"):
        tools.require_java()


def test_the_plugin_digest_changes_when_a_plugin_source_changes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    before = tools.tree_digest(tmp_path)
    (tmp_path / "a.py").write_text("x = 2\n")
    assert tools.tree_digest(tmp_path) != before


def test_wiremock_starts_with_the_extension_only_when_it_is_built(tmp_path: Path) -> None:
    from chainprobe.stacks.local.servers import wiremock_class_path
    from chainprobe.stacks.local.tools import Tools
    from chainprobe.stacks.local.wiremock_extension import extension_jar, rate_limit_available

    jar = tmp_path / "wiremock-standalone.jar"
    tools = Tools(localstack_python=tmp_path, lambda_runtimes={}, wiremock_jar=jar, plux_cache=tmp_path)
    assert wiremock_class_path(tools) == ["-jar", str(jar)]
    assert not rate_limit_available(tools)
    extension_jar(tools).write_bytes(b"")
    assert wiremock_class_path(tools) == ["-cp", f"{jar}:{extension_jar(tools)}", "wiremock.Run"]
    assert rate_limit_available(tools)
