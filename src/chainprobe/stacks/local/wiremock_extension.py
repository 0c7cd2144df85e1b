"""Builds chainprobe's WireMock extension (``stubs/extensions``) into a jar beside the WireMock jar.

The extension is the courier's rate limit (``RateLimitFilter``: a token bucket in front of the stubs,
switched on by a stub's metadata, see ``stubs/README.md``). WireMock standalone finds it by extension
scanning (``META-INF/services``) when the jar is on its class path. It is compiled with the JDK's
``javac`` against the pinned WireMock jar, again whenever its sources change (a digest, as the
LocalStack plugins are). Without ``javac`` the jar is not built: WireMock runs without the extension
and a rate-limit stub has no effect, which :func:`rate_limit_available` lets a scenario refuse.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from chainprobe.stacks import paths
from chainprobe.stacks.local.tools import Say, Tools, run_step, tree_digest


def extension_jar(tools: Tools) -> Path:
    return tools.wiremock_jar.parent / "chainprobe-wiremock-extension.jar"


def rate_limit_available(tools: Tools) -> bool:
    """Whether the WireMock the local stack starts enforces a rate-limit stub."""
    return extension_jar(tools).exists()


def ensure_wiremock_extension(tools: Tools, say: Say) -> None:
    """(Re)builds the extension jar when its sources changed; says so and skips without ``javac``."""
    source = paths.stubs_dir() / "extensions"
    jar = extension_jar(tools)
    marker = jar.with_suffix(".digest")
    digest = tree_digest(source, tools.wiremock_jar)
    if jar.exists() and marker.exists() and marker.read_text() == digest:
        return
    javac, jar_tool = shutil.which("javac"), shutil.which("jar")
    if not javac or not jar_tool:
        say("javac not found: the courier's rate limit (stubs/extensions) is not built")
        return
    say("building chainprobe's WireMock extension")
    with tempfile.TemporaryDirectory() as build:
        classes = Path(build) / "classes"
        sources = sorted(str(p) for p in (source / "src").rglob("*.java"))
        run_step(
            "javac",
            [javac, "--release", "11", "-d", str(classes), "-cp", str(tools.wiremock_jar), *sources],
        )
        shutil.copytree(source / "META-INF", classes / "META-INF")
        partial = jar.with_suffix(".part")
        run_step("jar", [jar_tool, "cf", str(partial), "-C", str(classes), "."])
        partial.rename(jar)
    marker.write_text(digest)
