"""Fault injection for the local stack: the active faults and the ground-truth log of those that fired.

- ``registry``: the fault names (the contract), the active set with rates, the log. Pure Python, no
  LocalStack import, so the harness's unit tests can load it.
- ``locations``: where a managed-service fault finds an order's id and its markers (configuration,
  per fault and table or bus; default ``orderId`` and ``chaos``).
- ``managed``: the managed-service faults (``dynamodb-throttle``, ``events-entry-failure``), decided
  and logged for the providers of this package, which then fail the request the way AWS does.
- ``routes``: ``/_chainprobe/faults`` (``/locations``, ``/log``) on LocalStack's own gateway,
  registered by an ``on_infra_start`` hook.
"""
