"""The threaded JSON HTTP server and base request handler every HTTP emulator is built on.

An emulator's handler subclasses `EmulatorHandler` and implements `answer`: its own routes,
auth and error shapes. The base class reads the body, sends `/_sandbox/...` to the shared
controls of `sandbox.control` (plus the emulator's own, through `extra_control`), records
each API request in the request log and writes JSON responses.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import SplitResult, urlsplit

from pydantic_core import to_json

from sandbox.control import Clock, FaultBook, RequestLog, handle_control

CONTROL_PREFIX = "/_sandbox/"


class Controlled(Protocol):
    """What the shared `/_sandbox` controls steer on an emulator."""

    faults: FaultBook
    requests: RequestLog
    clock: Clock


E = TypeVar("E", bound=Controlled)


@dataclass
class Answer:
    """An API response and what the request log records of the request it answers."""

    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    # What is logged is the emulator's choice: credentials must never reach the log. None
    # keeps the request out of the log altogether.
    logged: dict[str, Any] | None = field(default_factory=dict)
    logged_path: str | None = None


class EmulatorServer(ThreadingHTTPServer, Generic[E]):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        emulator: E,
        handler: type[EmulatorHandler[E]],
        bind_and_activate: bool = True,
    ) -> None:
        self.emulator = emulator
        super().__init__(address, handler, bind_and_activate)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"


class EmulatorHandler(BaseHTTPRequestHandler, Generic[E]):
    """JSON over HTTP/1.1 with the `/_sandbox` controls; subclasses add the API."""

    server: EmulatorServer[E]
    protocol_version = "HTTP/1.1"
    content_type = "application/json"
    # Headers and body go out in two writes; with Nagle's algorithm the body's last segment
    # waits for the client's delayed ACK (up to 40 ms a response), which no real API costs.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log endpoint is the record; stderr stays for real errors

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        raw_body = self.read_body()
        if url.path.startswith(CONTROL_PREFIX):
            self.control(method, url.path, raw_body)
            return
        answer = self.answer(method, url, raw_body)
        if answer.logged is not None:
            self.server.emulator.requests.append(
                method, answer.logged_path or url.path, answer.logged, answer.status
            )
        self.send_json(answer.status, answer.payload, answer.headers)

    def answer(self, method: str, url: SplitResult, raw_body: bytes) -> Answer:
        """The API's response to a request outside `/_sandbox`; it must never raise."""
        raise NotImplementedError

    def control(self, method: str, path: str, raw_body: bytes) -> None:
        try:
            body = json.loads(raw_body) if raw_body.strip() else {}
        except json.JSONDecodeError as exc:
            self.send_json(400, {"error": f"invalid JSON: {exc}"})
            return
        if not isinstance(body, dict):
            self.send_json(400, {"error": "body must be a JSON object"})
            return
        try:
            extra = self.extra_control(method, path, body)
        except (ValueError, TypeError) as exc:
            self.send_json(400, {"error": str(exc)})
            return
        if extra is None:
            emulator = self.server.emulator
            extra = handle_control(
                method, path, body, emulator.faults, emulator.requests, emulator.clock
            )
        self.send_json(*extra)

    def extra_control(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        """The emulator's own controls: (status, payload), or None for the shared ones.

        A ValueError or TypeError raised here answers 400 with its message.
        """
        return None

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        # pydantic-core's encoder: a page of 100 Stripe charges (220 kB) in ~1 ms, not ~7 ms
        body = to_json(payload)
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def not_allowed(method: str, path: str) -> tuple[int, Any]:
    """A control endpoint's answer to a method it does not take."""
    return 405, {"error": f"{method} not allowed on {path}"}


def retry_after_header(seconds: float) -> str:
    """A `Retry-After` value: whole seconds without a decimal point, as APIs send them."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


@contextmanager
def serving(server: EmulatorServer[E], thread_name: str) -> Iterator[EmulatorServer[E]]:
    """Serve on a background thread for in-process tests; yields the server (`.base_url`)."""
    thread = threading.Thread(target=server.serve_forever, name=thread_name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
