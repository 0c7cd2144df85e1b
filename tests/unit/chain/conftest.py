"""Fixtures for the reference chain's handlers: load a handler module by path, a fake Lambda
context, captured Powertools JSON logs, and a tiny scripted HTTP server on 127.0.0.1.

The handler directories are deployment packages, not Python packages, so each test loads a fresh
copy of ``app.py`` with its environment set first (the modules read their environment at import).
As in the deployed zip, where ``chain/shared`` sits at the root next to ``app.py``, the shared
modules (``chain_faults``) are importable by their plain names, and imported afresh with each load.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CHAIN_DIR = Path(__file__).resolve().parents[3] / "chain"
FUNCTIONS_DIR = CHAIN_DIR / "functions"
SHARED_DIR = CHAIN_DIR / "shared"
SHARED_MODULES = tuple(path.stem for path in SHARED_DIR.glob("*.py"))


@dataclass
class FakeLambdaContext:
    function_name: str = "TestFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:TestFunction"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class LoadedHandler:
    module: ModuleType
    log: io.StringIO

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far."""
        return [json.loads(line) for line in self.log.getvalue().splitlines() if line.strip()]

    def statuses(self) -> list[str]:
        return [line["status"] for line in self.log_lines() if "status" in line]

    def faults(self) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if "fault" in line]


@pytest.fixture
def load_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., LoadedHandler]]:
    """Load ``chain/functions/<name>/app.py`` afresh with the given environment variables."""
    loaded: list[str] = []
    monkeypatch.syspath_prepend(str(SHARED_DIR))

    def load(name: str, **env: str) -> LoadedHandler:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        for shared in SHARED_MODULES:  # a cold start imports them anew
            sys.modules.pop(shared, None)
        module_name = f"chain_{name}_app_{uuid.uuid4().hex}"
        spec = importlib.util.spec_from_file_location(module_name, FUNCTIONS_DIR / name / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        loaded.append(module_name)
        # No __pycache__ inside chain/functions or chain/shared: they are zipped as they are.
        monkeypatch.setattr(sys, "dont_write_bytecode", True)
        spec.loader.exec_module(module)
        log = io.StringIO()
        handler = module.logger.registered_handler
        assert hasattr(handler, "setStream")
        handler.setStream(log)
        return LoadedHandler(module=module, log=log)

    yield load
    for module_name in (*loaded, *SHARED_MODULES):
        sys.modules.pop(module_name, None)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so that no test can reach a real account."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


# ------------------------------------------------------------------ a scripted local HTTP server

Reply = tuple[int, dict[str, str], bytes]
Responder = Callable[[str, dict[str, Any] | None], Reply]


@dataclass
class Received:
    method: str
    path: str
    body: dict[str, Any] | None


@dataclass
class ScriptedServer:
    """Answers each request with the next scripted reply (then ``default``), and records them.

    A reply is an HTTP status (an int), a ``(status, headers, body)`` tuple, or a callable taking
    (path, JSON body) and returning such a tuple; ``("sleep", seconds)`` waits, then answers 201.
    """

    url: str
    script: list[Any] = field(default_factory=list)
    default: Any = 201
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self, path: str, body: dict[str, Any] | None) -> Any:
        with self.lock:
            self.received.append(Received("POST" if body is not None else "GET", path, body))
            return self.script.pop(0) if self.script else self.default


@pytest.fixture
def http_server() -> Iterator[ScriptedServer]:
    import time

    server_state: dict[str, ScriptedServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, body: dict[str, Any] | None) -> None:
            state = server_state["server"]
            reply = state.next_reply(self.path, body)
            if isinstance(reply, tuple) and reply and reply[0] == "sleep":
                time.sleep(float(reply[1]))
                reply = 201
            if callable(reply):
                reply = reply(self.path, body)
            if isinstance(reply, int):
                reply = (reply, {"Content-Type": "application/json"}, b'{"ok": true}')
            status, headers, payload = reply
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            self._answer(json.loads(raw) if raw else {})

        def do_GET(self) -> None:
            self._answer(None)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    host, port = httpd.server_address[:2]
    state = ScriptedServer(url=f"http://{host!s}:{port}")
    server_state["server"] = state
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def json_reply(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
