"""Installs the local stack's tools under ``$CHAINPROBE_HOME/tools``, each pinned, each once.

- LocalStack (``localstack-core[runtime]``) in its own virtualenv, with the project's plugin package
  (and the harness modules it needs vendored into it: the metric-math and Logs Insights evaluators,
  the fault names); it pins its own boto3, so it never shares the harness's environment.
- The Lambda ``python3.12`` runtime: a virtualenv with boto3 only, as AWS's runtime has.
- The WireMock standalone jar, taken from the npm registry's ``wiremock`` package.

Nothing here runs at stack run time: ``chainprobe install`` (called by ``scripts/setup``) does it,
and ``chainprobe up`` calls it too so a stale plugin is never served.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from chainprobe.measure import logsinsights, metricmath
from chainprobe.stacks import paths
from chainprobe.stacks.exceptions import ToolInstallError, ToolMissingError
from chainprobe.stacks.local import fault_names

LOCALSTACK_VERSION = "2026.3.0"
LOCALSTACK_REQUIREMENTS = (
    f"localstack-core[runtime]=={LOCALSTACK_VERSION}",
    # Pins LocalStack needed on these machines (see shared/notes/emulators.md).
    "cbor2<6",
    "pyopenssl<26",
    "cryptography<47",
)
# Its metadata says >= 3.10, but it imports warnings.deprecated (new in 3.13).
LOCALSTACK_PYTHON = (3, 13)
LAMBDA_RUNTIME = "python3.12"
LAMBDA_RUNTIME_REQUIREMENTS = ("boto3==1.42.72",)
WIREMOCK_VERSION = "3.13.2"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Tools:
    """Paths of the installed tools."""

    localstack_python: Path
    lambda_runtimes: dict[str, Path]
    wiremock_jar: Path
    plux_cache: Path


def tools_layout() -> Tools:
    root = paths.tools_dir()
    return Tools(
        localstack_python=root / f"localstack-{LOCALSTACK_VERSION}" / "bin" / "python",
        lambda_runtimes={LAMBDA_RUNTIME: root / "runtimes" / LAMBDA_RUNTIME / "bin" / "python"},
        wiremock_jar=root / "wiremock" / f"wiremock-standalone-{WIREMOCK_VERSION}.jar",
        plux_cache=root / f"localstack-{LOCALSTACK_VERSION}" / "plux-cache",
    )


def python_version_ok(interpreter: str, minimum: tuple[int, int], exact: bool = False) -> bool:
    check = "==" if exact else ">="
    code = f"import sys; sys.exit(0 if sys.version_info[:2] {check} {minimum!r} else 1)"
    try:
        return subprocess.run([interpreter, "-c", code], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pyenv_interpreters() -> Iterable[str]:
    pyenv = shutil.which("pyenv")
    if not pyenv:
        return []
    result = subprocess.run([pyenv, "root"], capture_output=True, text=True)
    versions = Path(result.stdout.strip()) / "versions"
    if not versions.is_dir():
        return []
    return [str(p / "bin" / "python3") for p in sorted(versions.iterdir(), reverse=True)]


def find_python(minimum: tuple[int, int], exact: bool = False) -> str:
    """An interpreter of at least (or exactly) ``minimum``: this one, then PATH, then pyenv."""
    name = f"python{minimum[0]}.{minimum[1]}"
    candidates = [sys.executable, name, "python3", *pyenv_interpreters()]
    for candidate in candidates:
        path = shutil.which(candidate) if "/" not in candidate else candidate
        if path and python_version_ok(path, minimum, exact):
            return path
    wanted = f"Python {minimum[0]}.{minimum[1]}" + ("" if exact else " or newer")
    raise ToolMissingError(f"no {wanted} found on PATH or through pyenv")


def run_step(what: str, command: list[str], cwd: Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise ToolInstallError(f"{what} failed: {tail[0]}")


def make_venv(path: Path, interpreter: str, requirements: Iterable[str], say: Say) -> None:
    say(f"creating virtualenv {path}")
    run_step("virtualenv", [interpreter, "-m", "venv", "--clear", str(path)])
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run_step(f"pip install into {path.name}", [*pip, *requirements])


def tree_digest(*roots: Path) -> str:
    """A digest of the files under each root (a root may also be a single file)."""
    digest = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else root.rglob("*")
        base = root.parent if root.is_file() else root
        for file in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
            if ".egg-info" in str(file) or "build" in file.relative_to(base).parts:
                continue
            digest.update(str(file.relative_to(base)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


VENDORED: dict[str, ModuleType] = {
    "metricmath": metricmath,
    "logsinsights": logsinsights,
    "fault_names": fault_names,
}
"""Harness modules the plugins need in LocalStack's venv, by their name under ``_vendor``.

Each must be standard library only and import nothing from chainprobe but itself.
"""


def vendored_sources() -> dict[str, Path]:
    """Name under ``_vendor`` -> the source: a package's directory, or a single module's file."""
    sources: dict[str, Path] = {}
    for name, module in VENDORED.items():
        file = Path(str(module.__file__))
        sources[name] = file.parent if file.name == "__init__.py" else file
    return sources


def ensure_localstack(tools: Tools, say: Say) -> None:
    venv = tools.localstack_python.parent.parent
    if not tools.localstack_python.exists():
        say(f"installing LocalStack {LOCALSTACK_VERSION} (once, about 2 minutes)")
        make_venv(venv, find_python(LOCALSTACK_PYTHON), LOCALSTACK_REQUIREMENTS, say)
    ensure_plugins(tools, say)


def ensure_plugins(tools: Tools, say: Say) -> None:
    """(Re)installs the plugin package when its sources changed, and drops plux's stale cache.

    The build copy gets the vendored harness modules (``vendored_sources``) under
    ``chainprobe_localstack/_vendor/`` (a package as a directory, a module as ``NAME.py``): one
    source, copied at install, counted in the digest.
    """
    source = paths.plugins_dir()
    vendored = vendored_sources()
    marker = tools.localstack_python.parent.parent / ".chainprobe-plugins"
    digest = tree_digest(source, *vendored.values())
    if marker.exists() and marker.read_text() == digest:
        return
    say("installing chainprobe's LocalStack plugins")
    ignore = shutil.ignore_patterns("*.egg-info", "build", "__pycache__")
    with tempfile.TemporaryDirectory() as build:
        copy = Path(build) / "plugins"
        shutil.copytree(source, copy, ignore=ignore)
        vendor = copy / "src" / "chainprobe_localstack" / "_vendor"
        for name, source in vendored.items():
            if source.is_file():
                shutil.copy2(source, vendor / f"{name}.py")
            else:
                shutil.copytree(source, vendor / name, ignore=ignore)
        run_step(
            "plugin install",
            [
                str(tools.localstack_python),
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--force-reinstall",
                "--disable-pip-version-check",
                str(copy),
            ],
        )
    shutil.rmtree(tools.plux_cache, ignore_errors=True)
    marker.write_text(digest)


def ensure_lambda_runtime(tools: Tools, say: Say) -> None:
    for runtime, python in tools.lambda_runtimes.items():
        if python.exists():
            continue
        say(f"installing the Lambda {runtime} runtime")
        interpreter = find_python((3, 12), exact=True)
        make_venv(python.parent.parent, interpreter, LAMBDA_RUNTIME_REQUIREMENTS, say)


def ensure_wiremock(tools: Tools, say: Say) -> None:
    if tools.wiremock_jar.exists():
        return
    npm = shutil.which("npm")
    if not npm:
        raise ToolMissingError("npm is needed once to fetch the WireMock standalone jar; install Node.js")
    say(f"fetching WireMock {WIREMOCK_VERSION}")
    tools.wiremock_jar.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        run_step(
            "npm pack wiremock", [npm, "pack", "--silent", f"wiremock@{WIREMOCK_VERSION}"], cwd=Path(work)
        )
        with tarfile.open(Path(work) / f"wiremock-{WIREMOCK_VERSION}.tgz") as archive:
            member = archive.extractfile(f"package/build/wiremock-standalone-{WIREMOCK_VERSION}.jar")
            if member is None:
                raise ToolInstallError("the wiremock npm package has no standalone jar")
            partial = tools.wiremock_jar.with_suffix(".part")
            partial.write_bytes(member.read())
            partial.rename(tools.wiremock_jar)


def require_java() -> str:
    java = shutil.which("java")
    if not java:
        raise ToolMissingError("java not found: WireMock needs a Java 11+ runtime on PATH")
    return java


def install(say: Say = print) -> Tools:
    """Installs whatever is missing and returns where everything is."""
    tools = tools_layout()
    require_java()
    ensure_lambda_runtime(tools, say)
    ensure_localstack(tools, say)
    ensure_wiremock(tools, say)
    from chainprobe.stacks.local.wiremock_extension import ensure_wiremock_extension

    ensure_wiremock_extension(tools, say)
    return tools
