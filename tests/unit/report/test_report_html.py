"""The HTML report: self-contained, escaped, accessible charts, capped for big runs.

The exact output of the golden cases is in ``test_report_golden.py``; here its properties.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_inputs import load_case, order, run, spec

from chainprobe.ledger import FailureClass, OrderRecord, Run, RunState, Verdict
from chainprobe.measure.reconcile import ClassGap
from chainprobe.report import (
    MetricMathSummary,
    ReconciliationSummary,
    RunReport,
    build_report,
    render_html,
    worst_orders,
    write_html,
    write_reports,
)
from chainprobe.report.charts import (
    TIMELINE_ROWS,
    TIMELINE_WORST,
    buckets,
    nice_step,
    shared_prefix,
    ticks,
    timeline_groups,
)

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">\'"&amp;</td></table><!-- \x00\x1b'

ALLOWED_TAGS = {
    *("html", "head", "meta", "title", "style", "body", "main", "header", "footer", "nav", "a"),
    *("section", "h1", "h2", "h3", "p", "code", "strong", "em", "ul", "li", "div", "span", "pre"),
    *("table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "details", "summary"),
    *("svg", "defs", "pattern", "desc", "g", "rect", "line", "circle", "path", "polyline", "text"),
}


class Markup(HTMLParser):
    """Every tag, attribute and text of a document, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parse(document: str) -> Markup:
    markup = Markup()
    markup.feed(document)
    markup.close()
    return markup


def chart(document: str, ident: str) -> str:
    """The markup of the SVG whose text alternatives are ``<ident>-t`` and ``<ident>-d``."""
    start = document.index(f'aria-labelledby="{ident}-t {ident}-d"')
    return document[start : document.index("</svg>", start)]


def evil_report() -> RunReport:
    orders = [
        order(0, api_latency_ms=120.0, api_at=100.12, dynamodb_at=100.4),
        replace(
            order(1, Verdict.BAD, FailureClass.HTTP_2XX_ERROR_BODY, details=EVIL, api_body=EVIL * 3),
            order_id="o-<b>1</b>\"'",
            api_at=101.2,
        ),
        replace(order(2, Verdict.BAD, FailureClass.HTTP_5XX, details=EVIL, api_status=502), order_id=EVIL),
    ]
    hostile_run = Run(
        run_id="r-<i>x</i>",
        spec_path="probes/<shop>.yaml",
        spec_name='sh"op<svg onload=alert(3)>',
        target="<local>",
        started_at=100.0,
        ended_at=160.0,
        state=RunState.VERIFIED,
    )
    metric_math = MetricMathSummary(availability=0.9, complete=True, notes=(EVIL,))
    reconciliation = ReconciliationSummary(
        gap=-0.1,
        by_class=(
            ClassGap(
                failure=FailureClass.HTTP_2XX_ERROR_BODY,
                black_box=1,
                metric_math=0,
                gap=-0.33,
                explained=True,
                reason=EVIL,
            ),
        ),
        unexplained=0.0,
        unexplained_failures=0,
        requests=3,
        orders_sent=3,
    )
    return build_report(
        run=hostile_run,
        orders=orders,
        spec=spec("spec_full.yaml"),
        metric_math=metric_math,
        reconciliation=reconciliation,
    )


def test_ledger_text_cannot_inject_markup() -> None:
    document = render_html(evil_report())
    markup = parse(document)

    assert set(markup.tags) <= ALLOWED_TAGS, set(markup.tags) - ALLOWED_TAGS
    assert "script" not in markup.tags and "img" not in markup.tags
    assert not [name for name, _ in markup.attrs if name.startswith("on")]
    assert all((value or "").startswith("#") for name, value in markup.attrs if name == "href")
    assert markup.comments == []
    text = "".join(markup.text)
    shown = EVIL.replace("\x00", "\ufffd").replace("\x1b", "\ufffd")
    assert shown in text  # the hostile strings are shown, as text
    assert "o-<b>1</b>\"'" in text
    assert 'sh"op<svg onload=alert(3)>' in text
    assert "\x00" not in document and "\x1b" not in document
    # and in attribute values (the details' title), quotes are escaped: nothing closes the attribute
    titles = [value for name, value in markup.attrs if name == "title"]
    assert any(value and "<script>alert(1)</script>" in value for value in titles)


def test_the_page_fetches_nothing_and_runs_nothing() -> None:
    document = render_html(build_report(**load_case("breached")))
    markup = parse(document)

    assert "script" not in markup.tags and "link" not in markup.tags and "img" not in markup.tags
    assert not [name for name, _ in markup.attrs if name in ("src", "srcset", "action")]
    assert re.findall(r"https?://[^\"' ]+", document) == ["http://www.w3.org/2000/svg"] * document.count(
        "http://www.w3.org/2000/svg"
    )
    assert "Content-Security-Policy" in document and "default-src 'none'" in document
    assert document.startswith('<!DOCTYPE html>\n<html lang="en">')


def test_verdict_banner_says_why_in_words_not_colour_alone() -> None:
    breached = render_html(build_report(**load_case("breached")))
    met = render_html(build_report(**load_case("met")))

    assert '<section class="verdict breached"' in breached and "✘ SLO breached" in breached
    assert "Availability: 80.00% against chain availability &gt;= 99.50%" in breached
    assert '<section class="verdict met"' in met and "✔ SLO met" in met
    assert "Every gating objective is met" in met and "Notes:" in met
    assert "inconclusive, the 95% confidence interval straddles the objective" in met


def test_sli_table_metric_math_budget_and_classes() -> None:
    document = render_html(build_report(**load_case("breached")))

    assert "80.00% (95% CI 58.40-91.93%)" in document  # chain availability with its Wilson CI
    assert "<td>1450 ms</td>" not in document and ">1450 ms</td>" in document  # p95, right-aligned
    assert "93.75% (95% CI 71.67-98.89%)" in document  # within threshold, with its CI
    assert "90.00% (95% CI 69.90-97.21%)" in document  # delivery
    assert "95.00% (gap -15.00 pp to the black-box SLI)" in document
    assert "<code>http_2xx_error_body</code>" in document and "-5.00 pp" in document
    assert "burn rate <strong>40.0x</strong>" in document
    assert document.count("▲ would fire") == 5 and document.count(">quiet<") == 1
    for ident in ("strip-availability", "strip-latency", "strip-delivery"):
        assert f'aria-labelledby="{ident}-t {ident}-d"' in document


@pytest.mark.parametrize("case", ["breached", "met", "pending", "not_sent"])
def test_every_chart_has_a_title_and_a_description(case: str) -> None:
    document = render_html(build_report(**load_case(case)))
    svgs = re.findall(r'<svg xmlns[^>]*aria-labelledby="([\w-]+)-t \1-d"', document)
    for ident in svgs:
        assert re.search(f'<title id="{ident}-t">[^<]+</title><desc id="{ident}-d">[^<]+</desc>', document)
    assert {"latency", "overtime", "timeline"} <= set(svgs)
    assert document.count('role="img"') == len(svgs)


def test_latency_histogram_marks_the_threshold_and_hatches_slow_orders() -> None:
    histogram = chart(render_html(build_report(**load_case("breached"))), "latency")

    assert "threshold 800 ms" in histogram and 'class="threshold"' in histogram
    assert "p95 1450 ms" in histogram
    assert histogram.count('class="over"') == 1  # the one good order above 800 ms
    assert "15 (93.75%) within the 800 ms threshold, 1 above it" in histogram


def test_latency_histogram_far_below_the_threshold_says_it_is_off_the_axis() -> None:
    orders = [order(seq, api_latency_ms=10.0 + seq) for seq in range(30)]
    report = build_report(run=run(), orders=orders, spec=spec("spec_full.yaml"))

    document = render_html(report)

    assert "threshold 800 ms is off the axis" in chart(document, "latency")
    assert "all far below the 800 ms threshold (off the axis)" in document


def test_latency_histogram_stretches_to_a_threshold_within_reach() -> None:
    orders = [order(seq, api_latency_ms=60.0 + 5 * seq) for seq in range(30)]  # up to 205 ms
    report = build_report(run=run(), orders=orders, spec=spec("spec_full.yaml"))

    histogram = chart(render_html(report), "latency")

    assert "off the axis" not in histogram and ">threshold 800 ms</text>" in histogram


def test_latency_histogram_puts_a_far_outlier_in_an_overflow_bar() -> None:
    orders = [order(seq, api_latency_ms=100.0 + seq) for seq in range(200)] + [
        order(200, api_latency_ms=60_000.0)
    ]
    report = build_report(run=run(), orders=orders, spec=spec("spec_full.yaml"))

    histogram = chart(render_html(report), "latency")

    assert "1 orders above" in histogram and "(max 60000 ms)" in histogram


def test_timeline_marks_bad_orders_with_their_class() -> None:
    timeline = chart(render_html(build_report(**load_case("breached"))), "timeline")

    assert timeline.count("<g><title>order ") == 20
    assert "✘ http_5xx" in timeline and "✘ courier_failed (delivery)" in timeline
    assert timeline.count('class="row-bad"') == 5 + 1  # the bad rows, and the legend's swatch
    assert "Bad orders shown (5): #3 o-003 http_5xx" in timeline


def test_over_time_buckets_orders_by_send_time() -> None:
    report = build_report(**load_case("breached"))

    width, items = buckets(report)

    assert width == 2.0
    assert sum(item.good + item.bad + item.pending for item in items) == 20
    assert [item.bad for item in items] == [0, 1, 1, 1, 1, 0]
    over_time = chart(render_html(report), "overtime")
    assert "4 of 6 buckets below the 99.50% objective" in over_time


def test_timeline_labels_leave_out_the_prefix_every_order_id_shares() -> None:
    orders = [
        replace(order(seq), order_id=f"o-r-20261122t210830-d104a9-{seq}-{seq * 7919 % 65536:06x}")
        for seq in range(12)
    ]
    document = render_html(build_report(run=run(), orders=orders, spec=spec("spec_full.yaml")))

    assert shared_prefix([item.order_id for item in orders]) == "o-r-20261122t210830-d104a9-"
    assert ">#11 …11-005445</text>" in chart(document, "timeline")
    assert "the order id without the prefix all share (o-r-20261122t210830-d104a9-)" in document
    assert shared_prefix(["o-000", "o-001"]) == ""  # too short to be worth leaving out


def test_pending_run_without_slo_still_renders() -> None:
    document = render_html(build_report(**load_case("pending")))

    assert "2 of 6 orders still pending a chain verdict" in document
    assert "No SLO in the spec: no error budget." in document
    assert "… pending, no API outcome" in document


def test_nice_scales() -> None:
    assert [nice_step(value) for value in (0.3, 7, 23, 140, 0)] == [0.5, 10, 25, 200, 1]
    assert ticks(0, 1450, 8) == [0, 200, 400, 600, 800, 1000, 1200, 1400]
    assert ticks(0.8, 1.0, 5) == [0.8, 0.85, 0.9, 0.95, 1.0]


def test_write_reports_writes_html_only_when_asked(tmp_path: Path) -> None:
    report = build_report(**load_case("met"))

    plain = write_reports(report, tmp_path / "plain")
    with_html = write_reports(report, tmp_path / "html", html=True)
    elsewhere = write_html(report, tmp_path / "deep" / "er" / "run.html")

    assert plain.html is None and not (tmp_path / "plain" / "report.html").exists()
    assert with_html.html == tmp_path / "html" / "report.html"
    assert with_html.html.read_text(encoding="utf-8") == render_html(report)
    assert elsewhere.read_text(encoding="utf-8") == render_html(report)


# -- a big run --------------------------------------------------------------------------------------

BIG_RUN = 10_000


def big_run_orders(count: int, seed: int = 7) -> list[OrderRecord]:
    """``count`` orders at 20/s: most good, some slow, 2% bad of assorted classes, a few pending."""
    rng = random.Random(seed)
    classes = [FailureClass.HTTP_5XX, FailureClass.DB_MISSING, FailureClass.EVENT_MISSING]
    orders = []
    for seq in range(count):
        sent = 1000.0 + seq / 20
        latency = rng.lognormvariate(5.0, 0.5)
        fields: dict[str, object] = {
            "sent_at": sent,
            "api_at": sent + latency / 1000,
            "api_latency_ms": latency,
            "dynamodb_at": sent + latency / 1000 + 0.2,
            "event_at": sent + latency / 1000 + 0.8,
            "courier_at": sent + latency / 1000 + 2.5,
            "delivery_verdict": Verdict.GOOD,
        }
        roll = rng.random()
        if roll < 0.02:
            failure = classes[seq % len(classes)]
            fields.update(details=f"failed: {failure.value} <seq {seq}>", api_body='{"error": "x"}')
            orders.append(_big_order(seq, Verdict.BAD, failure, fields))
        elif roll < 0.021:
            fields.update(courier_at=None, delivery_verdict=Verdict.PENDING)
            orders.append(_big_order(seq, Verdict.GOOD, None, fields))
        else:
            orders.append(_big_order(seq, Verdict.GOOD, None, fields))
    return orders


def _big_order(
    seq: int, verdict: Verdict, failure: FailureClass | None, fields: dict[str, object]
) -> OrderRecord:
    return OrderRecord(
        run_id="r-big",
        seq=seq,
        order_id=f"o-{seq:05d}",
        planned_at=1000.0 + seq / 20,
        api_status=502 if failure is FailureClass.HTTP_5XX else 201,
        chain_verdict=verdict,
        chain_failure=failure,
        **fields,  # type: ignore[arg-type]
    )


def test_the_timeline_picks_its_worst_rows_as_a_full_ranking_would() -> None:
    orders = [
        replace(item, delivery_verdict=Verdict.BAD, delivery_failure=FailureClass.COURIER_FAILED)
        if item.seq % 97 == 5 and item.chain_verdict is Verdict.GOOD
        else item
        for item in big_run_orders(3000, seed=11)
    ]
    report = build_report(run=run(), orders=orders, spec=spec("spec_full.yaml"))

    (_, worst), _ = timeline_groups(report)

    ranked = worst_orders(orders, limit=len(orders))  # the whole run ranked, as worst_orders does
    bad = [item for item in ranked if Verdict.BAD in (item.chain_verdict, item.delivery_verdict)]
    pending = [item for item in ranked if item.pending and item not in bad]
    good = [item for item in ranked if item not in bad and item not in pending]
    chosen = [item.seq for item in bad[:30] + pending[:5] + good[:5]]
    assert len(pending) < 5  # so the rows pending orders leave free go to the next worst
    chosen += [item.seq for item in ranked if item.seq not in chosen][: TIMELINE_WORST - len(chosen)]
    expected = set(chosen)
    assert [item.seq for item in worst] == [item.seq for item in ranked if item.seq in expected]


def test_a_big_run_stays_small_and_caps_the_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    orders = big_run_orders(BIG_RUN)
    big = Run(
        run_id="r-big",
        spec_path="probes/shop.yaml",
        spec_name="shop",
        target="local",
        started_at=1000.0,
        ended_at=1000.0 + BIG_RUN / 20 + 30,
        state=RunState.VERIFIED,
    )
    report = build_report(run=big, orders=orders, spec=spec("spec_full.yaml"))

    started = time.perf_counter()
    document = render_html(report)
    elapsed = time.perf_counter() - started

    size = len(document.encode("utf-8"))
    with capsys.disabled():
        print(f"\nbench: HTML report of {BIG_RUN} orders: {size / 1024:.0f} KiB in {elapsed * 1000:.0f} ms")
    assert size < 2 * 1024 * 1024
    timeline = chart(document, "timeline")
    assert timeline.count("<g><title>order ") == TIMELINE_ROWS
    # 2% of 10,000 are bad, yet a few pending and slowest good orders keep their rows among the worst
    assert f"The {TIMELINE_WORST} worst orders: 30 bad, 5 pending, 5 slowest good" in timeline
    rows = re.findall(r"<g><title>order (o-\d+) \(#\d+\): ([^;<]+)", timeline)
    worst = [verdict for _, verdict in rows[:TIMELINE_WORST]]
    assert [verdict[0] for verdict in worst] == ["✘"] * 30 + ["…"] * 5 + ["g"] * 5
    assert "An even sample of 20 of the other 9960 orders" in timeline
    assert len(buckets(report)[1]) <= 40


SECRET = "k&<key>'0123456789"  # HTML-escaped in the page, so the writer's redaction alone misses it


@pytest.mark.parametrize("cut", [False, True], ids=["whole", "straddling-the-cut"])
def test_a_response_body_never_shows_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: bool
) -> None:
    from chainprobe.report.html import BODY_CHARS
    from chainprobe.report.html_page import esc

    monkeypatch.setenv("CHAINPROBE_API_KEY", SECRET)
    body = ("x" * (BODY_CHARS - 6) if cut else '{"echo": "') + SECRET + '"}'
    bad = order(1, Verdict.BAD, FailureClass.HTTP_4XX, api_status=403, api_body=body, details=f"key {SECRET}")
    report = build_report(run=run(), orders=[order(0), bad], spec=spec("spec_full.yaml"))
    page = write_html(report, tmp_path / "report.html").read_text(encoding="utf-8")
    for form in (SECRET, esc(SECRET), esc(SECRET[:6])):
        assert form not in page
    assert "response body" in page
