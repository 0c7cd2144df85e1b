"""The courier scenario's lines: what the terminal, flow.json and summary.md say for given figures."""

from __future__ import annotations

from chainprobe.measure.flow_control import FlowFigures
from chainprobe.report.flow_control import flow_dict, flow_lines, flow_markdown

OFF = FlowFigures(
    orders=40,
    delivered=38,
    on_time=30,
    calls=60,
    peak_per_second=11,
    limit_per_second=8.0,
    refused=4,
    retries=19,
    dlq_depth=2,
    dlq_added=1,
)
ON = FlowFigures(
    orders=40,
    delivered=36,
    on_time=26,
    calls=41,
    peak_per_second=4,
    limit_per_second=8.0,
    refused=0,
    retries=5,
    dlq_depth=0,
    dlq_added=0,
)


def test_the_terminal_lines_of_a_run_without_flow_control() -> None:
    assert flow_lines(OFF, setting="off (batch 2, no maximum concurrency)") == [
        ("flow control", "off (batch 2, no maximum concurrency)"),
        ("delivery SLO", "30/40 delivered on time (75.00%), 38 delivered by the end of the run"),
        ("courier rate", "peak 11 calls in 1 s against a limit of 8/s: OVER the limit"),
        ("refused", "4 calls answered 429"),
        ("retries", "19 calls beyond the first for 38 delivered orders (0.50 per order)"),
        ("DLQ", "2 messages (+1 over the run)"),
    ]


def test_a_peak_at_the_limit_is_within_it_and_no_limit_is_said() -> None:
    at_limit = FlowFigures(**{**vars(ON), "peak_per_second": 8})
    assert dict(flow_lines(at_limit, setting="on"))["courier rate"].endswith(": within the limit")
    unlimited = FlowFigures(**{**vars(ON), "limit_per_second": None})
    assert dict(flow_lines(unlimited, setting="on"))["courier rate"] == (
        "peak 4 calls in 1 s (the courier profile states no limit)"
    )
    nothing = FlowFigures(0, 0, 0, 0, 0, None, 0, 0, 0, 0)
    lines = dict(flow_lines(nothing, setting="on"))
    assert lines["delivery SLO"] == "0/0 delivered on time, 0 delivered by the end of the run"
    assert lines["retries"] == "0 calls beyond the first for 0 delivered orders"


def test_flow_json_records_the_setting_and_every_figure() -> None:
    document = flow_dict(OFF, run_id="r-1", setting="off", scenario={"batch_size": 2})
    assert document == {
        "run_id": "r-1",
        "flow_control": "off",
        "scenario": {"batch_size": 2},
        "delivery": {"orders": 40, "on_time": 30, "delivered": 38, "ratio": 0.75},
        "courier": {
            "calls": 60,
            "peak_per_second": 11,
            "limit_per_second": 8.0,
            "over_limit": True,
            "refused": 4,
        },
        "retries": {"calls": 19, "per_delivered_order": 0.5},
        "dlq": {"depth": 2, "added": 1},
    }


def test_the_markdown_section_is_a_table_of_the_same_lines() -> None:
    text = flow_markdown(ON, setting="on (batch 5, maximum concurrency 2)")
    assert text.startswith("\n## Courier flow control\n\n| | |\n|---|---|\n")
    assert "| flow control | on (batch 5, maximum concurrency 2) |" in text
    assert "| refused | 0 calls answered 429 |" in text
    assert "| courier rate | peak 4 calls in 1 s against a limit of 8/s: within the limit |" in text


def test_the_html_section_escapes_and_goes_last_in_main() -> None:
    from chainprobe.report.flow_control import flow_html, with_flow_section

    section = flow_html(OFF, setting="off <b>")
    assert section.startswith('<section id="flow-control"')
    assert '<tr><th scope="row">refused</th><td>4 calls answered 429</td></tr>' in section
    assert "off &lt;b&gt;" in section and "<b>" not in section
    page = "<html><body>\n<main>\n<p>run</p>\n</main>\n</body></html>"
    assert (
        with_flow_section(page, "<s/>") == "<html><body>\n<main>\n<p>run</p>\n<s/>\n</main>\n</body></html>"
    )
    assert with_flow_section("<p>no main</p>", "<s/>") == "<p>no main</p>"
