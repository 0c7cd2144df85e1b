"""Inline SVG charts of a run, drawn in Python for the HTML report (no script, no library).

- ``latency_histogram``: API latency of good orders, bars above the threshold hatched, the threshold
  and the objective's percentile as lines.
- ``run_over_time``: orders bucketed by send time: chain availability per bucket against the
  objective, latency percentiles per bucket against the threshold, and orders per bucket.
- ``stage_timeline``: one row per order, its stages as lags after sending; a big run shows its worst
  orders and an even sample of the rest (``TIMELINE_ROWS``).
- ``interval_strip``: a small availability estimate with its confidence interval against a target.

Every chart has a ``<title>`` and a ``<desc>`` that says in words what it shows; bad things are marked
by shape, hatching or text as well as colour. Text from the ledger is escaped.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from chainprobe.ledger.model import OrderRecord, Stage, Verdict
from chainprobe.measure.sli import Interval, nearest_rank
from chainprobe.report.build import worst_orders
from chainprobe.report.formatting import ms, percent
from chainprobe.report.html_page import esc
from chainprobe.report.model import RunReport
from chainprobe.spec.secrets import redact

__all__ = [
    "DEFS",
    "THRESHOLD_REACH",
    "TIMELINE_ROWS",
    "TIMELINE_WORST",
    "good_latencies",
    "histogram_span",
    "interval_strip",
    "latency_histogram",
    "run_over_time",
    "shared_prefix",
    "stage_timeline",
    "strip_low",
    "timeline_groups",
]

TIMELINE_ROWS = 60  # at most this many orders in the stage timeline ...
TIMELINE_WORST = 40  # ... of which the worst, the rest an even sample

WIDTH = 880
MIN_BAR = 2.0  # the least height of a bar that counts anything
# A latency axis stretches to show the threshold when that is at most this many times the data's
# extent; further off, the data would be squeezed into a corner and the threshold is named instead.
THRESHOLD_REACH = 5.0

# Shared by every chart of the page: the hatching of bad bars (defined once, in a hidden SVG).
DEFS = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false"><defs>'
    '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#d55e00"/><line x1="1" y1="0" x2="1" y2="6" stroke="#fff" '
    'stroke-width="2"/></pattern></defs></svg>'
)


def num(value: float) -> str:
    """A coordinate with at most one decimal: ``12.0`` -> ``'12'``, ``12.34`` -> ``'12.3'``."""
    text = f"{round(value, 1) + 0.0:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_step(raw: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at least ``raw``."""
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    base = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * base * (1 + 1e-9):
            return factor * base
    return 10.0 * base


def _nice_top(high: float, count: int) -> float:
    """``high`` rounded up to a whole number of the tick step ``ticks`` would use."""
    step = nice_step(high / max(count, 1))
    return math.ceil(high / step - 1e-9) * step


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values from ``low`` to ``high`` (about ``count`` of them)."""
    step = nice_step((high - low) / max(count, 1))
    first = math.ceil(low / step - 1e-9) * step
    values, value = [], first
    while value <= high + step * 1e-6:
        values.append(round(value, 9) + 0.0)
        value += step
    return values


@dataclass
class Svg:
    """An SVG being drawn: its size, text alternatives, and elements."""

    ident: str
    height: float
    title: str
    desc: str
    width: float = WIDTH
    parts: list[str] = field(default_factory=list)

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def text(self, x: float, y: float, text: str, css: str = "", anchor: str = "start") -> None:
        attrs = f' class="{css}"' if css else ""
        attrs += f' text-anchor="{anchor}"' if anchor != "start" else ""
        self.add(f'<text x="{num(x)}" y="{num(y)}"{attrs}>{esc(text)}</text>')

    def vertical_text(self, x: float, y: float, text: str, css: str = "axis-label") -> None:
        """Text read bottom to top, centred on ``(x, y)`` (a y-axis label)."""
        self.add(
            f'<text x="{num(x)}" y="{num(y)}" class="{css}" text-anchor="middle"'
            f' transform="rotate(-90 {num(x)} {num(y)})">{esc(text)}</text>'
        )

    def legend(self, x: float, y: float, entries: Sequence[tuple[str, str]]) -> None:
        """Swatches and their labels in a row from ``(x, y)`` (the text baseline); each entry is the
        swatch's markup, drawn in a 12 x 12 box at the origin, and its label."""
        for swatch, label in entries:
            self.add(f'<g transform="translate({num(x)} {num(y - 10)})">{swatch}</g>')
            self.text(x + 20, y, label)
            x += 34 + 6.2 * len(label)

    def line(self, x1: float, y1: float, x2: float, y2: float, css: str) -> None:
        self.add(f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" class="{css}"/>')

    def rect(self, x: float, y: float, w: float, h: float, css: str, tip: str | None = None) -> None:
        shape = f'<rect x="{num(x)}" y="{num(y)}" width="{num(max(w, 0))}" height="{num(max(h, 0))}"'
        if tip is None:
            self.add(f'{shape} class="{css}"/>')
        else:
            self.add(f'{shape} class="{css}"><title>{esc(tip)}</title></rect>')

    def render(self, css: str = "chart") -> str:
        ident = self.ident
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}"'
            f' viewBox="0 0 {num(self.width)} {num(self.height)}"'
            f' role="img" aria-labelledby="{ident}-t {ident}-d">'
            f'<title id="{ident}-t">{esc(self.title)}</title><desc id="{ident}-d">{esc(self.desc)}</desc>'
            + "".join(self.parts)
            + "</svg>"
        )


def _y_axis(svg: Svg, values: Sequence[float], label: str, left: float, right: float, y_of: Scale) -> None:
    for value in values:
        y = y_of(value)
        svg.line(left, y, right, y, "grid")
        svg.text(left - 6, y + 4, label.format(value), "tick", "end")


@dataclass(frozen=True)
class Scale:
    """A linear map from ``[d0, d1]`` to ``[r0, r1]``."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, value: float) -> float:
        span = self.d1 - self.d0 or 1.0
        return self.r0 + (value - self.d0) / span * (self.r1 - self.r0)


# -- (1) latency histogram ------------------------------------------------------------------------


def good_latencies(report: RunReport) -> list[float]:
    """The API latencies of the good orders, sorted (the latency SLI's sample)."""
    return sorted(
        order.api_latency_ms
        for order in report.orders
        if order.chain_verdict is Verdict.GOOD and order.api_latency_ms is not None
    )


def histogram_span(values: Sequence[float], threshold: float | None) -> tuple[float, bool]:
    """How far the histogram's axis goes (ms, before rounding to whole bins), and whether the threshold
    is off it: to the last value (or past p99 when a far outlier would squash the rest), and on to
    the threshold unless it is more than ``THRESHOLD_REACH`` times further."""
    p99 = nearest_rank(values, 99)
    span = values[-1] * 1.04 if values[-1] <= p99 * 2.0 else p99 * 1.25
    off_scale = threshold is not None and threshold > max(span, 1.0) * THRESHOLD_REACH
    if threshold is not None and not off_scale:
        span = max(span, threshold * 1.1)
    return span, off_scale


def latency_histogram(report: RunReport) -> str | None:
    """The histogram of the API latency of good orders (``None`` when no good order has one)."""
    values = good_latencies(report)
    if not values:
        return None
    latency = report.sli.latency
    threshold = latency.threshold_ms
    span, off_scale = histogram_span(values, threshold)
    width = nice_step(max(span, 1.0) / 40)
    bins = max(1, math.ceil(span / width - 1e-9))
    if (bins * width) < values[-1] <= (bins + 1) * width:
        bins += 1  # a last value just past the span: one more bin rather than an overflow bar
    top = bins * width
    over_axis = [value for value in values if value > top]
    within = [0] * bins
    above = [0] * bins
    for value in values:
        if value > top:
            continue
        index = min(int(value // width), bins - 1)
        if threshold is not None and value > threshold:
            above[index] += 1
        else:
            within[index] += 1

    left, right, top_y, bottom_y = 56.0, WIDTH - 24.0, 46.0, 258.0
    plot_right = right - (44 if over_axis else 0)
    x_of = Scale(0.0, top, left, plot_right)
    highest = max([a + b for a, b in zip(within, above, strict=True)] + [len(over_axis), 1])
    count_ticks = [value for value in ticks(0, highest, 4) if value == int(value)]
    y_top = max(count_ticks[-1], highest)
    y_of = Scale(0.0, y_top, bottom_y, top_y)

    svg = Svg("latency", 294.0, "Latency of good orders", _histogram_desc(report, values, width, top))
    _y_axis(svg, count_ticks, "{:g}", left, plot_right, y_of)
    svg.vertical_text(16, (top_y + bottom_y) / 2, "good orders")
    bar_w = x_of(width) - x_of(0)
    for index in range(bins):
        low = index * width
        x = x_of(low) + 0.5
        counted = within[index] + above[index]
        if not counted:
            continue
        tip = f"{low:g}-{low + width:g} ms: {counted} orders"
        if above[index]:
            tip += f" ({above[index]} above the threshold)"
        base = bottom_y
        for count, css in ((within[index], "good"), (above[index], "over")):
            if count:
                height = max(bottom_y - y_of(count), MIN_BAR)  # a few orders among thousands stay visible
                svg.rect(x, base - height, bar_w - 1, height, css, tip)
                base -= height
    if over_axis:
        height = max(bottom_y - y_of(len(over_axis)), MIN_BAR)
        x = plot_right + 14
        css = "over" if threshold is not None and threshold < over_axis[0] else "good"
        tip = f"{len(over_axis)} orders above {top:g} ms (max {values[-1]:g} ms)"
        svg.rect(x, bottom_y - height, 24, height, css, tip)
        svg.text(x + 12, bottom_y - height - 4, str(len(over_axis)), "tick", "middle")
        svg.text(x + 12, bottom_y + 16, f">{top:g}", "tick", "middle")
    svg.line(left, bottom_y, plot_right, bottom_y, "axis")
    for value in ticks(0, top, 8):
        svg.line(x_of(value), bottom_y, x_of(value), bottom_y + 4, "axis")
        svg.text(x_of(value), bottom_y + 16, f"{value:g}", "tick", "middle")
    svg.text((left + plot_right) / 2, bottom_y + 32, "API latency (ms)", "axis-label", "middle")

    at = latency.at_percentile
    if at is not None and at <= top:
        x = x_of(at)
        svg.line(x, top_y - 14, x, bottom_y, "pline")
        label = f"p{latency.percentile:g} {ms(at)}"
        svg.text(
            x + (-4 if x > WIDTH - 140 else 4), top_y - 6, label, "", "end" if x > WIDTH - 140 else "start"
        )
    if threshold is not None and not off_scale:
        x = x_of(threshold)
        svg.line(x, top_y - 30, x, bottom_y, "threshold")
        label = f"threshold {ms(threshold)}"
        slow = sum(1 for value in values if value > threshold)
        label += f": {slow} above" if slow else ""
        anchor = "end" if x > WIDTH - 200 else "start"
        svg.text(x + (-4 if anchor == "end" else 4), top_y - 22, label, "", anchor)
    elif threshold is not None:
        svg.text(right, top_y - 22, f"threshold {ms(threshold)} is off the axis, to the right →", "", "end")
    return svg.render()


def _histogram_desc(report: RunReport, values: Sequence[float], width: float, top: float) -> str:
    latency = report.sli.latency
    dist = latency.distribution
    text = (
        f"Histogram of the API latency of {len(values)} good orders in {width:g} ms bins from 0 to "
        f"{top:g} ms. p50 {ms(dist.p50)}, p95 {ms(dist.p95)}, p99 {ms(dist.p99)}, max {ms(dist.max)}."
    )
    if latency.threshold_ms is not None:
        above = sum(1 for value in values if value > latency.threshold_ms)
        text += (
            f" {len(values) - above} ({percent(latency.within_threshold)}) within the "
            f"{ms(latency.threshold_ms)} threshold, {above} above it (hatched bars)."
        )
    return text


# -- (2) stage timeline ---------------------------------------------------------------------------

_MARKED = (Stage.API, Stage.DYNAMODB, Stage.EVENT, Stage.COURIER)


def timeline_groups(report: RunReport) -> list[tuple[str, list[OrderRecord]]]:
    """The rows of the timeline: every sent order in send order, or for a big run the worst
    ``TIMELINE_WORST`` then an even sample of the others (each group with a heading)."""
    sent = [order for order in report.orders if order.chain_verdict is not Verdict.NOT_SENT]
    if len(sent) <= TIMELINE_ROWS:
        return [("", sorted(sent, key=lambda order: order.seq))]
    worst = _worst_mix(sent)
    chosen = {order.seq for order in worst}
    rest = sorted((order for order in sent if order.seq not in chosen), key=lambda order: order.seq)
    room = TIMELINE_ROWS - len(worst)
    sample = [rest[index * len(rest) // room] for index in range(room)] if len(rest) > room else rest
    kinds = Counter(_kind(order) for order in worst)
    mix = ", ".join(f"{kinds[kind]} {kind}" for kind in ("bad", "pending", "slowest good") if kinds[kind])
    return [
        (f"the {len(worst)} worst orders: {mix}", worst),
        (f"an even sample of {len(sample)} of the other {len(rest)} orders, in send order", sample),
    ]


def _kind(order: OrderRecord) -> str:
    if order.chain_verdict is Verdict.BAD or order.delivery_verdict is Verdict.BAD:
        return "bad"
    return "pending" if order.pending else "slowest good"


def _worst_few(orders: list[OrderRecord]) -> list[OrderRecord]:
    """The ``TIMELINE_WORST`` worst of orders of one kind (earliest bad or pending, slowest good)."""
    if len(orders) <= TIMELINE_WORST:
        return orders
    if _kind(orders[0]) == "slowest good":
        return heapq.nlargest(
            TIMELINE_WORST, orders, key=lambda order: (order.api_latency_ms or 0.0, -order.seq)
        )
    return heapq.nsmallest(
        TIMELINE_WORST, orders, key=lambda order: (order.chain_verdict is not Verdict.BAD, order.seq)
    )


def _worst_mix(sent: Sequence[OrderRecord]) -> list[OrderRecord]:
    """``TIMELINE_WORST`` orders in ``worst_orders``' ranking, keeping room for a few pending and a few
    slowest good ones when there are many bad ones; rows a kind leaves free go to the next worst."""
    by_kind: dict[str, list[OrderRecord]] = {"bad": [], "pending": [], "slowest good": []}
    for order in sent:
        by_kind[_kind(order)].append(order)
    # only the TIMELINE_WORST worst of each kind can be chosen: rank those, not the whole run
    ranked = worst_orders([order for rows in by_kind.values() for order in _worst_few(rows)], limit=len(sent))
    quota = {"pending": TIMELINE_WORST // 8, "slowest good": TIMELINE_WORST // 8}
    quota["bad"] = TIMELINE_WORST - quota["pending"] - quota["slowest good"]
    taken: dict[str, int] = Counter()
    chosen: set[int] = set()
    for order in ranked:
        kind = _kind(order)
        if taken[kind] < quota[kind]:
            taken[kind] += 1
            chosen.add(order.seq)
    for order in ranked:
        if len(chosen) >= TIMELINE_WORST:
            break
        chosen.add(order.seq)
    return [order for order in ranked if order.seq in chosen]


def stage_timeline(
    report: RunReport, groups: list[tuple[str, list[OrderRecord]]] | None = None
) -> str | None:
    """One row per order: when each stage saw it, in ms after it was sent (``None``: none sent);
    ``groups`` defaults to ``timeline_groups(report)``."""
    groups = timeline_groups(report) if groups is None else groups
    shown = [order for _, rows in groups for order in rows]
    if not shown:
        return None
    stages = [stage for stage in _MARKED if stage in report.verified_stages] or [Stage.API]
    lags = [lag for order in shown for lag in _lags(order, stages).values()]
    top = max(lags, default=1.0)
    step = nice_step(max(top, 1.0) / 8)
    top = math.ceil(top / step) * step if top > 0 else 1.0

    row_h, left, right = 16.0, 190.0, WIDTH - 190.0
    headed = [heading for heading, _ in groups if heading]
    height = 54 + row_h * (len(shown) + len(headed)) + 40
    x_of = Scale(0.0, top, left, right)
    svg = Svg("timeline", height, "Stage timeline per order", _timeline_desc(report, groups, stages))
    _timeline_legend(svg, stages)
    prefix = shared_prefix([order.order_id for order in shown])
    y = 54.0
    for value in ticks(0, top, 8):
        svg.line(x_of(value), y - 6, x_of(value), height - 36, "grid")
    for heading, rows in groups:
        if heading:
            svg.text(8, y + 12, heading[:1].upper() + heading[1:], "group")
            y += row_h
        for order in rows:
            _timeline_row(svg, order, stages, x_of, y, row_h, prefix)
            y += row_h
    svg.line(left, y + 2, right, y + 2, "axis")
    for value in ticks(0, top, 8):
        svg.line(x_of(value), y + 2, x_of(value), y + 6, "axis")
        svg.text(x_of(value), y + 17, f"{value:g}", "tick", "middle")
    svg.text((left + right) / 2, y + 32, "ms after the order was sent", "axis-label", "middle")
    return svg.render()


def _lags(order: OrderRecord, stages: Sequence[Stage]) -> dict[Stage, float]:
    if order.sent_at is None:
        return {}
    sent = order.sent_at
    return {
        stage: max(0.0, (at - sent) * 1000.0)
        for stage in stages
        if (at := order.observed_at(stage)) is not None
    }


def _marker(stage: Stage, x: float, y: float, css: str | None = None) -> str:
    css = css or f"m-{stage.value}"
    if stage is Stage.API:
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="4.5" class="{css}"/>'
    if stage is Stage.DYNAMODB:
        return f'<rect x="{num(x - 4)}" y="{num(y - 4)}" width="8" height="8" class="{css}"/>'
    if stage is Stage.EVENT:
        return f'<path d="M{num(x)} {num(y - 5.5)}l5.5 5.5-5.5 5.5-5.5-5.5z" class="{css}"/>'
    return f'<path d="M{num(x)} {num(y - 5)}l5 9h-10z" class="{css}"/>'


def _timeline_legend(svg: Svg, stages: Sequence[Stage]) -> None:
    x = 8.0
    svg.line(x, 12, x, 24, "m-sent")
    svg.text(x + 6, 22, "sent (0 ms)")
    x += 90
    for stage in stages:
        svg.add(_marker(stage, x, 18))
        svg.text(x + 9, 22, stage.value)
        x += 22 + 7.5 * len(stage.value)
    svg.add(f'<rect x="{num(x)}" y="11" width="16" height="14" class="row-bad"/>')
    svg.add(_marker(Stage.API, x + 8, 18, "m-fail"))
    svg.text(x + 22, 22, "bad order: tinted row, ring at the failing stage, ✘ and its class on the right")


def _timeline_row(
    svg: Svg,
    order: OrderRecord,
    stages: Sequence[Stage],
    x_of: Scale,
    y: float,
    row_h: float,
    prefix: str,
) -> None:
    lags = _lags(order, stages)
    failure = order.chain_failure or order.delivery_failure
    bad = order.chain_verdict is Verdict.BAD or order.delivery_verdict is Verdict.BAD
    mid = y + row_h / 2
    svg.add(f"<g><title>{esc(_row_tip(order, lags))}</title>")
    if bad or order.pending:
        svg.rect(0, y + 1, WIDTH, row_h - 2, "row-bad" if bad else "row-pending")
    svg.text(x_of.r0 - 10, mid + 4, _label(order, prefix), "bad-label" if bad else "", "end")
    if order.sent_at is not None:
        svg.line(x_of(0), mid - 5, x_of(0), mid + 5, "m-sent")
        if lags:
            svg.line(x_of(0), mid, x_of(max(lags.values())), mid, "track")
    for stage, lag in lags.items():
        svg.add(_marker(stage, x_of(lag), mid))
    if failure is not None and failure.stage in lags:
        svg.add(f'<circle cx="{num(x_of(lags[failure.stage]))}" cy="{num(mid)}" r="8" class="m-fail"/>')
    svg.text(x_of.r1 + 12, mid + 4, _verdict_text(order), "bad-label" if bad else "tick")
    svg.add("</g>")


def shared_prefix(order_ids: Sequence[str]) -> str:
    """The prefix every order id shares, up to a separator (``-``, ``_``, ``:``, ``/``, ``.``), when it is
    at least 6 characters long (else ``''``): the timeline's labels leave it out."""
    if len(order_ids) < 2:
        return ""
    first, last = min(order_ids), max(order_ids)  # what the first and last share, all share
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
    common = first[:size]
    cut = max(common.rfind(mark) for mark in "-_:/.") + 1
    return common[:cut] if cut >= 6 else ""


def _label(order: OrderRecord, prefix: str) -> str:
    """``#seq`` and the order id without the shared prefix, cut to its last 18 characters."""
    rest = order.order_id.removeprefix(prefix)
    if len(rest) > 18:
        rest = rest[-17:]
        prefix = prefix or "…"
    return f"#{order.seq} {'…' if prefix else ''}{rest}"


def _verdict_text(order: OrderRecord) -> str:
    if order.chain_verdict is Verdict.BAD and order.chain_failure is not None:
        return f"✘ {order.chain_failure.value}"
    if order.delivery_verdict is Verdict.BAD and order.delivery_failure is not None:
        return f"✘ {order.delivery_failure.value} (delivery)"
    if order.pending:
        return "… pending" + ("" if order.answered else ", no API outcome")
    return "good"


def _row_tip(order: OrderRecord, lags: dict[Stage, float]) -> str:
    parts = [f"order {order.order_id} (#{order.seq}): {_verdict_text(order)}"]
    if order.api_status is not None:
        parts.append(f"API {order.api_status}")
    parts.extend(f"{stage.value} +{ms(lag)}" for stage, lag in lags.items())
    if order.details:
        parts.append(" ".join(redact(order.details).split())[:300])  # redacted before it is cut
    return "; ".join(parts)


def _timeline_desc(
    report: RunReport, groups: list[tuple[str, list[OrderRecord]]], stages: Sequence[Stage]
) -> str:
    shown = sum(len(rows) for _, rows in groups)
    sent = report.sli.sent
    scope = (
        f"all {shown} orders sent"
        if len(groups) == 1
        else f"{shown} of the {sent} orders sent ({'; '.join(h for h, _ in groups)})"
    )
    bad = [
        f"#{order.seq} {order.order_id} {_verdict_text(order).removeprefix('✘ ')}"
        for _, rows in groups
        for order in rows
        if order.chain_verdict is Verdict.BAD or order.delivery_verdict is Verdict.BAD
    ]
    text = (
        f"One row per order, {scope}: when each stage ({', '.join(stage.value for stage in stages)}) "
        f"saw it, in milliseconds after it was sent."
    )
    if bad:
        listed = "; ".join(bad[:20]) + ("; …" if len(bad) > 20 else "")
        text += f" Bad orders shown ({len(bad)}): {listed}."
    return text


# -- (3) over the run -----------------------------------------------------------------------------

_BUCKET_SECONDS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600)


@dataclass
class Bucket:
    """The orders sent in ``[start, start + width)`` seconds after the run started."""

    start: float
    good: int = 0
    bad: int = 0
    pending: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def availability(self) -> float | None:
        return self.good / (self.good + self.bad) if self.good + self.bad else None


def buckets(report: RunReport) -> tuple[float, list[Bucket]]:
    """The bucket width (seconds) and the buckets of the run's sent orders, by send time."""
    started = report.run.started_at
    timed = [
        (max(0.0, (order.sent_at if order.sent_at is not None else order.planned_at) - started), order)
        for order in report.orders
        if order.chain_verdict is not Verdict.NOT_SENT
    ]
    if not timed:
        return 1.0, []
    last = max(offset for offset, _ in timed)
    wanted = min(40, max(1, math.ceil(len(timed) / 3)))
    width = next((item for item in _BUCKET_SECONDS if item * wanted > last), _BUCKET_SECONDS[-1])
    count = int(last // width) + 1
    result = [Bucket(start=index * width) for index in range(count)]
    for offset, order in timed:
        bucket = result[min(int(offset // width), count - 1)]
        if order.chain_verdict is Verdict.GOOD:
            bucket.good += 1
            if order.api_latency_ms is not None:
                bucket.latencies.append(order.api_latency_ms)
        elif order.chain_verdict is Verdict.BAD:
            bucket.bad += 1
        else:
            bucket.pending += 1
    return float(width), result


def run_over_time(report: RunReport) -> str | None:
    """Availability, latency and orders per send-time bucket (``None`` when no order was sent)."""
    width, items = buckets(report)
    if not items:
        return None
    left, right = 64.0, WIDTH - 130.0
    x_of = Scale(0.0, width * len(items), left, right)
    svg = Svg(
        "overtime", 520.0, "Availability and latency over the run", _over_time_desc(report, width, items)
    )
    _availability_panel(svg, report, items, width, x_of, 20.0, 160.0)
    _latency_panel(svg, report, items, width, x_of, 200.0, 340.0)
    _orders_panel(svg, items, width, x_of, 380.0, 460.0)
    svg.line(left, 460, right, 460, "axis")
    span = width * len(items)
    scale = 60.0 if span >= 600 else 1.0  # ticks on whole minutes in a long run, seconds otherwise
    for value in [tick * scale for tick in ticks(0, span / scale, 10)]:
        svg.line(x_of(value), 460, x_of(value), 464, "axis")
        svg.text(x_of(value), 476, _offset(value), "tick", "middle")
    svg.text(
        (left + right) / 2,
        500,
        f"time since the run started (orders bucketed by send time, {_offset(width)} buckets)",
        "axis-label",
        "middle",
    )
    return svg.render()


def _span(item: Bucket, width: float) -> str:
    return f"sent {_offset(item.start)} to {_offset(item.start + width)}"


def _offset(seconds: float) -> str:
    """``'45 s'`` under ten minutes, else ``'12 min'`` or ``'12 min 30 s'``."""
    if seconds < 600:
        return f"{seconds:g} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes:g} min" + (f" {rest:g} s" if rest else "")


def _availability_panel(
    svg: Svg, report: RunReport, items: list[Bucket], width: float, x_of: Scale, top: float, bottom: float
) -> None:
    objective = report.gate.objective("availability")
    target = objective.target if objective is not None else None
    values = [item.availability for item in items if item.availability is not None]
    lowest = min([*values, *([target] if target is not None else []), 1.0])
    floor = next(
        value
        for value in (0.99, 0.95, 0.9, 0.8, 0.6, 0.4, 0.2, 0.0)
        if value <= lowest - 0.002 or value == 0.0
    )
    y_of = Scale(floor, 1.0, bottom, top + 14)
    heading = "Chain availability per bucket"
    svg.text(x_of.r0, top + 2, heading, "group")
    _y_axis(svg, ticks(floor, 1.0, 5), "{:.0%}" if floor < 0.9 else "{:.1%}", x_of.r0, x_of.r1, y_of)
    if target is not None and target >= floor:
        svg.line(x_of.r0, y_of(target), x_of.r1, y_of(target), "threshold")
        svg.text(x_of.r1 + 6, y_of(target) + 4, f"objective {percent(target)}")
    _polyline(
        svg,
        [
            (x_of(item.start + width / 2), y_of(v) if (v := item.availability) is not None else None)
            for item in items
        ],
        "line-a",
    )
    for item in items:
        value = item.availability
        if value is None:
            continue
        x, y = x_of(item.start + width / 2), y_of(value)
        low = target is not None and value < target
        tip = f"{_span(item, width)}: {item.good} good, {item.bad} bad"
        tip += f", {item.pending} pending: {percent(value)}" + (" (below the objective)" if low else "")
        shape = (
            f'<path d="M{num(x - 5)} {num(y - 4)}h10l-5 9z" class="pt-low"/>'
            if low
            else f'<circle cx="{num(x)}" cy="{num(y)}" r="3.5" class="pt"/>'
        )
        svg.add(f"<g><title>{esc(tip)}</title>{shape}</g>")
    svg.legend(
        x_of.r0 + 6.6 * len(heading) + 24,
        top + 2,
        [(_DOT.format(css="pt"), "at or above the objective"), (_TRIANGLE, "below it")],
    )


def _latency_panel(
    svg: Svg, report: RunReport, items: list[Bucket], width: float, x_of: Scale, top: float, bottom: float
) -> None:
    latency = report.sli.latency
    q = latency.percentile
    p50 = [nearest_rank(item.latencies, 50) if item.latencies else None for item in items]
    pq = [nearest_rank(item.latencies, q) if item.latencies else None for item in items]
    highest = max([value for value in pq if value is not None] + [1.0])
    if latency.threshold_ms is not None and latency.threshold_ms <= highest * THRESHOLD_REACH:
        highest = max(highest, latency.threshold_ms * 1.1)
    scale_ticks = ticks(0, _nice_top(highest, 4), 4)
    y_of = Scale(0.0, scale_ticks[-1], bottom, top + 14)
    heading = f"API latency of good orders per bucket (ms): p50 and p{q:g}"
    svg.text(x_of.r0, top + 2, heading, "group")
    _y_axis(svg, scale_ticks, "{:g}", x_of.r0, x_of.r1, y_of)
    threshold = latency.threshold_ms
    if threshold is not None and threshold <= y_of.d1:
        svg.line(x_of.r0, y_of(threshold), x_of.r1, y_of(threshold), "threshold")
        svg.text(x_of.r1 + 6, y_of(threshold) + 4, f"threshold {ms(threshold)}")
    elif threshold is not None:
        svg.text(x_of.r1 + 6, top + 14, f"threshold {ms(threshold)}")
        svg.text(x_of.r1 + 6, top + 28, "(above the axis)")
    centres = [x_of(item.start + width / 2) for item in items]
    _polyline(
        svg, [(x, y_of(v) if v is not None else None) for x, v in zip(centres, p50, strict=True)], "line-a"
    )
    _polyline(
        svg, [(x, y_of(v) if v is not None else None) for x, v in zip(centres, pq, strict=True)], "line-b"
    )
    for item, x, a, b in zip(items, centres, p50, pq, strict=True):
        if a is None or b is None:
            continue
        tip = f"{_span(item, width)}: {len(item.latencies)} good orders, p50 {ms(a)}, p{q:g} {ms(b)}"
        svg.add(
            f'<g><title>{esc(tip)}</title><circle cx="{num(x)}" cy="{num(y_of(a))}" r="3" class="pt"/>'
            f'<rect x="{num(x - 3)}" y="{num(y_of(b) - 3)}" width="6" height="6" class="pt-b"/></g>'
        )
    svg.legend(
        x_of.r0 + 6.6 * len(heading) + 24,
        top + 2,
        [
            (f'<line x1="-2" y1="6" x2="14" y2="6" class="line-a"/>{_DOT.format(css="pt")}', "p50, solid"),
            (f'<line x1="-2" y1="6" x2="14" y2="6" class="line-b"/>{_SQUARE}', f"p{q:g}, dashed"),
        ],
    )


def _orders_panel(
    svg: Svg, items: list[Bucket], width: float, x_of: Scale, top: float, bottom: float
) -> None:
    highest = max(max(item.good + item.bad + item.pending for item in items), 1)
    scale_ticks = [value for value in ticks(0, _nice_top(highest, 2), 2) if value == int(value)]
    y_of = Scale(0.0, max(scale_ticks[-1], highest), bottom, top + 14)
    heading = "Orders sent per bucket"
    svg.text(x_of.r0, top + 2, heading, "group")
    _y_axis(svg, scale_ticks, "{:g}", x_of.r0, x_of.r1, y_of)
    bar = x_of(width) - x_of(0)
    gap = min(2.0, bar * 0.15)
    for item in items:
        x = x_of(item.start) + gap / 2
        tip = f"{_span(item, width)}: {item.good} good, {item.bad} bad, {item.pending} pending"
        base = bottom
        for count, css in ((item.good, "good"), (item.bad, "over"), (item.pending, "pending")):
            if count:
                height = bottom - y_of(count)
                svg.rect(x, base - height, bar - gap, height, css, tip)
                base -= height
    svg.legend(
        x_of.r0 + 6.6 * len(heading) + 24,
        top + 2,
        [
            (_SWATCH.format(css=css), label)
            for css, label in (("good", "good"), ("over", "bad, hatched"), ("pending", "pending"))
        ],
    )


_DOT = '<circle cx="6" cy="6" r="4" class="{css}"/>'
_TRIANGLE = '<path d="M1 2h10l-5 9z" class="pt-low"/>'
_SQUARE = '<rect x="3" y="3" width="6" height="6" class="pt-b"/>'
_SWATCH = '<rect x="1" y="1" width="10" height="10" class="{css}"/>'


def _polyline(svg: Svg, points: list[tuple[float, float | None]], css: str) -> None:
    """Lines through the points, broken where a bucket has no value."""
    run: list[str] = []
    for x, y in [*points, (0.0, None)]:
        if y is not None:
            run.append(f"{num(x)},{num(y)}")
            continue
        if len(run) > 1:
            svg.add(f'<polyline points="{" ".join(run)}" class="{css}"/>')
        run = []


def _over_time_desc(report: RunReport, width: float, items: list[Bucket]) -> str:
    values = [item.availability for item in items if item.availability is not None]
    text = (
        f"The run's {report.sli.sent} sent orders in {len(items)} buckets of {_offset(width)} by send time."
    )
    if values:
        text += f" Chain availability per bucket from {percent(min(values))} to {percent(max(values))}"
        objective = report.gate.objective("availability")
        if objective is not None:
            low = sum(1 for value in values if value < objective.target)
            text += f"; {low} of {len(values)} buckets below the {percent(objective.target)} objective"
        text += "."
    worst = [item for item in items if item.bad]
    if worst:
        text += " Bad orders at " + ", ".join(f"{_offset(item.start)} ({item.bad})" for item in worst[:15])
        text += ", …." if len(worst) > 15 else "."
    return text


# -- availability strip ---------------------------------------------------------------------------


def strip_low(value: float | None, interval: Interval | None, target: float) -> float:
    """Where the strip's axis starts: a multiple of 5% below the target, estimate and interval."""
    points = [target, *([value] if value is not None else []), *([interval.low] if interval else [])]
    return max(0.0, math.floor((min(points) - 0.005) * 20) / 20)


def interval_strip(
    ident: str, label: str, value: float | None, interval: Interval | None, target: float
) -> str:
    """A strip 0..100%: the estimate (dot), its confidence interval (bar) and the target (red tick)."""
    low = strip_low(value, interval, target)
    x_of = Scale(low, 1.0, 4.0, 196.0)
    desc = f"{label}: {percent(value)}"
    if interval is not None:
        desc += f", {interval.confidence * 100:g}% confidence interval"
        desc += f" {percent(interval.low)} to {percent(interval.high)}"
    desc += f"; target {percent(target)} (red tick); axis from {percent(low, 0)} to 100%."
    svg = Svg(ident, 22.0, f"{label} and its confidence interval", desc, width=200.0)
    svg.line(x_of(low), 17, x_of(1.0), 17, "axis")
    for end in (low, 1.0):
        svg.line(x_of(end), 14, x_of(end), 20, "axis")
    if interval is not None:
        svg.rect(x_of(interval.low), 7, max(x_of(interval.high) - x_of(interval.low), 2), 8, "ci")
    if value is not None:
        svg.add(f'<circle cx="{num(x_of(value))}" cy="11" r="3.5" class="est"/>')
    svg.line(x_of(target), 2, x_of(target), 21, "target")
    return svg.render(css="strip")
