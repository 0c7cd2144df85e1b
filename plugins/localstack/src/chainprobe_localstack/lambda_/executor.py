"""A LocalStack runtime executor that runs each execution environment as a local process.

LocalStack's Lambda service stays in charge of everything (versions, concurrency, event source
mappings, logs to CloudWatch Logs); this executor only replaces the Docker container with a
process started from ``bootstrap.py`` under the interpreter configured for the function's runtime.
It speaks LocalStack's executor-endpoint protocol, like the runtime-init binary does in a container.

Each invocation also feeds the AWS/Lambda ``Duration`` and ``ConcurrentExecutions`` metrics
(``metrics.py``).

Unlike LocalStack's own Docker runtime, the function timeout is enforced here: an invocation that
outlives its function's timeout is answered with ``Sandbox.Timedout`` and the process is replaced
by a fresh one (a new init, as on AWS). What the handler had printed by then goes to the function's
log group all the same, followed by the timeout line and the REPORT line AWS writes
(``timeout_log.py``): it is read back from the process's output file, so output the handler still
held in a buffer of its own when it was stopped is lost.

Environment:
    CHAINPROBE_LAMBDA_RUNTIMES: JSON object, runtime name -> interpreter path,
        e.g. ``{"python3.12": "/opt/rt/python3.12/bin/python"}``. A runtime not listed is refused.
    CHAINPROBE_LAMBDA_LOG_DIR: where each environment's process output goes (default: TMPDIR).
    CHAINPROBE_STACK_STATE: the marker of the chainprobe stack LocalStack belongs to (its state dir),
        handed on to every function process so that ``chainprobe down`` and ``up`` can find and stop
        them, even after LocalStack itself was killed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from datetime import UTC, datetime
from pathlib import Path

import requests
from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint, InvokeSendError
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

from chainprobe_localstack.lambda_ import metrics as lambda_metrics
from chainprobe_localstack.lambda_.timeout_log import OutputMark, timed_out_logs, timeout_line

LOG = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
LOOPBACK = "127.0.0.1"
STOP_GRACE_SECONDS = 2.0
# Inherited from the host so that the interpreter works at all; nothing of LocalStack's own config.
HOST_ENV_KEYS = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
STACK_MARK = "CHAINPROBE_STACK_STATE"


def runtime_interpreters() -> dict[str, str]:
    raw = os.environ.get("CHAINPROBE_LAMBDA_RUNTIMES", "{}")
    try:
        table = json.loads(raw)
    except json.JSONDecodeError as e:
        raise LambdaRuntimeException(f"CHAINPROBE_LAMBDA_RUNTIMES is not JSON: {e}") from e
    return {str(k): str(v) for k, v in table.items()}


def interpreter_for(function_version: FunctionVersion) -> str:
    runtime = function_version.config.runtime
    interpreter = runtime_interpreters().get(str(runtime))
    if not interpreter:
        raise LambdaRuntimeException(
            f"runtime {runtime} has no local interpreter (configured: {sorted(runtime_interpreters())})"
        )
    return interpreter


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def timeout_result(
    request_id: str, timeout_seconds: float, output: str, duration_ms: float
) -> InvocationResult:
    """The ``Sandbox.Timedout`` answer; its logs are the invocation's ``output`` and AWS's closing lines."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = json.dumps(
        {"errorMessage": timeout_line(request_id, timeout_seconds, stamp), "errorType": "Sandbox.Timedout"}
    )
    logs = timed_out_logs(
        output, request_id=request_id, timeout_seconds=timeout_seconds, duration_ms=duration_ms, stamp=stamp
    )
    return InvocationResult(request_id, payload.encode(), is_error=True, logs=logs)


class LocalProcessRuntimeExecutor(RuntimeExecutor):
    """One execution environment = one local process running ``bootstrap.py``."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.port = free_loopback_port()
        self.endpoint = ExecutorEndpoint(id, container_address=LOOPBACK, container_port=self.port)
        self.process: subprocess.Popen[bytes] | None = None
        self.env_vars: dict[str, str] = {}
        log_dir = Path(os.environ.get("CHAINPROBE_LAMBDA_LOG_DIR") or tempfile.gettempdir())
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{function_version.id.function_name}-{id}.log"

    # lifecycle

    def start(self, env_vars: dict[str, str]) -> None:
        self.env_vars = {k: str(v) for k, v in env_vars.items()}
        self.endpoint.start()
        self._spawn()
        self.endpoint.wait_for_startup()

    def stop(self) -> None:
        self._kill()
        self.endpoint.shutdown()

    def _spawn(self) -> None:
        code_dir = str(self.function_version.config.code.get_unzipped_code_location())
        env = {k: os.environ[k] for k in HOST_ENV_KEYS if k in os.environ}
        env.update(self.env_vars)
        env.update(
            {
                "LAMBDA_TASK_ROOT": code_dir,
                "PYTHONPATH": code_dir,
                "PYTHONUNBUFFERED": "1",
                "CHAINPROBE_RUNTIME_PORT": str(self.port),
            }
        )
        if STACK_MARK in os.environ:  # set last: a function's own variables cannot hide it
            env[STACK_MARK] = os.environ[STACK_MARK]
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                [interpreter_for(self.function_version), "-X", "utf8", str(BOOTSTRAP)],
                cwd=code_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def _kill(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # Same process group as LocalStack (no new session): stopping LocalStack's group stops these too.
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _respawn(self) -> None:
        """Replace the process after a timeout; the new one goes through init again."""
        self._kill()
        self.endpoint.startup_future = Future()
        self._spawn()
        self.endpoint.wait_for_startup()

    # invocation

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        with lambda_metrics.execution(self.function_version.id) as run:
            return self._invoke(payload, run)

    def _invoke(self, payload: dict[str, str], run: lambda_metrics.Execution) -> InvocationResult:
        timeout = float(self.function_version.config.timeout)
        request_id = payload["invoke-id"]
        self.endpoint.invocation_future = Future()
        self.endpoint.logs = None
        url = f"http://{LOOPBACK}:{self.port}/invoke"
        mark = OutputMark.at_end_of(self.log_path)
        try:
            response = requests.post(url, json=payload, proxies={"http": "", "https": ""}, timeout=5)
        except requests.ConnectionError as e:
            raise InvokeSendError(f"execution environment {self.id} did not take the invocation: {e}") from e
        if not response.ok:
            status = response.status_code
            raise InvokeSendError(f"execution environment {self.id} refused the invocation: {status}")
        started = time.monotonic()
        try:
            return self.endpoint.invocation_future.result(timeout=timeout)
        except FutureTimeoutError:
            LOG.info(
                "%s: invocation %s timed out after %.2f s (limit %.0f s); replacing its process",
                self.function_version.id.function_name,
                request_id,
                time.monotonic() - started,
                timeout,
            )
            self.endpoint.invocation_future.cancel()
            run.stop()
            duration_ms = (time.monotonic() - started) * 1000
            self._kill()  # stopped first, so everything it wrote is in its output file
            output = mark.output_since()
            self._respawn()
            return timeout_result(request_id, timeout, output, duration_ms)

    # addresses

    def get_address(self) -> str:
        return LOOPBACK

    def get_endpoint_from_executor(self) -> str:
        return LOOPBACK

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://{LOOPBACK}:{port}{self.endpoint.get_endpoint_prefix()}"

    def get_logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20_000:]
        except OSError:
            return ""

    # versions

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        interpreter_for(function_version)
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        return None

    @classmethod
    def validate_environment(cls) -> bool:
        if not runtime_interpreters():
            print("chainprobe-local: CHAINPROBE_LAMBDA_RUNTIMES is empty", file=sys.stderr)
            return False
        return True
