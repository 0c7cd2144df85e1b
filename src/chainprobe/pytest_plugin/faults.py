"""Fault injection for one test: the ``chainprobe_faults`` fixture, and the ``chainprobe_fault`` marker.

Two ways, as ``chainprobe canary --fault`` and ``chainprobe fault set`` do:

- markers: ``@pytest.mark.chainprobe_fault("handler-500")`` or ``chainprobe_faults.mark("handler-500")``
  puts the fault names in the spec's fault marker field of every order the test's ``probe`` sends
  (those orders only, every time: the ground truth is known per order);
- rates: ``chainprobe_faults.set("handler-500", rate=0.5)`` activates a fault in the local stack's
  registry for all its traffic.

After the test the registry is put back as it was before it, and the next order waits until the chain's
handlers can no longer act on a fault config they read before the change (they cache it for
``HANDLER_CONFIG_TTL_S``, see ``chain/shared/chain_faults.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from chainprobe.pytest_plugin.failures import one_line_failures
from chainprobe.pytest_plugin.stack import ChainprobeStack
from chainprobe.stacks.local.faults import FaultRegistryClient, check_name

HANDLER_CONFIG_TTL_S = 1.1
"""How long after a registry change a handler may still act on the config it read before (cached 1 s)."""


class ChainprobeFaults:
    """One test's faults on the session's stack."""

    def __init__(self, stack: ChainprobeStack, *, marked: Iterable[str] = ()) -> None:
        self.stack = stack
        self.marked: tuple[str, ...] = tuple(check_name(name) for name in marked)
        self._registry: FaultRegistryClient | None = None
        self._before: dict[str, float] | None = None  # the registry's faults before this test changed them
        self._changed_at: float | None = None

    @property
    def registry(self) -> FaultRegistryClient:
        if self._registry is None:
            self._registry = self.stack.fault_registry()
        return self._registry

    @one_line_failures()
    def mark(self, *names: str) -> None:
        """The probe's next orders in this test carry these fault markers too."""
        self.marked += tuple(check_name(name) for name in names if name not in self.marked)

    @one_line_failures()
    def set(self, name: str, rate: float = 1.0) -> dict[str, float]:
        """Activates ``name`` at ``rate`` for all the stack's traffic until the test ends; returns the set."""
        self._remember()
        active = self.registry.set(name, rate)
        self._changed_at = time.time()
        return active

    @one_line_failures()
    def clear(self, name: str | None = None) -> dict[str, float]:
        """Clears one fault (or all) now; returns what stays active."""
        self._remember()
        active = self.registry.clear(name)
        self._changed_at = time.time()
        return active

    @one_line_failures()
    def active(self) -> dict[str, float]:
        return self.registry.active()

    def restore(self) -> None:
        """Puts the registry back as it was before the test (when the test changed it), then waits until
        no handler acts on the test's faults any more."""
        if self._before is None:
            return
        self.registry.replace(self._before)
        self._before, self._changed_at = None, time.time()
        self.wait_until_applied()

    def wait_until_applied(self) -> None:
        """Returns once every handler reads the registry as it is now (at most ``HANDLER_CONFIG_TTL_S``
        after the last change; at once when nothing changed)."""
        if self._changed_at is not None:
            remaining = self._changed_at + HANDLER_CONFIG_TTL_S - time.time()
            if remaining > 0:
                time.sleep(remaining)

    def _remember(self) -> None:
        if self._before is None:
            self._before = self.registry.active()
