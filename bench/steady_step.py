"""One constant-rate step driven exactly as ``chainprobe load`` drives it, and the stub it is driven at.

``DriverProcesses`` on a one-stage shape: every order recorded in the ledger before it leaves, its answer
after. ``ORDER_STUB`` is the WireMock mapping that answers ``POST /bench/orders`` at once with 201 and
the order id back (templated), so that the client side's cost shows, not a chain's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainprobe.drive.load import DriverProcesses, LoadShape, RunContext, Stage
from chainprobe.ledger.store import Ledger

SPEC = Path(__file__).resolve().parents[1] / "probes" / "orders.yaml"
ORDER_STUB = {
    "request": {"method": "POST", "urlPath": "/bench/orders"},
    "response": {
        "status": 201,
        "headers": {"Content-Type": "application/json"},
        "body": '{"orderId": "{{jsonPath request.body \'$.orderId\'}}", "status": "CREATED"}',
        "transformers": ["response-template"],
    },
}


@dataclass(frozen=True)
class SteadyStep:
    shape: LoadShape
    run_id: str
    drivers: DriverProcesses
    """Not started yet: the caller starts them, with its own CPU meter around."""


def steady_step(
    *,
    endpoints: dict[str, Any],
    ledger: Ledger,
    folder: Path,
    target: str,
    rate: float,
    seconds: float,
    users_per_rate: float,
    workers: int = 0,
) -> SteadyStep:
    """A run of the orders spec in ``ledger``: ``rate`` orders/s for ``seconds``, ``workers`` Locust workers
    (0: one process), the drivers' files under ``folder / run_id``."""
    shape = LoadShape(
        name=f"steady-{rate:g}",
        stages=(Stage(duration_s=seconds, start_rate=rate, end_rate=rate),),
        users_per_rate=users_per_rate,
        min_users=4,
        max_users=2000,
    )
    run = ledger.create_run(spec_path=str(SPEC), spec_name="orders", target=target)
    context = RunContext(
        run_id=run.run_id,
        spec_path=str(SPEC),
        endpoints=dict(endpoints),
        ledger_path=str(ledger.path),
        shape=shape,
        processes=max(1, workers),
    )
    drivers = DriverProcesses(
        context=context, workers=workers, directory=folder / run.run_id, max_seconds=seconds + 30, grace=30
    )
    return SteadyStep(shape, run.run_id, drivers)
