"""``open_minute``: a budget read before its last minute closed (its end plus the publish lag) says so.

The budget's evaluation ends at the end of the minute holding ``at`` (``evaluation_end``): read now,
that minute is still filling. Hand-computed, for the minute 12:00-12:01 and a 10-second lag.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chainprobe.measure.budget_replay import evaluation_end, open_minute

END = int(datetime(2026, 1, 1, 12, 1, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("now", "lag", "open_"),
    [
        (END - 30, 10.0, True),  # chainprobe budget at 12:00:30: the minute holding "now"
        (END, 10.0, True),  # ended, its datapoints not all published
        (END + 9.9, 10.0, True),
        (END + 10, 10.0, False),  # closed
        (END + 3600, 10.0, False),  # --at an hour ago
        (END, 0.0, False),  # no lag: closed at its end
    ],
)
def test_a_minute_is_open_until_its_end_plus_the_publish_lag(now: float, lag: float, open_: bool) -> None:
    assert (open_minute(END, now, lag) is not None) == open_


def test_the_note_names_the_minute_and_the_read() -> None:
    assert evaluation_end(END - 30) == END
    assert open_minute(END, END - 30) == (
        "the last minute (12:00:00-12:01:00 UTC) was still open when read at 12:00:30 UTC: its counts may "
        "still grow (the figures are what an alarm evaluated now sees)"
    )
