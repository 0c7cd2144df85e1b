"""Which runs were published to CloudWatch, so a run is published once: CloudWatch sums what it is sent.

A run's publication is recorded next to the ledger it belongs to, in ``<ledger>.published/<run_id>.json``
(the ledger's ``runs`` table has no free-form field, and its schema is not changed for this). The
record is claimed *before* PutMetricData, with an exclusive create, so two processes finishing the same
run (a canary, then ``chainprobe verify --run ID --publish-metrics``) cannot both publish it; a publish
that fails gives the claim back. Example::

    publications = Publications.beside(ledger.path)
    claim = publications.claim(run_id, namespace="Chainprobe", dimensions={"Probe": "orders"})
    if claim is not None:                        # None: published before; claim.previous says when
        ...

``claim(..., again=True)`` publishes anyway (``--republish``) and counts the publications: CloudWatch then
holds the run's data that many times. Limitation: a process killed between the claim and PutMetricData
leaves the run recorded as published though it was not; ``--republish`` is the way out. Raises
``OSError`` when the record cannot be written or read.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Publication", "Publications"]


@dataclass(frozen=True, kw_only=True)
class Publication:
    """A run's recorded publication: when (epoch seconds), where, and how many times so far."""

    run_id: str
    published_at: float
    namespace: str
    dimensions: dict[str, str]
    times: int = 1

    def describe(self) -> str:
        """``'at 2026-01-01T00:00:45Z to Chainprobe (Probe=orders)'``."""
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.published_at))
        where = self.namespace
        if self.dimensions:
            where += " (" + ", ".join(f"{name}={value}" for name, value in self.dimensions.items()) + ")"
        return f"at {at} to {where}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "run_id": self.run_id,
                "published_at": self.published_at,
                "namespace": self.namespace,
                "dimensions": self.dimensions,
                "times": self.times,
            }
        )


class Publications:
    """The publication records of one ledger's runs (a directory, created on first use)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def beside(cls, ledger_path: Path) -> Publications:
        """The records of the ledger at ``ledger_path``: ``<ledger_path>.published/``."""
        return cls(ledger_path.with_name(ledger_path.name + ".published"))

    def get(self, run_id: str) -> Publication | None:
        """The run's recorded publication, ``None`` when it was never published."""
        path = self._path(run_id)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except ValueError:  # claimed this instant by another process, its record not written yet
            return Publication(run_id=run_id, published_at=path.stat().st_mtime, namespace="?", dimensions={})
        return Publication(
            run_id=str(data["run_id"]),
            published_at=float(data["published_at"]),
            namespace=str(data["namespace"]),
            dimensions={str(k): str(v) for k, v in dict(data["dimensions"]).items()},
            times=int(data.get("times", 1)),
        )

    def claim(
        self, run_id: str, *, namespace: str, dimensions: Mapping[str, str], again: bool = False
    ) -> Publication | None:
        """Records the run as published now and returns the record; ``None`` (nothing written) when it
        was published before, unless ``again``: then the record counts one more publication."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(run_id)
        previous = self.get(run_id)
        if previous is not None and not again:
            return None
        record = Publication(
            run_id=run_id,
            published_at=time.time(),
            namespace=namespace,
            dimensions=dict(dimensions),
            times=1 if previous is None else previous.times + 1,
        )
        if previous is None:
            try:
                with path.open("x") as file:  # exclusive: a concurrent publisher of the run loses here
                    file.write(record.to_json())
            except FileExistsError:
                return None
        else:
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(record.to_json())
            temporary.replace(path)
        return record

    def release(self, claimed: Publication) -> None:
        """Gives back a claim whose publish failed: the run is as published as it was before it."""
        path = self._path(claimed.run_id)
        if claimed.times == 1:
            path.unlink(missing_ok=True)
            return
        undone = Publication(
            run_id=claimed.run_id,
            published_at=claimed.published_at,
            namespace=claimed.namespace,
            dimensions=claimed.dimensions,
            times=claimed.times - 1,
        )
        path.write_text(undone.to_json())

    def _path(self, run_id: str) -> Path:
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise ValueError(f"not a run id: {run_id!r}")
        return self.directory / f"{run_id}.json"
