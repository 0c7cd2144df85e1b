"""The reference chain's deployment packages: code, shared modules and dependencies in one zip."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from chainprobe.stacks import paths
from chainprobe.stacks.exceptions import DeployError
from chainprobe.stacks.reference_chain import FUNCTIONS, function_zip


@pytest.fixture
def deps(tmp_path: Path) -> Path:
    root = tmp_path / "deps"
    (root / "somepkg").mkdir(parents=True)
    (root / "somepkg" / "__init__.py").write_text("VERSION = 1\n")
    return root


def names(body: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(body)).namelist()


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_each_function_zip_has_the_shared_modules_at_its_root_next_to_app(deps: Path, function: str) -> None:
    chain = paths.chain_dir()

    body = function_zip(chain / "functions" / function, deps, chain / "shared")

    assert {"app.py", "chain_faults.py", "somepkg/__init__.py"} <= set(names(body))
    assert not [name for name in names(body) if "__pycache__" in name or name.endswith(".pyc")]
    source = zipfile.ZipFile(io.BytesIO(body)).read("chain_faults.py")
    assert source == (chain / "shared" / "chain_faults.py").read_bytes()


def test_a_zip_is_named_by_its_content(deps: Path, tmp_path: Path) -> None:
    function, shared = tmp_path / "fn", tmp_path / "shared"
    function.mkdir()
    shared.mkdir()
    (function / "app.py").write_text("import common\n")
    (shared / "common.py").write_text("X = 1\n")

    first = function_zip(function, deps, shared)
    assert function_zip(function, deps, shared) == first  # same inputs, same bytes, same name
    (shared / "common.py").write_text("X = 2\n")
    changed = function_zip(function, deps, shared)
    assert hashlib.sha256(changed).digest() != hashlib.sha256(first).digest()


def test_a_file_in_two_trees_is_refused(deps: Path, tmp_path: Path) -> None:
    function, shared = tmp_path / "fn", tmp_path / "shared"
    function.mkdir()
    shared.mkdir()
    (function / "app.py").write_text("")
    (shared / "app.py").write_text("")

    with pytest.raises(DeployError, match=r"app\.py is in more than one tree"):
        function_zip(function, deps, shared)
