"""What a timed-out invocation leaves in its log group, as AWS writes it (no LocalStack import).

On AWS the function's own output of an invocation that ran out of time is in CloudWatch Logs,
followed by the runtime's lines::

    START RequestId: 0f1e… Version: $LATEST
    hello from the handler
    2026-01-01T00:00:03.012Z 0f1e… Task timed out after 3.00 seconds

    END RequestId: 0f1e…
    REPORT RequestId: 0f1e…	Duration: 3000.00 ms	Billed Duration: 3000 ms	Status: timeout

The local executor cuts such an invocation by stopping its process, so the output the process had
written so far is read back from the process's output file (``OutputMark`` remembers where the
invocation began) and ends with the same lines.

Example::

    >>> lines = timed_out_logs("START RequestId: r-1 Version: $LATEST\\nhi\\n", request_id="r-1",
    ...     timeout_seconds=2, duration_ms=2004.5, stamp="2026-01-01T00:00:02.004000Z").splitlines()
    >>> lines[1:3]
    ['hi', '2026-01-01T00:00:02.004000Z r-1 Task timed out after 2.00 seconds']
    >>> lines[-1]
    'REPORT RequestId: r-1\\tDuration: 2004.50 ms\\tBilled Duration: 2005 ms\\tStatus: timeout'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_OUTPUT_BYTES", "OutputMark", "timed_out_logs", "timeout_line"]

# CloudWatch Logs takes events up to 256 KB; an invocation's output beyond this keeps its last part.
MAX_OUTPUT_BYTES = 256 * 1024


@dataclass(frozen=True)
class OutputMark:
    """Where one invocation's output begins in an environment's output file."""

    path: Path
    offset: int

    @classmethod
    def at_end_of(cls, path: Path) -> OutputMark:
        """A mark at the file's current end (0 when it does not exist yet)."""
        try:
            return cls(path, path.stat().st_size)
        except OSError:
            return cls(path, 0)

    def output_since(self, limit: int = MAX_OUTPUT_BYTES) -> str:
        """What was written after the mark (its last ``limit`` bytes), or "" when unreadable."""
        try:
            with self.path.open("rb") as file:
                size = file.seek(0, 2)
                file.seek(max(self.offset, size - limit))
                data = file.read()
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace")


def timeout_line(request_id: str, timeout_seconds: float, stamp: str) -> str:
    """``<stamp> <request id> Task timed out after 3.00 seconds``: the error message and log line."""
    return f"{stamp} {request_id} Task timed out after {timeout_seconds:.2f} seconds"


def timed_out_logs(
    output: str, *, request_id: str, timeout_seconds: float, duration_ms: float, stamp: str
) -> str:
    """The invocation's log: its output (a START line added when the output has none), the timeout
    line, END and a REPORT line with ``Status: timeout``."""
    start = f"START RequestId: {request_id}"
    if start not in output:
        output = f"{start} Version: $LATEST\n{output}"
    if output and not output.endswith("\n"):
        output += "\n"
    billed = math.ceil(duration_ms)
    return (
        f"{output}{timeout_line(request_id, timeout_seconds, stamp)}\n"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {billed} ms\tStatus: timeout\n"
    )
