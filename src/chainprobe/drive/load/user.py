"""The Locust user that sends a run's tagged orders, each at its arrival's due time.

A user is a slot for one order in flight. Its task claims the process's next arrival, waits until it
is due, records the order in the ledger (committed, with its send time) and only then sends it; the
answer is recorded once it comes. Whether the order leaves on time depends on the schedule alone, not
on how fast earlier orders were answered (an open model), as long as a user is free: the shape sizes
the users for the rate times ``users_per_rate`` seconds of answer time. When every user is busy the
next arrival leaves late; the lateness (send time minus due time, both in the ledger) is reported.
Once the test is stopping (the shape's end, ``--max-seconds``, a signal), an arrival a user claimed and
was waiting for is not sent: Locust's ``stop_timeout`` is for orders in flight, not for orders due later.

Locust's statistics see one request per order (named ``POST /path``). A request counts as a Locust
failure when the spec's API expectations say the answer is bad (status, body checks) or no answer came:
the API stage of the verdict, not the chain's, which the harness judges later.

The order is the canary's: ``o-<run id>-<seq>-<random>`` with the probe tag in body and header
(``chainprobe.drive.canary.order_id_for``, ``chainprobe.spec.request.build_order_request``).
"""

from __future__ import annotations

import json
import time

import gevent
from gevent import Timeout
from locust import FastHttpUser, task
from locust.env import Environment
from locust.runners import STATE_CLEANUP, STATE_STOPPED, STATE_STOPPING

from chainprobe.drive.canary import BODY_LIMIT, order_id_for
from chainprobe.drive.load.schedule import Arrival
from chainprobe.drive.load.session import LoadSession, session_for
from chainprobe.ledger.model import FailureClass
from chainprobe.spec.checks import failed_checks
from chainprobe.spec.model import ApiSpec
from chainprobe.spec.request import ProbeTag, build_order_request
from chainprobe.spec.template import Scalar
from chainprobe.spec.variables import order_variables

__all__ = ["OrderUser", "api_problem", "stopping", "timed_out"]

IDLE_S = 1.0  # a user's wait once its process has no arrivals left (it is stopped with the test)


class OrderUser(FastHttpUser):
    """Sends the orders of the process's ``LoadSession``; see the module docstring."""

    host = "http://127.0.0.1"  # each request names its full URL; the run's API origin replaces this

    def __init__(self, environment: Environment) -> None:
        run = session_for(environment)
        if run is None or run.recorder is None:
            raise RuntimeError("no chainprobe run has started in this Locust process (see runner.attach)")
        self.probe: LoadSession = run
        self.host = run.host
        self.network_timeout = run.api_timeout
        self.connection_timeout = min(5.0, run.api_timeout)
        super().__init__(environment)

    def wait_time(self) -> float:
        return IDLE_S if self.probe.claims.exhausted else 0.0

    @task
    def send_next_order(self) -> None:
        arrival = self.probe.claims.claim()
        if arrival is None:
            return
        run, recorder = self.probe, self.probe.recorder
        assert recorder is not None
        tag = ProbeTag(run_id=run.run_id, seq=arrival.seq, order_id=order_id_for(run.run_id, arrival.seq))
        recorder.announce(seq=tag.seq, order_id=tag.order_id, planned_at=arrival.due)
        delay = arrival.due - time.time()
        if delay > 0:
            gevent.sleep(delay)
        if stopping(self.environment):
            recorder.skip(tag.seq)
            return  # a stopped test sends no more orders (the arrival stays unsent)
        self.send(arrival, tag)

    def send(self, arrival: Arrival, tag: ProbeTag) -> None:
        """Records the order, sends it (unless its recorder says it may not leave), records the answer."""
        run, recorder = self.probe, self.probe.recorder
        assert recorder is not None
        request = build_order_request(run.spec.send, run.context.endpoints, tag)
        sent_at = time.time()
        if not recorder.plan_sent(
            seq=tag.seq, order_id=tag.order_id, planned_at=arrival.due, sent_at=sent_at
        ):
            return
        sent_at = time.time()
        started = time.perf_counter()
        try:
            response = self.client.request(
                request.method,
                request.url,
                name=run.request_name,
                headers=request.headers,
                json=request.body,
                catch_response=True,
            )
        except Exception as error:  # no answer (a client bug): record that none came, let Locust log it
            latency_ms = (time.perf_counter() - started) * 1000
            details = f"client error: {error!r}"
            recorder.failure(
                tag.seq,
                sent_at=sent_at,
                failure=FailureClass.CONNECTION_ERROR,
                latency_ms=latency_ms,
                details=details,
            )
            raise
        latency_ms = (time.perf_counter() - started) * 1000
        with response:
            if not response.status_code:  # no HTTP answer: refused, reset, timed out
                problem = getattr(response, "error", None)
                failure = FailureClass.API_TIMEOUT if timed_out(problem) else FailureClass.CONNECTION_ERROR
                recorder.failure(
                    tag.seq, sent_at=sent_at, failure=failure, latency_ms=latency_ms, details=repr(problem)
                )
                response.failure(f"{failure.value}: {problem!r}")
                return
            body = (response.text or "")[:BODY_LIMIT]
            recorder.answer(
                tag.seq, sent_at=sent_at, status=response.status_code, latency_ms=latency_ms, body=body
            )
            variables = order_variables(
                run.context.endpoints, run_id=tag.run_id, seq=tag.seq, order_id=tag.order_id
            )
            problem = api_problem(run.spec.api, response.status_code, body, variables)
            if problem is None:
                response.success()
            else:
                response.failure(problem)


def stopping(environment: Environment) -> bool:
    """Whether the test is stopping or stopped (Locust runs users' tasks on until ``stop_timeout``)."""
    runner = environment.runner
    return runner is not None and runner.state in (STATE_CLEANUP, STATE_STOPPING, STATE_STOPPED)


def timed_out(error: BaseException | None) -> bool:
    """Whether a client error is a timeout, under the wrappers geventhttpclient puts around it
    (``RetriesExceeded(..., original=timed out)``)."""
    for _ in range(5):
        if error is None:
            return False
        if isinstance(error, TimeoutError | Timeout):
            return True
        wrapped = getattr(error, "original", None)
        error = wrapped if isinstance(wrapped, BaseException) else (error.__cause__ or error.__context__)
    return False


def api_problem(api: ApiSpec, status: int, body: str, variables: dict[str, Scalar]) -> str | None:
    """Why the API's answer is bad by the spec (its status, its body checks), or ``None`` when good.

    The same rules as the verifier's API stage, so Locust's failures are the API stage's bad orders.
    """
    if status >= 500:
        return f"http_5xx: API answered {status}"
    if status >= 400:
        return f"http_4xx: API answered {status}"
    if status not in api.expected_status:
        return f"http_2xx_error_body: API answered {status}, expected {list(api.expected_status)}"
    try:
        parsed: object = json.loads(body)
    except ValueError:
        parsed = body
    problems = failed_checks(api.checks, parsed, variables)
    return f"http_2xx_error_body: {'; '.join(problems)}" if problems else None
