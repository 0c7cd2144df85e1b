"""AWS/ApiGateway metrics for REST API invocations, from LocalStack's own execute-api handler chain.

:class:`MeteredRestApiGateway` is LocalStack's ``RestApiGateway`` (the handler chain that serves
every ``execute-api`` request) with two additions: the integration handler is wrapped to time
the call to the backend, and ``process_with_context`` records, per request, with dimensions
``{ApiName}`` and ``{ApiName, Stage}`` as AWS does without detailed metrics:

- ``Count`` 1, ``4XXError`` and ``5XXError`` 0 or 1 (so Average is the error rate), unit Count;
- ``Latency`` (request received -> response ready) and, when the backend was called,
  ``IntegrationLatency`` (the integration call alone), in Milliseconds.

A request for an API id with no deployed stage is answered by LocalStack before this chain and is
not counted (AWS cannot attribute it to an API either).
"""

from __future__ import annotations

import time
from typing import Any

from localstack.http import Response
from localstack.services.apigateway.next_gen.execute_api import handlers
from localstack.services.apigateway.next_gen.execute_api.context import RestApiInvocationContext
from localstack.services.apigateway.next_gen.execute_api.gateway import RestApiGateway

from chainprobe_localstack.metrics import PUBLISHER, Metric, MetricsPublisher

NAMESPACE = "AWS/ApiGateway"
INTEGRATION_LATENCY_ATTRIBUTE = "chainprobe_integration_latency_ms"


class TimedIntegration:
    """Wraps the integration handler; leaves the call's duration on the invocation context."""

    def __init__(self, integration: Any) -> None:
        self.integration = integration

    def __call__(self, chain: Any, context: RestApiInvocationContext, response: Response) -> None:
        started = time.perf_counter()
        try:
            self.integration(chain, context, response)
        finally:
            setattr(context, INTEGRATION_LATENCY_ATTRIBUTE, (time.perf_counter() - started) * 1000)


class MeteredRestApiGateway(RestApiGateway):
    """LocalStack's REST API handler chain, publishing AWS/ApiGateway metrics for each invocation."""

    def __init__(self, publisher: MetricsPublisher = PUBLISHER) -> None:
        super().__init__()
        self.publisher = publisher
        position = self.request_handlers.index(handlers.integration_handler)
        self.request_handlers[position] = TimedIntegration(handlers.integration_handler)

    def process_with_context(self, context: RestApiInvocationContext, response: Response) -> None:
        at = time.time()
        started = time.perf_counter()
        try:
            super().process_with_context(context, response)
        finally:
            latency_ms = (time.perf_counter() - started) * 1000
            self._record(context, response.status_code, latency_ms, at)

    def _record(self, context: RestApiInvocationContext, status: int, latency_ms: float, at: float) -> None:
        deployment = context.deployment
        if deployment is None:
            return
        api_name = deployment.rest_api.rest_api.get("name") or context.api_id
        values: list[tuple[str, str, float]] = [
            ("Count", "Count", 1),
            ("4XXError", "Count", 1 if 400 <= status < 500 else 0),
            ("5XXError", "Count", 1 if status >= 500 else 0),
            ("Latency", "Milliseconds", latency_ms),
        ]
        integration_ms = context.get(INTEGRATION_LATENCY_ATTRIBUTE)
        if integration_ms is not None:
            values.append(("IntegrationLatency", "Milliseconds", integration_ms))
        for dimensions in ({"ApiName": api_name}, {"ApiName": api_name, "Stage": context.stage or ""}):
            for name, unit, value in values:
                self.publisher.record(
                    Metric.of(NAMESPACE, name, unit, **dimensions),
                    value,
                    account_id=deployment.account_id,
                    region=deployment.region,
                    at=at,
                )
