"""The budget view as one self-contained HTML page (no script, nothing fetched), with SVG charts per SLI.

- **budget remaining over the window**: the share of the window's budget left, from 100% at the
  window's start, stepping down at each minute with errors (below 0: overspent);
- **burn rate per tier against its factor**: each tier's long- and short-window burn rate at the
  replay's steps, the factor as a dashed line, log scale (0.1x to the largest burn seen);
- **the replayed alerts on a time line**: one row per tier, a bar from each firing to its clearing.

Drawn with ``report.charts``' helpers (``Svg``, ``Scale``, ``ticks``, the polyline), in the run
report's page style (``report.html_page``).
"""

from __future__ import annotations

import math

from chainprobe.measure.budget_replay import SliBudget
from chainprobe.measure.budget_stages import StageShare
from chainprobe.measure.budget_view import BudgetView
from chainprobe.report import charts
from chainprobe.report.budget_view import NO_STAGE_HISTORY, budget_markdown, stage_text
from chainprobe.report.charts import WIDTH, Scale, Svg, num, ticks
from chainprobe.report.formatting import percent
from chainprobe.report.html_page import esc, page
from chainprobe.report.timefmt import iso_utc

__all__ = ["render_budget_html"]

LEFT, RIGHT = 70.0, WIDTH - 150.0


def render_budget_html(view: BudgetView) -> str:
    """The page: a summary table (the Markdown's figures) and three charts per SLI."""
    title = f"chainprobe budget {view.probe}: {view.window_text} to {iso_utc(view.end)}"
    blocks = [charts.DEFS, f"<header><h1>{esc(title)}</h1></header>", _summary(view)]
    for budget in view.slis:
        blocks.append(f"<section><h2>{esc(budget.sli.title)}</h2>")
        blocks.append(_figure(_remaining_chart(budget), "Error budget remaining over the window."))
        blocks.append(_figure(_burn_chart(budget), "Burn rate per tier (log scale) against its factor."))
        blocks.append(_figure(_alerts_chart(budget), "Replayed alerts: when each tier fired and cleared."))
        if budget.sli.key == "blackbox" and view.stages is not None:
            blocks.append(_stages_block(view.stages))
        blocks.append("</section>")
    blocks.append(
        '<footer class="meta"><p>The same data as <code>budget.json</code>. Times are UTC.</p></footer>'
    )
    return page(title, "\n".join(blocks))


def _summary(view: BudgetView) -> str:
    rows = []
    for b in view.slis:
        rows.append(
            f"<tr><td>{esc(b.sli.title)}</td><td>{b.requests:g}</td><td>{esc(percent(b.error_rate, 3))}</td>"
            f"<td>{esc(percent(b.consumed, 1))} ({b.consumed_minutes:.1f} min)</td>"
            f"<td>{esc(percent(b.remaining, 1))} ({b.remaining_minutes:.1f} of {b.budget_minutes:g} min)</td>"
            f"<td>{len(b.alerts)}</td></tr>"
        )
    notes = "".join(
        f"<li>{esc(line[2:])}</li>" for line in budget_markdown(view).splitlines() if line[:2] == "- "
    )
    return (
        f'<p class="meta">Objective {esc(percent(view.objective))}, tiers from '
        f"<code>{esc(view.windows_source)}</code>, {view.ledger_runs} local ledger run(s) merged.</p>"
        "<table><thead><tr><th>SLI</th><th>requests</th><th>error rate</th><th>consumed</th>"
        "<th>remaining</th>"
        f"<th>alerts replayed</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + (f"<ul>{notes}</ul>" if notes else "")
    )


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def _time_axis(svg: Svg, budget: SliBudget, bottom: float) -> Scale:
    x_of = Scale(float(budget.start), float(budget.end), LEFT, RIGHT)
    svg.line(LEFT, bottom, RIGHT, bottom, "axis")
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        at = budget.start + fraction * (budget.end - budget.start)
        svg.line(x_of(at), bottom, x_of(at), bottom + 4, "axis")
        svg.text(x_of(at), bottom + 16, iso_utc(at)[5:16].replace("T", " "), "tick", "middle")
    return x_of


def _remaining_chart(budget: SliBudget) -> str:
    values = [p.remaining for p in budget.budget_series]
    low = min(0.0, *values)
    top, bottom = 20.0, 200.0
    svg = Svg(
        f"remaining-{budget.sli.key}",
        240.0,
        f"Error budget remaining, {budget.sli.title}",
        f"Budget remaining fell from 100% to {percent(budget.remaining, 1)} over the window "
        f"({budget.remaining_minutes:.1f} of {budget.budget_minutes:g} minutes).",
    )
    x_of = _time_axis(svg, budget, bottom)
    y_of = Scale(low, 1.0, bottom, top)
    for value in ticks(low, 1.0, 5):
        svg.line(LEFT, y_of(value), RIGHT, y_of(value), "grid")
        svg.text(LEFT - 6, y_of(value) + 4, f"{value:.0%}", "tick", "end")
    svg.line(LEFT, y_of(0.0), RIGHT, y_of(0.0), "threshold")
    svg.text(RIGHT + 6, y_of(0.0) + 4, "budget spent")
    points: list[tuple[float, float | None]] = []
    previous = 1.0
    for point in budget.budget_series:  # a step line: the level holds until the next minute with data
        points += [(x_of(point.at), y_of(previous)), (x_of(point.at), y_of(point.remaining))]
        previous = point.remaining
    charts._polyline(svg, points, "line-a")
    return svg.render()


def _burn_chart(budget: SliBudget) -> str:
    tiers = budget.tiers_now
    rows = len(tiers)
    height = 40.0 + rows * 130.0
    svg = Svg(
        f"burn-{budget.sli.key}",
        height,
        f"Burn rate per tier, {budget.sli.title}",
        "Per tier, the burn rate over its long window (solid) and short window (dashed) at each replay "
        "step, against the tier's factor (dashed line). "
        + " ".join(f"{t.tier.name}: factor {t.tier.burn_rate:g}x." for t in tiers),
    )
    burns = [v for p in budget.burn_series for v in (p.long, p.short) if v is not None and v > 0]
    high = max([*burns, *(t.tier.burn_rate for t in tiers), 1.0]) * 1.5
    for index, now in enumerate(tiers):
        top, bottom = 20.0 + index * 130.0, 120.0 + index * 130.0
        y_of = Scale(math.log10(0.1), math.log10(high), bottom, top + 12)
        svg.text(
            LEFT,
            top + 4,
            f"{now.tier.name} ({now.tier.severity.value}), factor {now.tier.burn_rate:g}x",
            "group",
        )
        for decade in range(-1, math.ceil(math.log10(high)) + 1):
            if 10.0**decade <= high:
                y = y_of(decade)
                svg.line(LEFT, y, RIGHT, y, "grid")
                svg.text(LEFT - 6, y + 4, f"{10.0**decade:g}x", "tick", "end")
        factor_y = y_of(math.log10(now.tier.burn_rate))
        svg.line(LEFT, factor_y, RIGHT, factor_y, "threshold")
        svg.text(RIGHT + 6, factor_y + 4, f"factor {now.tier.burn_rate:g}x")
        x_of = Scale(float(budget.start), float(budget.end), LEFT, RIGHT)
        series = [p for p in budget.burn_series if p.tier == now.tier.name]
        for attribute, css in (("long", "line-a"), ("short", "line-b")):
            line: list[tuple[float, float | None]] = []
            for point in series:
                value = getattr(point, attribute)
                line.append((x_of(point.at), None if value is None else y_of(math.log10(max(value, 0.1)))))
            charts._polyline(svg, line, css)
        svg.line(LEFT, bottom, RIGHT, bottom, "axis")
    _time_axis(svg, budget, height - 22.0)
    return svg.render()


def _alerts_chart(budget: SliBudget) -> str:
    tiers = [t.tier for t in budget.tiers_now]
    height = 50.0 + 28.0 * len(tiers)
    described = "; ".join(
        f"{a.tier} fired {iso_utc(a.fired_at)[:16]}Z, "
        + ("still firing" if a.cleared_at is None else f"cleared {iso_utc(a.cleared_at)[:16]}Z")
        for a in budget.alerts
    )
    svg = Svg(
        f"alerts-{budget.sli.key}",
        height,
        f"Replayed alerts, {budget.sli.title}",
        described or "No tier fired over the window.",
    )
    bottom = height - 26.0
    x_of = _time_axis(svg, budget, bottom)
    for index, tier in enumerate(tiers):
        y = 14.0 + 28.0 * index
        svg.text(LEFT - 6, y + 14, tier.name, "tick", "end")
        svg.line(LEFT, y + 10, RIGHT, y + 10, "grid")
        for alert in (a for a in budget.alerts if a.tier == tier.name):
            end = budget.end if alert.cleared_at is None else alert.cleared_at
            x0, x1 = x_of(alert.fired_at), x_of(end)
            tip = f"{alert.tier} ({alert.severity}) fired {iso_utc(alert.fired_at)}"
            tip += ", still firing" if alert.cleared_at is None else f", cleared {iso_utc(alert.cleared_at)}"
            css = "over" if alert.severity == "page" else "good"
            svg.rect(x0, y + 2, max(x1 - x0, 2.0), 16.0, css, tip)
            svg.add(f'<line x1="{num(x0)}" y1="{num(y)}" x2="{num(x0)}" y2="{num(y + 20)}" class="m-sent"/>')
    return svg.render()


def _stages_block(stages: tuple[StageShare, ...]) -> str:
    """Which stage spent the black-box budget: a bar per stage, its share of the consumed budget."""
    if not stages:
        return f'<p class="meta">Budget spent by stage: {esc(NO_STAGE_HISTORY)} in the window.</p>'
    height = 30.0 + 28.0 * len(stages)
    svg = Svg(
        "stages-blackbox", height, "Black-box budget spent by stage", f"Spent by stage: {stage_text(stages)}."
    )
    x_of = Scale(0.0, 1.0, LEFT, RIGHT)
    for value in (0.0, 0.5, 1.0):
        svg.line(x_of(value), 6.0, x_of(value), height - 20.0, "grid")
        svg.text(x_of(value), height - 6.0, f"{value:.0%}", "tick", "middle")
    for index, share in enumerate(stages):
        y = 8.0 + 28.0 * index
        svg.text(LEFT - 6, y + 14, share.stage.value, "tick", "end")
        if share.share is None or share.minutes is None:
            apart = " (delivery SLI, apart)" if not share.in_budget else ""
            svg.text(LEFT + 4, y + 14, f"{share.bad:g} bad of {share.good + share.bad:g}{apart}", "tick")
            continue
        tip = f"{share.stage.value}: {share.bad:g} bad, {percent(share.share, 1)}, {share.minutes:.1f} min"
        svg.rect(LEFT, y + 2, x_of(share.share) - LEFT, 16.0, "over", tip)
        svg.text(
            x_of(share.share) + 6, y + 14, f"{percent(share.share, 1)} ({share.minutes:.1f} min)", "tick"
        )
    return _figure(
        svg.render(), "Black-box budget spent by stage (courier is the delivery SLI: counted apart)."
    )
