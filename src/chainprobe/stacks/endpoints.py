"""Where a deployed chain can be reached: what ``chainprobe status --json`` prints."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass


@dataclass(frozen=True, kw_only=True)
class StackEndpoints:
    """The addresses of one deployed reference chain.

    ``POST {api_url}/orders`` creates an order; the courier's admin API is under ``{courier_url}/__admin``.
    """

    api_url: str
    aws_endpoint_url: str | None
    region: str
    courier_url: str
    table: str
    bus: str

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def to_environment(self) -> dict[str, str]:
        """The variables :meth:`from_environment` (and a run's target) read back, e.g. for ``$GITHUB_ENV``."""
        variables = {
            "CHAINPROBE_API_URL": self.api_url,
            "CHAINPROBE_COURIER_URL": self.courier_url,
            "CHAINPROBE_TABLE": self.table,
            "CHAINPROBE_BUS": self.bus,
            "AWS_REGION": self.region,
        }
        if self.aws_endpoint_url:
            variables["CHAINPROBE_AWS_ENDPOINT_URL"] = self.aws_endpoint_url
        return variables

    @classmethod
    def from_environment(cls) -> StackEndpoints | None:
        """Endpoints given by ``CHAINPROBE_API_URL`` and friends, e.g. for a staging canary."""
        api_url = os.environ.get("CHAINPROBE_API_URL")
        if not api_url:
            return None
        return cls(
            api_url=api_url,
            aws_endpoint_url=os.environ.get("CHAINPROBE_AWS_ENDPOINT_URL") or None,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            courier_url=os.environ.get("CHAINPROBE_COURIER_URL", ""),
            table=os.environ.get("CHAINPROBE_TABLE", "Orders"),
            bus=os.environ.get("CHAINPROBE_BUS", "orders"),
        )
