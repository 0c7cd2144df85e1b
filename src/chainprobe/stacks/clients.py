"""boto3 clients for one target: a local endpoint (LocalStack) or a real account."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
from botocore.config import Config

LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@dataclass(frozen=True)
class AwsClients:
    """Creates (and caches) clients for ``region``, against ``endpoint_url`` when one is given.

    Against a local endpoint the fixed ``test`` credentials are used, so that a developer's real
    credentials never travel to an emulator; against AWS, the usual credential chain applies.
    ``read_timeout`` and ``total_attempts`` (the first call included) bound how long one call may hang
    on an endpoint that accepts connections but never answers (a frozen LocalStack): their product.
    """

    region: str
    endpoint_url: str | None = None
    max_pool: int = 32
    read_timeout: float = 30.0
    total_attempts: int = 6  # boto's max_attempts 5: five retries after the first call
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._cache:
            config = Config(
                retries={"total_max_attempts": self.total_attempts, "mode": "adaptive"},
                max_pool_connections=self.max_pool,
                connect_timeout=5,
                read_timeout=self.read_timeout,
            )
            kwargs: dict[str, Any] = {"region_name": self.region, "config": config}
            if self.endpoint_url:
                kwargs.update(endpoint_url=self.endpoint_url, **LOCAL_CREDENTIALS)
            session: Any = boto3.session.Session()
            self._cache[service] = session.client(service, **kwargs)
        return self._cache[service]

    def bounded(self, *, read_timeout: float, total_attempts: int) -> AwsClients:
        """The same place with calls bounded as given (clients of their own, not this one's)."""
        return replace(self, read_timeout=read_timeout, total_attempts=total_attempts, _cache={})

    @classmethod
    def local(cls, endpoint_url: str, region: str = "us-east-1") -> AwsClients:
        return cls(region=region, endpoint_url=endpoint_url)

    @classmethod
    def from_environment(cls) -> AwsClients:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls(region=region, endpoint_url=os.environ.get("CHAINPROBE_AWS_ENDPOINT_URL") or None)
