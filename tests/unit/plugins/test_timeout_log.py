"""A timed-out invocation's log: the handler's output from the mark on, then AWS's closing lines."""

from __future__ import annotations

from pathlib import Path

from chainprobe_localstack.lambda_.timeout_log import OutputMark, timed_out_logs

STAMP = "2026-01-01T00:00:02.004000Z"


def test_the_output_after_the_mark_is_kept_and_ends_with_the_timeout_lines(tmp_path: Path) -> None:
    out = tmp_path / "env.log"
    out.write_text("init output\nEND RequestId: before\n")
    mark = OutputMark.at_end_of(out)
    with out.open("a") as file:
        file.write("START RequestId: r-2 Version: $LATEST\nworking on o-1\nstill")

    logs = timed_out_logs(
        mark.output_since(), request_id="r-2", timeout_seconds=2, duration_ms=2000.2, stamp=STAMP
    )

    assert logs.splitlines() == [
        "START RequestId: r-2 Version: $LATEST",
        "working on o-1",
        "still",
        f"{STAMP} r-2 Task timed out after 2.00 seconds",
        "END RequestId: r-2",
        "REPORT RequestId: r-2\tDuration: 2000.20 ms\tBilled Duration: 2001 ms\tStatus: timeout",
    ]


def test_without_output_the_log_still_starts_and_says_it_timed_out(tmp_path: Path) -> None:
    mark = OutputMark.at_end_of(tmp_path / "never-written.log")
    assert mark.offset == 0 and mark.output_since() == ""

    logs = timed_out_logs("", request_id="r-3", timeout_seconds=3, duration_ms=3000.0, stamp=STAMP)

    assert logs.splitlines()[0] == "START RequestId: r-3 Version: $LATEST"
    assert f"{STAMP} r-3 Task timed out after 3.00 seconds" in logs.splitlines()


def test_a_huge_output_keeps_its_last_part(tmp_path: Path) -> None:
    out = tmp_path / "env.log"
    out.write_text("")
    mark = OutputMark.at_end_of(out)
    out.write_text("x" * 1000 + "the end\n")
    assert mark.output_since(limit=8) == "the end\n"
