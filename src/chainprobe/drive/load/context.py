"""What the processes of a load run tell each other: the run (harness -> Locust) and the result back.

``RunContext`` is everything a Locust process needs to send a run's orders: the run id, the spec file,
the target's endpoint values, the ledger file, the (scaled) shape, how many processes share the
arrivals and, once the test has started, when arrival 0 is due. The harness writes it to a file for
the driver process; a Locust master sends it to its workers in a message when the test starts; it is
plain JSON either way. Endpoint values given by ``CHAINPROBE_*`` variables (an API key, say) are left
out of that JSON: every process of the run inherits the harness's environment and reads them there.

``DriverResult`` is what the driver (the local runner or the master) writes when it is done: Locust's
own request statistics, aggregated over its workers, and what happened to the test.

Example::

    >>> from chainprobe.drive.load.shapes import load_shapes
    >>> shape = load_shapes().get("arrival-ramp")
    >>> context = RunContext(run_id="r-1", spec_path="probes/orders.yaml", endpoints={"api_url": "http://[::1]"},
    ...                      ledger_path="/tmp/l.sqlite", shape=shape, processes=2)
    >>> RunContext.from_json(context.started(at=1000.0).to_json()).start
    1000.0
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from chainprobe.drive.load.shapes import LoadShape
from chainprobe.spec.template import Scalar
from chainprobe.spec.variables import endpoint_variables, without_environment

__all__ = ["DriverResult", "RequestStats", "RunContext", "write_json_atomically"]


@dataclass(frozen=True, kw_only=True)
class RunContext:
    """One load run as the Locust processes see it; ``start`` is ``None`` until the test starts."""

    run_id: str
    spec_path: str
    endpoints: dict[str, Scalar]
    ledger_path: str
    shape: LoadShape
    processes: int = 1
    start: float | None = None

    def started(self, *, at: float, processes: int | None = None) -> RunContext:
        """The context of a test that started: arrival 0 due at ``at`` (epoch seconds)."""
        return replace(self, start=at, processes=processes or self.processes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "spec_path": self.spec_path,
            "endpoints": without_environment(self.endpoints),
            "ledger_path": self.ledger_path,
            "shape": self.shape.to_dict(),
            "processes": self.processes,
            "start": self.start,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunContext:
        return cls(
            run_id=str(data["run_id"]),
            spec_path=str(data["spec_path"]),
            endpoints=endpoint_variables(data["endpoints"]),
            ledger_path=str(data["ledger_path"]),
            shape=LoadShape.from_dict(data["shape"]),
            processes=int(data["processes"]),
            start=None if data.get("start") is None else float(data["start"]),
        )

    @classmethod
    def from_json(cls, text: str) -> RunContext:
        loaded: dict[str, Any] = json.loads(text)
        return cls.from_dict(loaded)


@dataclass(frozen=True, kw_only=True)
class RequestStats:
    """Locust's statistics of the orders' requests (response times in milliseconds)."""

    requests: int = 0
    failures: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True, kw_only=True)
class DriverResult:
    """What the driver reports at the end: Locust's stats, the start of the schedule, how it ended.

    ``workers_lost`` lists the worker indexes the master saw go missing (or quit) during the test.
    """

    stats: RequestStats = field(default_factory=RequestStats)
    start: float | None = None
    processes: int = 1
    peak_users: int = 0
    stopped_by: str = "shape"
    workers_lost: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["workers_lost"] = list(self.workers_lost)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriverResult:
        stats = dict(data.get("stats") or {})
        return cls(
            stats=RequestStats(**stats),
            start=data.get("start"),
            processes=int(data.get("processes", 1)),
            peak_users=int(data.get("peak_users", 0)),
            stopped_by=str(data.get("stopped_by", "shape")),
            workers_lost=tuple(int(i) for i in data.get("workers_lost", ())),
        )

    @classmethod
    def read(cls, path: Path) -> DriverResult | None:
        """The result written at ``path``, or ``None`` when there is none (the driver died first)."""
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return None


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON to a temporary file beside ``path`` and rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=2, sort_keys=True)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
