"""Load runs: Locust sends a named shape's tagged orders, each recorded in the ledger before it is sent.

This facade is the harness's side and imports no Locust (which would monkey-patch the importing process
with gevent): shapes as data, the arrival schedule, the run context passed to the Locust processes,
their supervision, the loopback guard and the achieved-vs-planned summary. Locust's side is imported
only by Locust processes: ``chainprobe.drive.load.user`` (``OrderUser``), ``.locust_shape``
(``ProfileShape``), ``.runner`` (``attach``, the driver processes), ``.session``, ``.recorder``.

Example::

    from chainprobe.drive.load import load_shapes

    shape = load_shapes().get("ramp-hold").scaled(0.1)     # 78 s, same rates
    shape.planned_orders, shape.tick(30.0)

The composition roots are ``chainprobe.load_pipeline.run_load`` (``chainprobe load``) and
``chainprobe.locust_harness`` (``locust -f loadtests/locustfile.py``).
"""

from chainprobe.drive.load.context import DriverResult, RequestStats, RunContext
from chainprobe.drive.load.exceptions import (
    DriverError,
    InvalidShapesError,
    LoadError,
    RemoteTargetError,
    ShapeError,
    UnknownShapeError,
)
from chainprobe.drive.load.loopback import loopback_problem, require_loopback
from chainprobe.drive.load.processes import DriverEnd, DriverProcesses
from chainprobe.drive.load.schedule import START_LEAD_S, Arrival, ArrivalClaims, ArrivalSchedule
from chainprobe.drive.load.shapes import SHAPES_ENV, LoadShape, ShapeLibrary, Stage, load_shapes
from chainprobe.drive.load.summary import LoadSummary, RatePoint

__all__ = [
    "SHAPES_ENV",
    "START_LEAD_S",
    "Arrival",
    "ArrivalClaims",
    "ArrivalSchedule",
    "DriverEnd",
    "DriverError",
    "DriverProcesses",
    "DriverResult",
    "InvalidShapesError",
    "LoadError",
    "LoadShape",
    "LoadSummary",
    "RatePoint",
    "RemoteTargetError",
    "RequestStats",
    "RunContext",
    "ShapeError",
    "ShapeLibrary",
    "Stage",
    "UnknownShapeError",
    "load_shapes",
    "loopback_problem",
    "require_loopback",
]
