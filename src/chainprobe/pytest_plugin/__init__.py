"""chainprobe inside a team's own pytest suite: the ``chainprobe_stack``, ``probe`` and ``chainprobe_faults``
fixtures and the ``chainprobe_fault`` marker (registered with pytest by the ``pytest11`` entry point,
``chainprobe.pytest_plugin.hooks``). See the README's "chainprobe in your pytest suite".

Options: ``--chainprobe-stack=local|env|containers``, ``--chainprobe-spec FILE``
(``probes/orders.yaml``, relative to pytest's root directory), ``--chainprobe-report-dir DIR`` (each test's
run reports in ``DIR/<test>/<NN>-order|canary/``).

The names below are imported on first use, so that pytest starting in an environment where chainprobe is
installed does not load the harness until a test asks for one of its fixtures.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainprobe.pytest_plugin.exceptions import ProbeError
    from chainprobe.pytest_plugin.faults import ChainprobeFaults
    from chainprobe.pytest_plugin.kinds import StackUsageError
    from chainprobe.pytest_plugin.probe import Probe, ProbeRunStoppedError
    from chainprobe.pytest_plugin.stack import ChainprobeStack, FaultsUnavailableError
    from chainprobe.pytest_plugin.trace import Trace, TraceNotFinalError

_MODULE_OF = {
    "ChainprobeFaults": "faults",
    "ChainprobeStack": "stack",
    "FaultsUnavailableError": "stack",
    "Probe": "probe",
    "ProbeError": "exceptions",
    "ProbeRunStoppedError": "probe",
    "StackUsageError": "kinds",
    "Trace": "trace",
    "TraceNotFinalError": "trace",
}

__all__ = [
    "ChainprobeFaults",
    "ChainprobeStack",
    "FaultsUnavailableError",
    "Probe",
    "ProbeError",
    "ProbeRunStoppedError",
    "StackUsageError",
    "Trace",
    "TraceNotFinalError",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
