"""A load run is complete only when it sent every order its shape planned (``sending_shortfall``)."""

from __future__ import annotations

import pytest

from chainprobe.drive.load.context import DriverResult
from chainprobe.load_pipeline import sending_shortfall

CASES = [
    # planned, sent, how the driver ended -> the end reason (None: the sending was complete)
    (66, 66, DriverResult(), None),
    (66, 66, DriverResult(stopped_by="--max-seconds 20"), None),  # the cap came after the last order
    (66, 65, DriverResult(), "the load sent 65 of the 66 orders its shape planned"),
    (
        66,
        20,
        DriverResult(stopped_by="--max-seconds 4"),
        "the load sent 20 of the 66 orders its shape planned (stopped by --max-seconds 4)",
    ),
    (
        165,
        120,
        DriverResult(workers_lost=(1,)),
        "the load sent 120 of the 165 orders its shape planned (Locust worker 1 lost during the run)",
    ),
    (
        165,
        0,
        None,
        "the load sent 0 of the 165 orders its shape planned",
    ),
]


@pytest.mark.parametrize(("planned", "sent", "result", "reason"), CASES)
def test_a_load_that_sent_less_than_its_shape_is_incomplete(
    planned: int, sent: int, result: DriverResult | None, reason: str | None
) -> None:
    assert sending_shortfall(planned, sent, result) == reason
