"""The pytest plugin (entry point ``pytest11``: ``chainprobe = chainprobe.pytest_plugin.hooks``).

Fixtures: ``chainprobe_stack`` (session: the stack the tests run against, ``stack.ChainprobeStack``),
``probe`` (``probe.Probe``: orders and canaries from ``--chainprobe-spec``), ``chainprobe_faults``
(``faults.ChainprobeFaults``: the test's fault markers and rates, put back after it). Marker:
``@pytest.mark.chainprobe_fault("handler-500", ...)``. A failing probe is an ordinary AssertionError;
with ``--chainprobe-report-dir DIR`` every run's reports are written to ``DIR/<test>/<NN>-<kind>/`` and
named in the test's ``user_properties`` (``chainprobe_report``: JUnit XML shows them as properties).

The harness is imported when a fixture is first used, not when pytest starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chainprobe.pytest_plugin.kinds import KINDS, StackUsageError, stack_kind

if TYPE_CHECKING:
    from chainprobe.pytest_plugin.faults import ChainprobeFaults
    from chainprobe.pytest_plugin.probe import Probe
    from chainprobe.pytest_plugin.stack import ChainprobeStack
    from chainprobe.report.writer import ReportFiles

DEFAULT_SPEC = "probes/orders.yaml"
FAULT_MARKER = "chainprobe_fault"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chainprobe", "chainprobe: probe a serverless request chain")
    group.addoption(
        "--chainprobe-stack",
        choices=KINDS,
        default=None,
        help="the stack the probes run against: local (started when not running), env (CHAINPROBE_* "
        "variables) or containers (docker-compose.yml, started when not running); default env when "
        "CHAINPROBE_API_URL is set, else local",
    )
    group.addoption(
        "--chainprobe-spec",
        default=DEFAULT_SPEC,
        help=f"the probe spec of the probe fixture, relative to the root directory (default {DEFAULT_SPEC})",
    )
    group.addoption(
        "--chainprobe-report-dir",
        default=None,
        metavar="DIR",
        help="write every probe run's reports to DIR/<test>/<NN>-order|canary/",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{FAULT_MARKER}(*names): every order the test's probe sends carries these fault markers",
    )
    try:
        stack_kind(config.getoption("chainprobe_stack"), os.environ)
    except StackUsageError as e:
        raise pytest.UsageError(str(e)) from None


@pytest.fixture(scope="session")
def chainprobe_stack(pytestconfig: pytest.Config) -> Iterator[ChainprobeStack]:
    """The stack of the session; stopped at its end only when this fixture started it."""
    from chainprobe.pytest_plugin.failures import one_line_failures
    from chainprobe.pytest_plugin.probe import say_to_stderr
    from chainprobe.pytest_plugin.stack import open_stack

    kind = stack_kind(pytestconfig.getoption("chainprobe_stack"), os.environ)
    with ExitStack() as opened:
        with one_line_failures():
            stack = opened.enter_context(open_stack(kind, say=say_to_stderr))
        yield stack


@pytest.fixture
def chainprobe_faults(
    chainprobe_stack: ChainprobeStack, request: pytest.FixtureRequest
) -> Iterator[ChainprobeFaults]:
    """The test's faults: its ``chainprobe_fault`` markers, and registry rates put back after it."""
    from chainprobe.pytest_plugin.failures import one_line_failures
    from chainprobe.pytest_plugin.faults import ChainprobeFaults

    marked = [name for marker in request.node.iter_markers(FAULT_MARKER) for name in marker.args]
    with one_line_failures():
        faults = ChainprobeFaults(chainprobe_stack, marked=marked)
    try:
        yield faults
    finally:
        with one_line_failures():
            faults.restore()


@pytest.fixture
def probe(
    chainprobe_stack: ChainprobeStack,
    chainprobe_faults: ChainprobeFaults,
    request: pytest.FixtureRequest,
    pytestconfig: pytest.Config,
) -> Probe:
    """Orders and canaries from ``--chainprobe-spec`` against ``chainprobe_stack``."""
    from chainprobe.pytest_plugin.failures import one_line_failures
    from chainprobe.pytest_plugin.probe import Probe
    from chainprobe.spec import load_spec

    spec = Path(pytestconfig.getoption("chainprobe_spec"))
    spec = spec if spec.is_absolute() else pytestconfig.rootpath / spec
    with one_line_failures():
        load_spec(spec)  # a spec that cannot be read is an error of the test's setup
    report_root = pytestconfig.getoption("chainprobe_report_dir")
    report_dir = None
    if report_root is not None:
        report_dir = pytestconfig.invocation_params.dir / report_root / folder_name(request.node.nodeid)

    def attach(files: ReportFiles) -> None:
        request.node.user_properties.append(("chainprobe_report", str(files.json)))

    return Probe(
        spec_path=spec,
        stack=chainprobe_stack,
        faults=chainprobe_faults,
        report_dir=report_dir,
        on_files=attach,
    )


def folder_name(nodeid: str) -> str:
    """A test's id as one folder name: ``t/test_o.py::test_x[a]`` -> ``t_test_o.py__test_x_a_``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", nodeid)
