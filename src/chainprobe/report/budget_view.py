"""The budget view (``chainprobe budget``) as terminal lines, JSON and Markdown; files in a report dir.

``--report-dir DIR`` holds ``budget.json``, ``budget.md`` (for a CI job summary) and, with ``--html``,
``budget.html`` (``report.budget_html``); names of their own, so a directory shared with a canary's
``report.json`` keeps both. Each is written as a run's reports are (``report.writer``: redacted, to a
temporary file renamed into place), and a ``budget.html`` of an earlier ``--html`` run is removed when
this one writes none. Times are ISO 8601 UTC; ratios are 0..1 (``consumed`` above 1 is an
overspent budget; ``remaining`` then negative); a window with no datapoint has ``error_rate`` null.
``stages`` (the black-box SLI's, ``measure.budget_stages``): one entry per stage with data in the
window, ``share`` of the consumed budget (null for courier, counted apart, or when nothing was spent);
an empty list is no per-stage history in the window, null no black-box SLI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chainprobe.measure.budget_replay import Alert, SliBudget, TierNow, WindowNow
from chainprobe.measure.budget_stages import StageShare
from chainprobe.measure.budget_view import BudgetView
from chainprobe.report.formatting import percent
from chainprobe.report.timefmt import iso_utc
from chainprobe.report.writer import check_report_dir, write_text_atomically
from chainprobe.spec.duration import format_duration

__all__ = [
    "NO_STAGE_HISTORY",
    "budget_json",
    "budget_markdown",
    "stage_text",
    "terminal_lines",
    "write_budget_reports",
]

NO_STAGE_HISTORY = "no per-stage history"


def budget_json(view: BudgetView) -> dict[str, Any]:
    """The machine-readable view."""
    return {
        "probe": view.probe,
        "spec": view.spec_source,
        "windows": view.windows_source,
        "objective": view.objective,
        "window": view.window_text,
        "start": iso_utc(view.end - view.window.total_seconds()),
        "end": iso_utc(view.end),
        "ledger_runs": view.ledger_runs,
        "exhausted": list(view.exhausted),
        "paging": list(view.paging),
        "notes": list(view.notes),
        "slis": {b.sli.key: _sli_json(b) for b in view.slis},
        "stages": None if view.stages is None else [_stage_json(s) for s in view.stages],
    }


def _stage_json(share: StageShare) -> dict[str, Any]:
    return {
        "stage": share.stage.value,
        "good": share.good,
        "bad": share.bad,
        "share": share.share,
        "minutes": share.minutes,
        "in_budget": share.in_budget,
    }


def stage_text(stages: tuple[StageShare, ...]) -> str:
    """Which stage spent the black-box budget, in one line (``api 11 bad: 100.0%, 19.8 min; ...``)."""
    if not stages:
        return NO_STAGE_HISTORY
    parts = []
    for s in stages:
        if not s.in_budget:
            parts.append(f"{s.stage.value} {s.bad:g} bad of {s.good + s.bad:g} (delivery SLI, apart)")
        elif s.share is None or s.minutes is None:
            parts.append(f"{s.stage.value} {s.bad:g} bad")
        else:
            parts.append(f"{s.stage.value} {s.bad:g} bad: {percent(s.share, 1)}, {s.minutes:.1f} min")
    return "; ".join(parts)


def _sli_json(budget: SliBudget) -> dict[str, Any]:
    page = budget.first_page
    return {
        "title": budget.sli.title,
        "requests": budget.requests,
        "error_rate": budget.error_rate,
        "min_requests": budget.min_requests,
        "missing_data": "breaching" if budget.sli.missing_breaches else "notBreaching",
        "budget": {
            "minutes": budget.budget_minutes,
            "consumed": {"ratio": budget.consumed, "minutes": budget.consumed_minutes},
            "remaining": {"ratio": budget.remaining, "minutes": budget.remaining_minutes},
        },
        "burn_rate_now": {t.tier.name: _tier_json(t) for t in budget.tiers_now},
        "alerts": [_alert_json(a) for a in budget.alerts],
        "first_bad_minute": None if budget.first_bad is None else iso_utc(budget.first_bad),
        "first_page": None if page is None else _alert_json(page),
        "time_to_first_page_s": None if page is None else page.time_to_fire_s,
        "budget_remaining_series": [[iso_utc(p.at), p.remaining] for p in budget.budget_series],
    }


def _tier_json(now: TierNow) -> dict[str, Any]:
    return {
        "severity": now.tier.severity.value,
        "factor": now.tier.burn_rate,
        "threshold": now.threshold,
        "firing": now.firing,
        "long": _window_json(now.long),
        "short": _window_json(now.short),
    }


def _window_json(window: WindowNow) -> dict[str, Any]:
    return {
        "window": format_duration(window.window),
        "error_rate": window.error_rate,
        "burn_rate": window.burn_rate,
        "requests": window.requests,
        "breaching": window.breaching,
        "low_traffic": window.low_traffic,
    }


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "tier": alert.tier,
        "severity": alert.severity,
        "fired_at": iso_utc(alert.fired_at),
        "cleared_at": None if alert.cleared_at is None else iso_utc(alert.cleared_at),
        "first_bad_minute": None if alert.first_bad is None else iso_utc(alert.first_bad),
        "time_to_fire_s": alert.time_to_fire_s,
        "at_start": alert.at_start,
    }


def terminal_lines(view: BudgetView) -> list[str]:
    """The summary printed by ``chainprobe budget``."""
    out = [
        f"budget {view.probe}: {view.window_text} to {_minute(view.end)}, objective {percent(view.objective)}"
        f" ({view.spec_source}, {view.windows_source}; {view.ledger_runs} local ledger run(s))"
    ]
    for budget in view.slis:
        out.append(f"  {budget.sli.key} ({budget.sli.title}): {_budget_text(budget)}")
        out.append("    burn now: " + "; ".join(_tier_text(t) for t in budget.tiers_now))
        if not budget.alerts:
            out.append("    replay: no alert fired")
        for alert in budget.alerts:
            out.append(f"    replay: {_alert_text(alert)}")
        page = budget.first_page
        if page is not None and page.time_to_fire_s is not None:
            out.append(
                f"    first page: {page.tier} {page.time_to_fire_s / 60:g} min after the first bad minute"
            )
        if budget.sli.key == "blackbox" and view.stages is not None:
            out.append(f"    spent by stage: {stage_text(view.stages)}")
    out.extend(f"  note: {note}" for note in view.notes)
    verdict = "budget left, no page firing"
    if view.exhausted or view.paging:
        verdict = "; ".join(
            [f"budget exhausted: {', '.join(view.exhausted)}"] * bool(view.exhausted)
            + [f"paging now: {', '.join(view.paging)}"] * bool(view.paging)
        )
    out.append(f"  verdict: {verdict}")
    return out


def budget_markdown(view: BudgetView) -> str:
    """A CI job summary: one table of budgets, one of burn rates now, the replayed alerts."""
    lines = [
        f"## Error budget: {view.probe}, {view.window_text} to {_minute(view.end)}",
        "",
        f"Objective {percent(view.objective)}; tiers from `{view.windows_source}`; "
        f"{view.ledger_runs} local ledger run(s) merged.",
        "",
        "| SLI | requests | error rate | consumed | remaining |",
        "|---|---:|---:|---:|---:|",
    ]
    for b in view.slis:
        lines.append(
            f"| {b.sli.title} | {b.requests:g} | {percent(b.error_rate, 3)} | {percent(b.consumed, 1)} "
            f"({b.consumed_minutes:.1f} min) | {percent(b.remaining, 1)} ({b.remaining_minutes:.1f} of "
            f"{b.budget_minutes:g} min) |"
        )
    if view.stages is not None:
        lines += ["", "Black-box budget spent by stage:", ""]
        if not view.stages:
            lines.append(f"_{NO_STAGE_HISTORY} in the window._")
        else:
            lines += ["| stage | good | bad | share of consumed | minutes |", "|---|---:|---:|---:|---:|"]
            lines.extend(_stage_row(s) for s in view.stages)
    lines += ["", "| SLI | tier | factor | long | short | firing now |", "|---|---|---:|---:|---:|---|"]
    for b in view.slis:
        for t in b.tiers_now:
            lines.append(
                f"| {b.sli.key} | {t.tier.name} ({t.tier.severity.value}) | {t.tier.burn_rate:g}x | "
                f"{_burn(t.long)} | {_burn(t.short)} | {'**yes**' if t.firing else 'no'} |"
            )
    lines += ["", "| SLI | replayed alert |", "|---|---|"]
    for b in view.slis:
        lines.extend(f"| {b.sli.key} | {_alert_text(a)} |" for a in b.alerts)
        if not b.alerts:
            lines.append(f"| {b.sli.key} | none fired |")
    lines.extend(["", *(f"- {note}" for note in view.notes)])
    return "\n".join(lines).rstrip() + "\n"


def _stage_row(s: StageShare) -> str:
    if not s.in_budget:
        share, minutes = "apart (delivery SLI)", "-"
    else:
        share, minutes = percent(s.share, 1), "-" if s.minutes is None else f"{s.minutes:.1f}"
    return f"| {s.stage.value} | {s.good:g} | {s.bad:g} | {share} | {minutes} |"


def write_budget_reports(
    view: BudgetView, directory: str | os.PathLike[str], *, html: str | None
) -> list[Path]:
    """``budget.json``, ``budget.md`` and (``html``: the page's text) ``budget.html`` in ``directory``."""
    folder = check_report_dir(directory)
    texts = {
        "budget.json": json.dumps(budget_json(view), indent=2) + "\n",
        "budget.md": budget_markdown(view),
    }
    if html is not None:
        texts["budget.html"] = html
    written = []
    for name, text in texts.items():
        path = folder / name
        write_text_atomically(path, text)  # redacted, renamed into place (as a run's reports)
        written.append(path)
    if html is None:  # an earlier --html run's page would sit beside this run's budget
        (folder / "budget.html").unlink(missing_ok=True)
    return written


def _budget_text(b: SliBudget) -> str:
    return (
        f"{b.requests:g} requests, error rate {percent(b.error_rate, 3)}; budget {b.budget_minutes:g} min: "
        f"consumed {percent(b.consumed, 1)} ({b.consumed_minutes:.1f} min), "
        f"remaining {percent(b.remaining, 1)} ({b.remaining_minutes:.1f} min)"
    )


def _tier_text(t: TierNow) -> str:
    flag = " FIRING" if t.firing else ""
    return (
        f"{t.tier.name} {t.tier.burn_rate:g}x: {format_duration(t.long.window)} {_burn(t.long)}, "
        f"{format_duration(t.short.window)} {_burn(t.short)}{flag}"
    )


def _burn(window: WindowNow) -> str:
    if window.burn_rate is None:
        return "no data"
    text = f"{window.burn_rate:.2f}x"
    return f"{text} (under {window.requests:g} requests: guarded)" if window.low_traffic else text


def _alert_text(alert: Alert) -> str:
    cleared = "still firing" if alert.cleared_at is None else f"cleared {_minute(alert.cleared_at)}"
    since = (
        ""
        if alert.time_to_fire_s is None
        else f", {alert.time_to_fire_s / 60:g} min after its first bad minute"
    )
    start = " (firing at the window's start)" if alert.at_start else ""
    return f"{alert.tier} ({alert.severity}) fired {_minute(alert.fired_at)}{start}, {cleared}{since}"


def _minute(epoch: float) -> str:
    return iso_utc(epoch)[:16] + "Z"
