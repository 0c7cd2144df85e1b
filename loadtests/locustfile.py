"""chainprobe's load run under Locust's own command line.

    .venv/bin/locust -f loadtests/locustfile.py --headless [--chainprobe-shape arrival-ramp]
        [--chainprobe-time-scale 0.25] [--chainprobe-report-dir reports] [--processes 2]

Sends the default spec's tagged orders (``--chainprobe-spec``, default ``probes/orders.yaml``) along a
named shape against the target of ``chainprobe status`` (or the ``CHAINPROBE_*`` environment), each
recorded in the ledger before it is sent; at the end of the test the run is verified and reported as
``chainprobe load`` does (``--chainprobe-no-verify``: later, with ``chainprobe verify --run ID``).
The wiring is in ``chainprobe.locust_harness``; this file only names the classes Locust looks for.
"""

from locust import events

from chainprobe.drive.load.locust_shape import ProfileShape
from chainprobe.drive.load.user import OrderUser
from chainprobe.locust_harness import install

install(events)

__all__ = ["OrderUser", "ProfileShape"]
