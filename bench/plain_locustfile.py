"""Plain Locust, for ``harness_bench.py``: a FastHttpUser sending the harness's order request, nothing more.

The request (URL path, headers, JSON body) is the one chainprobe's driver sends for the same spec,
given in ``BENCH_REQUEST`` (JSON: path, headers, body); each request gets an order id of its own.
``BENCH_USERS`` users, each at ``BENCH_USER_RATE`` requests/s (``constant_throughput``), for
``BENCH_SECONDS`` seconds counted from the test's start (a shape: ``--run-time`` counts from the
process's start, imports included). No ledger, no checks beyond Locust's own (a non-2xx answer fails).
"""

from __future__ import annotations

import json
import os
import uuid

from locust import FastHttpUser, LoadTestShape, constant_throughput, task

REQUEST = json.loads(os.environ.get("BENCH_REQUEST", '{"path": "/", "headers": {}, "body": {}}'))
USERS = int(os.environ.get("BENCH_USERS", "1"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))


class PlainUser(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("BENCH_USER_RATE", "1")))

    @task
    def send_order(self) -> None:
        body = {**REQUEST["body"], "orderId": f"o-plain-{uuid.uuid4().hex[:12]}"}
        self.client.post(REQUEST["path"], json=body, headers=REQUEST["headers"], name="POST /orders")


class Steady(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        return (USERS, USERS) if self.get_run_time() < SECONDS else None
