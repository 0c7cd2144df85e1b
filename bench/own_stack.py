"""The benchmarks' own local stack: free loopback ports, a temporary state directory, stopped at the end.

A benchmark never measures whatever stack the shell points at: the ``CHAINPROBE_*`` endpoint variables
are dropped and the ledger lives in the temporary directory too.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chainprobe.spec.variables import ENDPOINT_NAMES, ENV_PREFIX, endpoint_variables
from chainprobe.stacks.local.stack import LocalStack, LocalStackConfig
from chainprobe.target import Target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class OwnStack:
    stack: LocalStack
    state: Path
    """The temporary directory: the stack's state under ``stack/``, the ledger, anything else."""

    def target(self) -> Target:
        return Target(
            name="local", endpoints=endpoint_variables(self.stack.status()), clients=self.stack.clients
        )


@contextmanager
def own_stack(name: str, *, start: bool = True) -> Iterator[OwnStack]:
    """A stack of the benchmark's own, brought up unless ``start`` is False (to time ``up`` itself)."""
    for variable in ENDPOINT_NAMES:
        os.environ.pop(f"{ENV_PREFIX}{variable.upper()}", None)
    with tempfile.TemporaryDirectory(prefix=f"chainprobe-{name}-") as state:
        os.environ["CHAINPROBE_LEDGER"] = str(Path(state) / "ledger.sqlite")
        config = LocalStackConfig(
            localstack_port=free_port(), courier_port=free_port(), state_dir=Path(state) / "stack"
        )
        stack = LocalStack(config, say=lambda _m: None)
        try:
            if start:
                stack.up()
            yield OwnStack(stack, Path(state))
        finally:
            stack.down()
