"""The HTML report, ``report.html``: one self-contained page with inline CSS and inline SVG charts.

Sections: the verdict (SLO met or breached, and why); the SLIs against their objectives, each
availability with its Wilson interval drawn against the target; the latency distribution of good
orders; availability and latency over the run; failure classes; error budget and burn-rate tiers; the
metric math against the black box; the per-order stage timeline; the worst orders (details and response
bodies); stage lags. Charts are drawn by ``chainprobe.report.charts``; the page shell is
``chainprobe.report.html_page``. No script and nothing fetched; everything from the ledger is escaped.

Example::

    Path("report.html").write_text(render_html(report), encoding="utf-8")
"""

from __future__ import annotations

from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.report import charts
from chainprobe.report.formatting import interval_text, ms, percent, seconds
from chainprobe.report.html_drilldown import SECTION_ID, SECTION_TITLE, drilldown_section
from chainprobe.report.html_page import clip, esc, page
from chainprobe.report.metric_math import (
    PERIOD_HEADER,
    class_rows,
    denominator_line,
    measured_text,
    period_rows,
    window_line,
)
from chainprobe.report.model import BudgetSummary, ObjectiveResult, RunReport
from chainprobe.report.sections import (
    LAG_HEADER,
    SliRow,
    class_counts,
    lag_notes,
    lag_rows,
    not_sent_line,
    order_cells,
    orders_line,
    sli_rows,
    verdict_word,
)
from chainprobe.report.timefmt import iso_utc
from chainprobe.spec.duration import format_duration
from chainprobe.spec.secrets import redact

__all__ = ["render_html"]

DETAILS_CHARS = 400  # a detail longer than this is cut in the tables (the title attribute has more)
BODY_CHARS = 2000  # a response body is shown up to this many characters

_NAV = (
    ("slis", "SLIs"),
    ("latency", "Latency"),
    ("over-time", "Over the run"),
    ("classes", "Failure classes"),
    ("budget", "Error budget"),
    ("metric-math", "Metric math"),
    ("timeline", "Stage timeline"),
    ("worst", "Worst orders"),
)


def render_html(report: RunReport) -> str:
    """The report as one HTML document (UTF-8 text, ending with a newline)."""
    run = report.run
    title = f"chainprobe {run.spec_name}: {verdict_word(report)} (run {run.run_id})"
    blocks = [
        charts.DEFS,
        _header(report),
        _verdict(report),
        _slis(report),
        _latency(report),
        _over_time(report),
        _classes(report),
        _budgets(report),
        _metric_math(report),
        _timeline(report),
        _worst(report),
        drilldown_section(report.logs, section=_section),
        _lags(report),
        f'<footer class="meta"><p>chainprobe run report ({esc(run.run_id)}); the same data as '
        "<code>report.json</code>. Times are UTC.</p></footer>",
    ]
    return page(title, "\n".join(block for block in blocks if block))


# -- header and verdict ---------------------------------------------------------------------------


def _header(report: RunReport) -> str:
    run = report.run
    when = f"from {iso_utc(run.started_at)}, not ended"
    if run.ended_at is not None:
        when = f"{iso_utc(run.started_at)} to {iso_utc(run.ended_at)} ({seconds(report.duration_s)})"
    drilled = report.logs is not None and bool(report.logs.bad_orders)
    nav = _NAV + (((SECTION_ID, SECTION_TITLE),) if drilled else ())
    links = "".join(f'<a href="#{ident}">{esc(label)}</a>' for ident, label in nav)
    return (
        f"<header>\n<h1>chainprobe <code>{esc(run.spec_name)}</code>: {esc(verdict_word(report))}</h1>\n"
        f'<p class="meta">Run <code>{esc(run.run_id)}</code> on <code>{esc(run.target)}</code>, spec '
        f"<code>{esc(run.spec_path)}</code>, {esc(when)}, {esc(run.state.value)}.</p>\n"
        f'<p class="meta">{esc(orders_line(report))}.</p>\n'
        f'<nav aria-label="Sections">{links}</nav>\n</header>'
    )


def _verdict(report: RunReport) -> str:
    gate = report.gate
    css, mark = ("met", "✔") if gate.met else ("breached", "✘")
    why = list(gate.reasons) or ["every gating objective is met and no order is pending a verdict"]
    notes = [
        f"{item.name}: inconclusive, the {_confidence(report, item)} interval straddles the objective "
        "(too few orders to tell)"
        for item in gate.objectives
        if item.inconclusive
    ]
    notes.extend(f"{item.name}: reported, not gating" for item in gate.objectives if not item.gating)
    if (not_sent := not_sent_line(report)) is not None:
        notes.append(not_sent)
    blocks = [_bullets("Why", why)] + ([_bullets("Notes", notes)] if notes else [])
    return (
        f'<section class="verdict {css}" aria-labelledby="verdict-word">\n'
        f'<p class="word" id="verdict-word">{mark} {esc(verdict_word(report))}</p>\n'
        + "\n".join(blocks)
        + "\n</section>"
    )


def _bullets(label: str, lines: list[str]) -> str:
    items = "".join(f"<li>{esc(line[:1].upper() + line[1:])}</li>" for line in lines)
    return f"<p><strong>{label}:</strong></p><ul>{items}</ul>"


def _confidence(report: RunReport, item: ObjectiveResult) -> str:
    interval = report.sli.chain.interval
    if item.name == "latency":
        interval = report.sli.latency.within_interval
    elif item.name == "delivery" and report.sli.delivery is not None:
        interval = report.sli.delivery.interval
    return f"{interval.confidence * 100:g}% confidence" if interval is not None else "confidence"


# -- SLIs -----------------------------------------------------------------------------------------


def _slis(report: RunReport) -> str:
    rows = []
    for row in sli_rows(report):
        rows.append(
            f'<tr><th scope="row">{esc(row.title)}</th><td>{esc(row.measured)}</td>'
            f"<td>{esc(row.objective)}</td><td>{_outcome(row)}</td><td>{_strip(report, row)}</td></tr>"
        )
    table = (
        '<div class="wide"><table>\n<thead><tr><th scope="col">SLI</th><th scope="col">measured</th>'
        '<th scope="col">objective</th><th scope="col">result</th>'
        '<th scope="col">estimate, interval and target</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table></div>"
    )
    legend = (
        '<p class="meta">In the last column: the dot is the estimate, the pale bar its confidence interval, '
        "the red tick the target; the scale under each strip.</p>"
    )
    return (
        '<section id="slis" aria-labelledby="slis-h">\n<h2 id="slis-h">SLIs against the objectives</h2>\n'
        + table
        + "\n"
        + legend
        + "\n"
        + _latency_table(report)
        + "\n</section>"
    )


def _outcome(row: SliRow) -> str:
    if row.outcome.startswith("met"):
        return f'<span class="ok">✔ {esc(row.outcome)}</span>'
    if row.outcome.startswith("breached"):
        return f'<span class="no">✘ {esc(row.outcome)}</span>'
    return esc(row.outcome)


def _strip(report: RunReport, row: SliRow) -> str:
    """The interval strip of an availability row, or of the latency row's share within threshold."""
    objective = report.gate.objective(row.name)
    if objective is None:
        return ""
    if row.name == "latency":
        latency = report.sli.latency
        value, interval, target = latency.within_threshold, latency.within_interval, latency.percentile / 100
        label = "Share of good orders within the latency threshold"
    else:
        sli = report.sli.delivery if row.name == "delivery" else report.sli.chain
        if sli is None:
            return ""
        value, interval, target = sli.availability, sli.interval, objective.target
        label = row.title
    if value is None:
        return ""
    low = charts.strip_low(value, interval, target)
    svg = charts.interval_strip(f"strip-{row.name}", label, value, interval, target)
    return f'{svg}<span class="dim">scale {percent(low, 0)} to 100%</span>'


def _latency_table(report: RunReport) -> str:
    latency = report.sli.latency
    dist = latency.distribution
    if dist.count == 0:
        return '<p class="meta">No good order has an API latency: no latency percentiles.</p>'
    cells = [str(dist.count), ms(dist.p50), ms(dist.p95), ms(dist.p99), ms(dist.max)]
    header = ["good orders", "p50", "p95", "p99", "max"]
    if latency.threshold_ms is not None:
        within = percent(latency.within_threshold)
        interval = interval_text(latency.within_interval)
        cells += [ms(latency.threshold_ms), within + (f" ({interval})" if interval else "")]
        header += [f"threshold (p{latency.percentile:g})", "within threshold"]
    return "<h3>API latency of good orders</h3>\n" + _table(
        header, [cells], numeric=range(len(cells) - (1 if latency.threshold_ms is not None else 0))
    )


# -- charts ---------------------------------------------------------------------------------------


def _latency(report: RunReport) -> str:
    svg = charts.latency_histogram(report)
    latency = report.sli.latency
    if svg is None:
        body = '<p class="meta">No good order has an API latency: nothing to draw.</p>'
    else:
        threshold = latency.threshold_ms
        if threshold is not None and charts.histogram_span(charts.good_latencies(report), threshold)[1]:
            caption = f"Bars: good orders, all far below the {ms(threshold)} threshold (off the axis);"
        elif threshold is not None:
            caption = "Blue bars: good orders within the threshold; hatched bars: above it."
            caption += f" Dashed line: the {ms(threshold)} threshold;"
        else:
            caption = "Bars: good orders. No latency objective in the spec;"
        caption += f" dotted line: p{latency.percentile:g}. Hover a bar for its counts."
        body = f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"
    return _section("latency", "Latency distribution of good orders", body)


def _over_time(report: RunReport) -> str:
    svg = charts.run_over_time(report)
    if svg is None:
        body = '<p class="meta">No order was sent: nothing to draw.</p>'
    else:
        caption = (
            "Orders grouped by when they were sent. Top: chain availability per bucket (triangles: below "
            "the objective). Middle: latency percentiles of the bucket's good orders. Bottom: orders sent, "
            "bad ones hatched. Hover a point or bar for its numbers."
        )
        body = f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"
    return _section("over-time", "Availability and latency over the run", body)


def _timeline(report: RunReport) -> str:
    groups = charts.timeline_groups(report)
    svg = charts.stage_timeline(report, groups)
    if svg is None:
        return _section("timeline", "Stage timeline per order", '<p class="meta">No order was sent.</p>')
    shown = sum(len(rows) for _, rows in groups)
    if len(groups) == 1:
        scope = f"All {shown} orders sent, in send order."
    else:
        scope = (
            f"{shown} of {report.sli.sent} orders: " + "; then ".join(heading for heading, _ in groups) + "."
        )
    prefix = charts.shared_prefix([order.order_id for _, rows in groups for order in rows])
    if prefix:
        scope += f" Labels: #seq and the order id without the prefix all share ({prefix})."
    caption = (
        f"{scope} Each row: the order's send (tick at 0) and the lag at which each stage saw it "
        "(DynamoDB: when the verifier first read the item, an upper bound; see the stage lags). "
        "Bad orders have a tinted row, a ring on the failing stage when it was seen, and ✘ with their "
        "class on the right. Hover a row for its order id, API status and details."
    )
    body = f'<figure class="wide">{svg}<figcaption>{esc(caption)}</figcaption></figure>'
    return _section("timeline", "Stage timeline per order", body)


# -- classes, budget, metric math -----------------------------------------------------------------


def _classes(report: RunReport) -> str:
    counts = class_counts(report)
    if not counts:
        return _section("classes", "Failure classes", '<p class="meta">No bad order.</p>')
    sent = max(report.sli.sent, 1)
    rows = []
    for failure, count in counts:
        share = count / sent
        bar = f'<span class="bar" style="width:{max(2, round(share * 160))}px" aria-hidden="true"></span>'
        rows.append(
            f"<tr><td><code>{esc(failure.value)}</code></td><td>{esc(failure.stage.value)}</td>"
            f'<td>{_slo_of(failure)}</td><td class="num">{count}</td>'
            f"<td>{bar}{esc(percent(share))} of sent</td></tr>"
        )
    table = (
        '<table>\n<thead><tr><th scope="col">class</th><th scope="col">stage</th><th scope="col">SLO</th>'
        '<th scope="col" class="num">orders</th><th scope="col">share</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>"
    )
    return _section("classes", "Failure classes", table)


def _slo_of(failure: FailureClass) -> str:
    return "delivery" if failure.is_delivery else "chain"


def _budgets(report: RunReport) -> str:
    if not report.budgets:
        return _section(
            "budget", "Error budget and burn rate", '<p class="meta">No SLO in the spec: no error budget.</p>'
        )
    return _section(
        "budget", "Error budget and burn rate", "\n".join(_budget(item) for item in report.budgets)
    )


def _budget(item: BudgetSummary) -> str:
    burn = item.burn
    head = (
        f"<h3>{esc(item.slo)}: objective {esc(percent(item.objective))} over {esc(item.window)}, "
        f"budget {item.budget_minutes:g} min</h3>\n"
    )
    if burn is None:
        return head + '<p class="meta">Nothing judged yet: no burn.</p>'
    text = (
        f"<p>Error rate {esc(percent(burn.error_rate))}, burn rate <strong>{burn.burn_rate:.1f}x</strong> "
        f"(1x spends the budget in exactly {esc(item.window)}); this run used "
        f"{esc(percent(burn.budget_consumed, 3))} of the budget.</p>\n"
    )
    if not item.tiers:
        return head + text + '<p class="meta">No burn-rate alert tiers ship for this SLO period.</p>'
    rows = []
    for tier in item.tiers:
        fires = tier.name in burn.would_fire
        verdict = '<span class="no">▲ would fire</span>' if fires else '<span class="dim">quiet</span>'
        rows.append(
            [
                esc(tier.name),
                esc(tier.severity.value),
                f"{tier.burn_rate:g}x",
                f"{format_duration(tier.long_window)} and {format_duration(tier.short_window)}",
                f"{tier.budget_percent:g}%",
                verdict,
            ]
        )
    header = ["tier", "severity", "fires above", "over both windows", "budget spent", "sustained, this run"]
    caption = (
        '<p class="meta">A tier fires when the error rate over both its windows burns faster than its '
        "factor; the last column says whether this run's rate, sustained, would trip it.</p>"
    )
    return head + text + _raw_table(header, rows, numeric=(2, 4)) + "\n" + caption


# rows of the class table that are no failure class
_REMAINDERS = ("undetermined", "other traffic", "unexplained")


def _metric_math(report: RunReport) -> str:
    metric_math, rec = report.metric_math, report.reconciliation
    title = "Metric math against the black box"
    if metric_math is None:
        return _section(
            "metric-math",
            title,
            '<p class="meta">Not measured in this report (it is measured when the canary or verify '
            "concludes a run).</p>",
        )
    parts = [f"<p>Metric-math availability: <strong>{esc(measured_text(metric_math, rec))}</strong></p>"]
    lines = [line for line in (window_line(metric_math),) if line]
    if rec is not None:
        lines += [line for line in (denominator_line(rec),) if line]
    parts += [f"<p>{esc(line[:1].upper() + line[1:])}.</p>" for line in lines]
    if rec is not None and rec.gap is not None:
        header = ["class", "black box", "metric math", "gap", "explained", "why"]
        rows = [
            [
                f"<code>{esc(name)}</code>" if name not in _REMAINDERS else f"<em>{esc(name)}</em>",
                esc(bb),
                esc(mm),
                esc(gap),
                _explained(explained),
                esc(reason),
            ]
            for name, bb, mm, gap, explained, reason in class_rows(rec)
        ]
        parts.append(
            "<p>Gap: black box minus metric math, in percentage points, and the failure classes "
            "behind it.</p>"
        )
        parts.append(_raw_table(header, rows, numeric=(1, 2, 3)))
    if rec is not None and (periods := period_rows(rec)):
        cells = [[esc(cell) for cell in row] for row in periods]
        parts.append("<p>Whose traffic, per period:</p>")
        parts.append(_raw_table(PERIOD_HEADER, cells, numeric=(1, 2, 3, 4, 5)))
    if metric_math.notes:
        parts.append("<ul>" + "".join(f"<li>{esc(note)}</li>" for note in metric_math.notes) + "</ul>")
    if metric_math.periods:
        rows = [
            [
                esc(point.start.strftime("%H:%M:%S")),
                esc(percent(point.availability)),
                "n/a" if point.requests is None else f"{point.requests:g}",
            ]
            for point in metric_math.periods
        ]
        parts.append(
            f"<details><summary>The window's {len(rows)} periods</summary>"
            + _raw_table(["period start (UTC)", "availability", "requests"], rows, numeric=(1, 2))
            + "</details>"
        )
    return _section("metric-math", title, "\n".join(parts))


def _explained(text: str) -> str:
    if text == "yes":
        return '<span class="ok">✔ yes</span>'
    if text == "no":
        return '<span class="no">✘ no</span>'
    return esc(text)


# -- orders and lags ------------------------------------------------------------------------------


def _worst(report: RunReport) -> str:
    if not report.worst_orders:
        return _section("worst", "Worst orders", '<p class="meta">No order was sent.</p>')
    rows = []
    for order in report.worst_orders:
        seq, order_id, verdict, failure, api, latency, details = order_cells(order)
        bad = order.chain_verdict is Verdict.BAD or order.delivery_verdict is Verdict.BAD
        mark = "✘ " if bad else ("… " if order.pending else "")
        full = " ".join(redact(order.details or "").split())
        verdict_css = ' class="no"' if bad else ""
        failure_cell = f"<code>{esc(failure)}</code>" if failure else ""
        rows.append(
            f'<tr><td class="num">{esc(seq)}</td><td><code>{esc(order_id)}</code></td>'
            f"<td{verdict_css}>{esc(mark + verdict)}</td><td>{failure_cell}</td>"
            f'<td class="num">{esc(api)}</td><td class="num">{esc(latency)}</td>'
            f'<td class="detail" title="{clip(full, 2000)}">{clip(redact(details), DETAILS_CHARS)}'
            f"{_body(order)}</td></tr>"
        )
    names = ("seq", "order id", "verdict", "class", "API", "latency", "details")
    header = "".join(
        f'<th scope="col" class="num">{name}</th>'
        if name in ("seq", "API", "latency")
        else f'<th scope="col">{name}</th>'
        for name in names
    )
    table = (
        f'<div class="wide"><table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table></div>"
    )
    note = (
        '<p class="meta">Bad orders first (chain, then delivery), then pending ones, then the slowest '
        f"good ones; {len(report.worst_orders)} of {report.sli.sent} sent.</p>"
    )
    return _section("worst", "Worst orders", table + "\n" + note)


def _body(order: OrderRecord) -> str:
    """The response body of a bad or pending order, folded: its secrets redacted before it is cut and
    escaped (a cut could leave a secret's start, and an escaped secret is no longer found by the
    report writer's redaction)."""
    judged_good = order.chain_verdict is Verdict.GOOD and order.delivery_verdict in (None, Verdict.GOOD)
    if not order.api_body or judged_good:
        return ""
    body = redact(order.api_body)
    size = len(body)
    more = f", first {BODY_CHARS} of {size} characters" if size > BODY_CHARS else ""
    return f"<details><summary>response body{more}</summary><pre>{clip(body, BODY_CHARS)}</pre></details>"


def _lags(report: RunReport) -> str:
    rows = lag_rows(report)
    if not rows:
        return ""
    header = list(LAG_HEADER)
    table = _table(header, rows, numeric=range(2, 7))
    notes = "".join(f"<li>{esc(note)}</li>" for note in lag_notes(report))
    return _section("lags", "Stage lag after send", f'{table}\n<ul class="meta">{notes}</ul>')


# -- helpers --------------------------------------------------------------------------------------


def _section(ident: str, title: str, body: str) -> str:
    return (
        f'<section id="{ident}" aria-labelledby="{ident}-h">\n<h2 id="{ident}-h">{esc(title)}</h2>\n'
        f"{body}\n</section>"
    )


def _table(header: list[str], rows: list[list[str]], numeric: range | tuple[int, ...] = ()) -> str:
    """A table of plain-text cells (escaped here)."""
    return _raw_table([esc(cell) for cell in header], [[esc(cell) for cell in row] for row in rows], numeric)


def _raw_table(header: list[str], rows: list[list[str]], numeric: range | tuple[int, ...] = ()) -> str:
    """A table of cells that are HTML already."""

    def css(index: int) -> str:
        return ' class="num"' if index in numeric else ""

    head = "".join(f'<th scope="col"{css(index)}>{cell}</th>' for index, cell in enumerate(header))
    body = "\n".join(
        "<tr>" + "".join(f"<td{css(index)}>{cell}</td>" for index, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"
