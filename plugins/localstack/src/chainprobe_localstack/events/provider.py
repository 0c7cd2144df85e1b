"""The ``events:chainprobe`` provider (``PROVIDER_OVERRIDE_EVENTS=chainprobe``).

LocalStack's EventBridge provider, with one addition: a PutEvents entry can be made to fail the way
AWS fails single entries (``InternalFailure`` in the entry, ``FailedEntryCount`` > 0, HTTP 200).
An entry fails when its detail carries the fault's name in its ``chaos`` list, so the caller knows
exactly which order was hit, or with the fault's rate; each failed entry is logged in the fault
registry (``chainprobe_localstack.faults``).
"""

from __future__ import annotations

from localstack.services.events.provider import EventsProvider
from localstack.services.plugins import Service, aws_provider

from chainprobe_localstack.events.metrics import EventsMetricsMixin
from chainprobe_localstack.faults.managed import failed_entry, put_events_entry_failure


class FaultInjectingEventsProvider(EventsProvider):
    def _process_entry(  # type: ignore[no-untyped-def]
        self, entry, processed_entries, failed_entry_count, context
    ) -> None:
        if put_events_entry_failure(entry) is not None:  # by marker or rate, logged
            processed_entries.append(failed_entry())
            failed_entry_count["count"] += 1
            return
        super()._process_entry(entry, processed_entries, failed_entry_count, context)


class ChainprobeEventsProvider(EventsMetricsMixin, FaultInjectingEventsProvider):
    """LocalStack's EventBridge with entry faults, publishing AWS/Events metrics (``metrics.py``)."""


@aws_provider(api="events", name="chainprobe")
def events_chainprobe() -> Service:
    return Service.for_provider(ChainprobeEventsProvider())
