"""A verifier for ``conclude`` in unit tests: nothing to clean up, nothing foreign captured, no verdict
held by a settle window."""

from __future__ import annotations

from chainprobe.spec.model import SettleWindows
from chainprobe.verify.cleanup import ItemCleanup
from chainprobe.verify.settle import SettleTally
from chainprobe.verify.tally import CaptureTally


class FakeVerifier:
    def __init__(self) -> None:
        self.tally = CaptureTally()
        self.settle = SettleTally(windows=SettleWindows())

    def clean_up_items(self, run_id: str) -> ItemCleanup | None:
        return None
