"""What a load run achieved against its shape: planned vs achieved arrival rate, lateness, Locust's stats.

Built from the ledger alone (plus Locust's own statistics when the driver reported them), so
``chainprobe verify`` of a killed run can tell the same story:

- *planned*: the shape's arrivals, ``planned_orders`` at its mean rate, and per time bucket;
- *achieved*: the orders sent (a send time in the ledger) per bucket and over the shape's duration;
  an arrival's bucket is its send time minus the start of the schedule (arrival 0's due time);
- *lateness*: send time minus due time per order (``planned_at`` holds the due time). An open model
  sends on time whatever the chain does; lateness grows only when the driver runs out of users or CPU;
- *Locust*: requests, failures (the API stage judged by the spec), response time percentiles;
- *memory*: the growth of the harness's resident set over the run (``memory_growth``), when sampled.

Written next to the run's reports as ``load.json`` and as a ``## Load`` section appended to
``summary.md``; its ``lines()`` follow the terminal summary.

Example::

    summary = LoadSummary.build(shape=shape, orders=ledger.orders(run_id), result=ended.result)
    for label, text in summary.lines():
        print(f"  {label:<12}{text}")
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chainprobe.drive.load.context import DriverResult, RequestStats
from chainprobe.drive.load.memory_growth import MemoryGrowth
from chainprobe.drive.load.shapes import LoadShape
from chainprobe.ledger.model import OrderRecord

__all__ = ["LOAD_SCHEMA", "LoadSummary", "RatePoint"]

LOAD_SCHEMA = "chainprobe.load/1"
BUCKETS = 30  # the rate series has about this many points


@dataclass(frozen=True)
class RatePoint:
    """One bucket of the run: from ``t`` seconds for ``width`` seconds, planned and achieved orders/s."""

    t: float
    width: float
    planned: float
    achieved: float


@dataclass(frozen=True, kw_only=True)
class LoadSummary:
    """See the module docstring; ``None`` figures were not measurable (no order sent, no Locust stats)."""

    shape: LoadShape
    processes: int
    planned: int
    recorded: int
    sent: int
    start: float | None
    lateness_ms: dict[str, float] | None
    series: tuple[RatePoint, ...]
    locust: RequestStats | None = None
    peak_users: int | None = None
    stopped_by: str | None = None
    notes: tuple[str, ...] = field(default=())
    memory: MemoryGrowth | None = None

    @property
    def planned_rate(self) -> float:
        return self.shape.mean_rate

    @property
    def achieved_rate(self) -> float:
        """Orders sent per second over the shape's duration."""
        return self.sent / self.shape.duration_s

    @property
    def peak_achieved(self) -> float:
        """The highest achieved rate of a bucket."""
        return max((p.achieved for p in self.series), default=0.0)

    @property
    def achieved_ratio(self) -> float:
        return self.sent / self.planned if self.planned else 0.0

    @classmethod
    def build(
        cls,
        *,
        shape: LoadShape,
        orders: Sequence[OrderRecord],
        result: DriverResult | None = None,
        processes: int = 1,
        notes: Sequence[str] = (),
        memory: MemoryGrowth | None = None,
    ) -> LoadSummary:
        sent = [o for o in orders if o.sent_at is not None]
        start = (
            result.start if result is not None and result.start is not None else _start_from(shape, orders)
        )
        late = [max(0.0, (o.sent_at - o.planned_at) * 1000) for o in sent if o.sent_at is not None]
        return cls(
            shape=shape,
            processes=result.processes if result is not None else processes,
            planned=shape.planned_orders,
            recorded=len(orders),
            sent=len(sent),
            start=start,
            lateness_ms=_lateness(late),
            series=_series(shape, [o.sent_at for o in sent if o.sent_at is not None], start),
            locust=result.stats if result is not None else None,
            peak_users=result.peak_users if result is not None else None,
            stopped_by=result.stopped_by if result is not None else None,
            notes=tuple(notes),
            memory=memory,
        )

    # -- renderings -------------------------------------------------------------------------------

    def headline(self) -> str:
        scale = f" x{self.shape.time_scale:g}" if self.shape.time_scale != 1 else ""
        processes = "1 Locust process" if self.processes == 1 else f"{self.processes} Locust workers"
        users = f", peak {self.peak_users} users" if self.peak_users else ""
        return f"{self.shape.name}{scale} ({_seconds(self.shape.duration_s)}), {processes}{users}"

    def arrivals_line(self) -> str:
        planned = (
            f"planned {self.planned} at {self.planned_rate:.2f}/s (peak {self.shape.peak_rate:g}/s); "
            f"sent {self.sent} at {self.achieved_rate:.2f}/s ({self.achieved_ratio:.1%})"
        )
        if self.recorded != self.sent:
            planned += f", {self.recorded - self.sent} recorded but never sent"
        if self.lateness_ms is not None:
            late = self.lateness_ms
            planned += f"; late p50 {late['p50']:.0f} ms, p95 {late['p95']:.0f} ms, max {late['max']:.0f} ms"
        return planned

    def worst_bucket(self) -> RatePoint | None:
        """The bucket whose achieved rate fell furthest below plan, when one fell short by 5% and by at
        least two orders (arrivals are whole: a bucket can hold one fewer than its share)."""
        short = [
            p
            for p in self.series
            if p.planned > 0 and p.achieved < 0.95 * p.planned and (p.planned - p.achieved) * p.width >= 2
        ]
        return min(short, key=lambda p: p.achieved / p.planned) if short else None

    def locust_line(self) -> str | None:
        stats = self.locust
        if stats is None:
            return None
        line = f"{stats.requests} requests, {stats.failures} failures ({stats.failure_ratio:.2%})"
        if stats.p95_ms is not None:
            line += f", p50 {stats.p50_ms:.0f} ms, p95 {stats.p95_ms:.0f} ms, p99 {stats.p99_ms:.0f} ms"
        return line

    def lines(self) -> list[tuple[str, str]]:
        """``(label, text)`` pairs for the terminal, after the run's summary."""
        lines = [("load", self.headline()), ("arrivals", self.arrivals_line())]
        worst = self.worst_bucket()
        if worst is not None:
            lines.append(
                (
                    "rate",
                    f"furthest behind at +{worst.t:.0f} s: {worst.achieved:.2f}/s sent "
                    f"for {worst.planned:.2f}/s planned",
                )
            )
        if (locust := self.locust_line()) is not None:
            lines.append(("locust", locust))
        if self.stopped_by not in (None, "shape"):
            lines.append(("stopped", f"by {self.stopped_by}"))
        if self.memory is not None:
            lines.append(("memory", self.memory.line()))
        lines.extend(("driver", note) for note in self.notes)
        return lines

    def to_dict(self, run_id: str) -> dict[str, Any]:
        stats = self.locust
        return {
            "schema": LOAD_SCHEMA,
            "run_id": run_id,
            "shape": self.shape.to_dict(),
            "processes": self.processes,
            "peak_users": self.peak_users,
            "stopped_by": self.stopped_by,
            "planned": {
                "orders": self.planned,
                "rate_mean": round(self.planned_rate, 6),
                "rate_peak": self.shape.peak_rate,
                "duration_s": round(self.shape.duration_s, 3),
            },
            "achieved": {
                "recorded": self.recorded,
                "sent": self.sent,
                "rate_mean": round(self.achieved_rate, 6),
                "ratio": round(self.achieved_ratio, 6),
                "lateness_ms": self.lateness_ms,
            },
            "series": [
                {"t": p.t, "width": p.width, "planned": round(p.planned, 4), "achieved": round(p.achieved, 4)}
                for p in self.series
            ],
            "locust": None
            if stats is None
            else {
                "requests": stats.requests,
                "failures": stats.failures,
                "failure_ratio": round(stats.failure_ratio, 6),
                "response_time_ms": {
                    "p50": stats.p50_ms,
                    "p95": stats.p95_ms,
                    "p99": stats.p99_ms,
                    "max": stats.max_ms,
                },
                "errors": stats.errors,
            },
            "notes": list(self.notes),
            "memory": None if self.memory is None else self.memory.to_dict(),
        }

    def markdown(self) -> str:
        """A ``## Load`` section for ``summary.md``."""
        rows = [
            "",
            f"## Load: {self.headline()}",
            "",
            "| | planned | achieved |",
            "|---|---:|---:|",
            f"| orders | {self.planned} | {self.sent} sent ({self.achieved_ratio:.1%}) |",
            f"| mean arrival rate | {self.planned_rate:.2f}/s | {self.achieved_rate:.2f}/s |",
            f"| peak arrival rate | {self.shape.peak_rate:g}/s | {self.peak_achieved:.2f}/s |",
        ]
        if self.lateness_ms is not None:
            late = self.lateness_ms
            figures = f"{late['p50']:.0f} / {late['p95']:.0f} / {late['max']:.0f} ms"
            rows.append(f"| lateness p50 / p95 / max | | {figures} |")
        if (locust := self.locust_line()) is not None:
            rows += ["", f"Locust: {locust}."]
        if self.memory is not None:
            rows += ["", f"Memory: {self.memory.line()}."]
        rows += [f"- {note}" for note in self.notes]
        if self.series:
            rows += [
                "",
                "<details><summary>arrival rate over time</summary>",
                "",
                "| t (s) | planned /s | achieved /s |",
                "|---:|---:|---:|",
            ]
            rows += [f"| {p.t:.0f} | {p.planned:.2f} | {p.achieved:.2f} |" for p in self.series]
            rows += ["", "</details>"]
        return "\n".join(rows) + "\n"


def _start_from(shape: LoadShape, orders: Sequence[OrderRecord]) -> float | None:
    """Arrival 0's due time, from the orders' due times (``planned_at``) and sequence numbers."""
    starts = [o.planned_at - offset for o in orders if (offset := shape.arrival_time(o.seq)) is not None]
    return statistics.median(starts) if starts else None


def _lateness(late_ms: list[float]) -> dict[str, float] | None:
    if not late_ms:
        return None
    ordered = sorted(late_ms)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {"p50": round(at(0.5), 3), "p95": round(at(0.95), 3), "max": round(ordered[-1], 3)}


def _series(shape: LoadShape, sent: list[float], start: float | None) -> tuple[RatePoint, ...]:
    duration = shape.duration_s
    width = max(1.0, math.ceil(duration / BUCKETS))
    counts = [0] * math.ceil(duration / width)
    if start is not None:
        for at in sent:
            index = int((at - start) // width)
            if 0 <= index < len(counts):
                counts[index] += 1
            elif index >= len(counts) and counts:
                counts[-1] += 1  # a late last order still belongs to the run
    points = []
    for index, count in enumerate(counts):
        t0 = index * width
        span = min(width, duration - t0)
        planned = (shape.arrivals_by(t0 + span) - shape.arrivals_by(t0)) / span
        points.append(RatePoint(t=t0, width=span, planned=planned, achieved=count / span))
    return tuple(points)


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"
