"""AWS/Events metrics, recorded by :class:`EventsMetricsMixin` from inside LocalStack's EventBridge.

Put in front of LocalStack's ``EventsProvider`` in a provider's bases, it overrides three of its
methods and records what EventBridge publishes:

- ``put_events`` (the PutEvents operation), with no dimensions at all, per call:
  ``PutEventsApproximateCallCount`` 1, ``PutEventsApproximateSuccessCount`` /
  ``PutEventsApproximateFailedCount`` / ``PutEventsApproximateThrottledCount`` 0 or 1,
  ``PutEventsEntriesCount`` (entries in the call), ``PutEventsFailedEntriesCount`` (entries
  answered with an error, injected faults included), ``PutEventsLatency`` (Milliseconds) and
  ``PutEventsRequestSize`` (Bytes). A call refused as a whole (e.g. more than 10 entries) is failed.
- ``_process_rules_async`` (one event against its bus's rules), per event: ``MatchedEvents`` 1
  for every rule it matches and once with no dimensions when it matched any rule,
  ``TriggeredRules`` 1 per matching rule (and with no dimensions).
- ``create_target_sender``: each rule target's sender is wrapped so that every delivery records
  ``Invocations`` 1 and, when the delivery failed (LocalStack does not retry, so a failure is
  permanent), ``FailedInvocations`` 1 (only ever published non-zero, as AWS does).

Per-rule metrics have dimension ``RuleName`` on the default bus and ``EventBusName`` + ``RuleName``
on a custom bus; ``Invocations`` and ``MatchedEvents``/``TriggeredRules`` are also published with
no dimensions. Rules are matched with the same matcher LocalStack then uses to deliver (the event
is matched once more, a small cost).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from localstack.aws.api import ServiceException
from localstack.utils.event_matcher import matches_event

from chainprobe_localstack.metrics import PUBLISHER, Metric, MetricsPublisher

LOG = logging.getLogger(__name__)

NAMESPACE = "AWS/Events"
DEFAULT_BUS = "default"


def rule_dimensions(rule_name: str, bus_name: str) -> dict[str, str]:
    if bus_name and bus_name != DEFAULT_BUS:
        return {"EventBusName": bus_name, "RuleName": rule_name}
    return {"RuleName": rule_name}


def bus_of_rule_arn(rule_arn: str) -> str:
    """``arn:aws:events:r:a:rule/orders/name`` -> ``orders``; ``.../rule/name`` -> ``default``."""
    resource = rule_arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) > 2 else DEFAULT_BUS


def _record(
    publisher: MetricsPublisher,
    name: str,
    value: float,
    *,
    account_id: str,
    region: str,
    at: float,
    unit: str = "Count",
    **dimensions: str,
) -> None:
    publisher.record(
        Metric.of(NAMESPACE, name, unit, **dimensions), value, account_id=account_id, region=region, at=at
    )


class MeteredTargetSender:
    """A rule target's sender that records Invocations and FailedInvocations; delegates everything else."""

    def __init__(self, sender: Any, publisher: MetricsPublisher) -> None:
        self._sender = sender
        self._publisher = publisher

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sender, name)

    def process_event(self, event: Any, trace_header: Any) -> None:
        at = time.time()
        sender = self._sender
        scope = {"account_id": sender.account_id, "region": sender.region, "at": at}
        per_rule = rule_dimensions(sender.rule_name, bus_of_rule_arn(sender.rule_arn))
        try:
            sender.process_event(event, trace_header)
        except Exception:
            _record(self._publisher, "FailedInvocations", 1, **scope, **per_rule)
            raise
        finally:
            _record(self._publisher, "Invocations", 1, **scope, **per_rule)
            _record(self._publisher, "Invocations", 1, **scope)


class EventsMetricsMixin:
    """Records AWS/Events metrics; goes before ``EventsProvider`` in a provider's bases."""

    metrics_publisher: MetricsPublisher = PUBLISHER

    def put_events(self, context: Any, entries: Any, endpoint_id: Any = None, **kwargs: Any) -> Any:
        at = time.time()
        started = time.perf_counter()
        outcome = "Failed"
        failed_entries = 0
        try:
            response = super().put_events(context, entries, endpoint_id, **kwargs)  # type: ignore[misc]
            outcome = "Success"
            failed_entries = int(response.get("FailedEntryCount") or 0)
            return response
        except ServiceException as error:
            if "Throttl" in (getattr(error, "code", "") or ""):
                outcome = "Throttled"
            raise
        finally:
            latency_ms = (time.perf_counter() - started) * 1000
            self._record_put_events(context, entries, outcome, failed_entries, latency_ms, at)

    def _record_put_events(
        self, context: Any, entries: Any, outcome: str, failed_entries: int, latency_ms: float, at: float
    ) -> None:
        scope = {"account_id": context.account_id, "region": context.region, "at": at}
        publisher = self.metrics_publisher
        _record(publisher, "PutEventsApproximateCallCount", 1, **scope)
        for kind in ("Success", "Failed", "Throttled"):
            _record(publisher, f"PutEventsApproximate{kind}Count", 1 if outcome == kind else 0, **scope)
        _record(publisher, "PutEventsEntriesCount", len(entries or []), **scope)
        _record(publisher, "PutEventsFailedEntriesCount", failed_entries, **scope)
        _record(publisher, "PutEventsLatency", latency_ms, unit="Milliseconds", **scope)
        size = context.request.content_length if context.request is not None else None
        if size is not None:
            _record(publisher, "PutEventsRequestSize", size, unit="Bytes", **scope)

    def _process_rules_async(self, params: dict[str, Any]) -> None:
        try:
            self._record_matches(params)
        except Exception:  # metrics never stand in the way of delivery
            LOG.exception("chainprobe metrics: could not match rules for AWS/Events metrics")
        super()._process_rules_async(params)  # type: ignore[misc]

    def _record_matches(self, params: dict[str, Any]) -> None:
        event = params["event_formatted"]
        scope = {"account_id": params["account_id"], "region": params["region"], "at": time.time()}
        publisher = self.metrics_publisher
        matched = 0
        for rule in params["rules"]:
            if rule.schedule_expression or not matches_event(rule.event_pattern, event):
                continue
            matched += 1
            per_rule = rule_dimensions(rule.name, rule.event_bus_name)
            _record(publisher, "MatchedEvents", 1, **scope, **per_rule)
            _record(publisher, "TriggeredRules", 1, **scope, **per_rule)
        if matched:
            _record(publisher, "MatchedEvents", 1, **scope)
            _record(publisher, "TriggeredRules", matched, **scope)

    def create_target_sender(self, *args: Any, **kwargs: Any) -> Any:
        sender = super().create_target_sender(*args, **kwargs)  # type: ignore[misc]
        metered = MeteredTargetSender(sender, self.metrics_publisher)
        self._target_sender_store[sender.unique_id] = metered  # type: ignore[attr-defined]
        return metered
