"""The function side of a local execution environment: a tiny Lambda runtime (standard library only).

Started by the executor with the function's own interpreter, in the unzipped code directory.
It imports the handler (the init phase), tells LocalStack it is ready, then serves ``POST /invoke``
on 127.0.0.1, one invocation at a time, posting the invocation's log lines and then its response
or error back to LocalStack's executor endpoint, as the runtime-init binary does in a container.

Handler output is captured through one stream object installed as ``sys.stdout``/``sys.stderr``
before the handler module is imported, so loggers that keep a reference to the stream at import
time (Powertools does) are captured too.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, TextIO

RUNTIME_ENDPOINT = os.environ["LOCALSTACK_RUNTIME_ENDPOINT"]
RUNTIME_ID = os.environ["LOCALSTACK_RUNTIME_ID"]
PORT = int(os.environ["CHAINPROBE_RUNTIME_PORT"])


class CapturingStream(io.TextIOBase):
    """Writes through to the process output and, during an invocation, into a buffer."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.buffer_: list[str] | None = None
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            if self.buffer_ is not None:
                self.buffer_.append(text)
        self.target.write(text)
        self.target.flush()
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def begin(self) -> None:
        with self.lock:
            self.buffer_ = []

    def collect(self) -> str:
        with self.lock:
            text, self.buffer_ = "".join(self.buffer_ or []), None
        return text


OUTPUT = CapturingStream(sys.__stdout__)
sys.stdout = OUTPUT  # type: ignore[assignment]
sys.stderr = OUTPUT  # type: ignore[assignment]


def post(path: str, body: bytes, content_type: str = "application/json") -> None:
    request = urllib.request.Request(
        f"{RUNTIME_ENDPOINT}{path}", data=body, method="POST", headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def error_body(exc: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def load_handler(spec: str) -> Callable[[Any, Any], Any]:
    module_name, _, function_name = spec.rpartition(".")
    module = importlib.import_module(module_name.replace("/", "."))
    handler = getattr(module, function_name)
    if not callable(handler):
        raise TypeError(f"handler {spec} is not callable")
    return handler  # type: ignore[no-any-return]


class LambdaContext:
    """The context object handlers receive, with the attributes the AWS Python runtime gives."""

    def __init__(self, request_id: str, function_arn: str) -> None:
        timeout_ms = int(float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3")) * 1000)
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def run_invocation(handler: Callable[[Any, Any], Any], invoke: dict[str, Any]) -> None:
    request_id = invoke["invoke-id"]
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    os.environ["_X_AMZN_TRACE_ID"] = invoke.get("trace-id") or ""
    OUTPUT.begin()
    print(f"START RequestId: {request_id} Version: {version}")
    started = time.monotonic()
    outcome: tuple[str, bytes]
    try:
        event = json.loads(invoke.get("payload") or "{}")
        result = handler(event, LambdaContext(request_id, invoke.get("invoked-function-arn", "")))
        outcome = ("response", json.dumps(result).encode())
    except Exception as exc:
        body = error_body(exc) | {"requestId": request_id}
        print(f"[ERROR] {type(exc).__name__}: {exc}\nTraceback (most recent call last):")
        print("".join(traceback.format_tb(exc.__traceback__)), end="")
        outcome = ("error", json.dumps(body).encode())
    duration_ms = (time.monotonic() - started) * 1000
    print(f"END RequestId: {request_id}")
    print(f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms")
    logs = OUTPUT.collect()
    post(f"/invocations/{request_id}/logs", json.dumps({"logs": logs}).encode())
    kind, body = outcome
    post(f"/invocations/{request_id}/{kind}", body)


def make_request_handler(handler: Callable[[Any, Any], Any]) -> type[BaseHTTPRequestHandler]:
    class InvokeEndpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/invoke":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            invoke = json.loads(self.rfile.read(length) or b"{}")
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            threading.Thread(target=run_invocation, args=(handler, invoke), daemon=True).start()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return InvokeEndpoint


def main() -> None:
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as exc:
        traceback.print_exc()
        post(f"/status/{RUNTIME_ID}/error", json.dumps(error_body(exc)).encode())
        sys.exit(1)
    server = HTTPServer(("127.0.0.1", PORT), make_request_handler(handler))
    post(f"/status/{RUNTIME_ID}/ready", b"{}")
    server.serve_forever()


if __name__ == "__main__":
    main()
