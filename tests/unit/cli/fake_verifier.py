"""A verifier for ``conclude`` in unit tests: nothing to clean up, nothing foreign captured."""

from __future__ import annotations

from chainprobe.verify.cleanup import ItemCleanup
from chainprobe.verify.tally import CaptureTally


class FakeVerifier:
    def __init__(self) -> None:
        self.tally = CaptureTally()

    def clean_up_items(self, run_id: str) -> ItemCleanup | None:
        return None
