"""The Stripe emulator's HTTP server: Stripe's wire protocol plus the `/_sandbox` controls."""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sandbox.control import Clock, FaultBook, RequestLog, handle_control
from sandbox.org import build_org
from sandbox.stripe.api import StripeApi
from sandbox.stripe.objects import API_VERSION, build_stripe, token
from sandbox.stripe.query import ApiError, parse_form

DEFAULT_API_KEY = "sk_test_sandbox"


def mask_key(key: str) -> str:
    """Show a key the way Stripe's errors do: its kind and last four characters only."""
    parts = key.split("_")
    prefix = "_".join(parts[:2]) + "_" if len(parts) >= 3 and len(parts[0]) <= 4 else ""
    tail = key[-4:] if len(key) >= 12 else ""
    return f"{prefix}****{tail}"


class StripeEmulator:
    """Everything one running emulator holds: the account's data, clock, faults, log."""

    def __init__(
        self,
        *,
        seed: int = 7,
        volume: float = 1.0,
        start: date | None = None,
        end: date | None = None,
        now: int | None = None,
        api_key: str = DEFAULT_API_KEY,
        event_retention_days: int = 30,
    ) -> None:
        org = build_org(seed=seed, volume=volume, start=start, end=end)
        self.org = org
        self.api_key = api_key
        self.clock = Clock(
            now if now is not None else org.end_epoch - 1, org.start_epoch, org.end_epoch - 1
        )
        self.api = StripeApi(build_stripe(org), event_retention_days)
        self.faults = FaultBook()
        self.requests = RequestLog()
        self._request_ids = itertools.count(1)

    def request_id(self) -> str:
        return f"req_{token('request', next(self._request_ids), length=14)}"

    def authenticate(self, header: str | None) -> None:
        if not header:
            raise ApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/.",
            )
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(key).decode().split(":", 1)[0]
            except ValueError:
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            raise ApiError(401, f"Invalid API Key provided: {mask_key(key)}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log endpoint is the record; stderr stays for real errors

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        emulator = self.server.emulator
        url = urlsplit(self.path)
        raw_body = self._body()
        if url.path.startswith("/_sandbox/"):
            try:
                body = json.loads(raw_body) if raw_body.strip() else {}
            except json.JSONDecodeError as exc:
                self._send(400, {"error": f"invalid JSON: {exc}"})
                return
            if not isinstance(body, dict):
                self._send(400, {"error": "body must be a JSON object"})
                return
            status, payload = handle_control(
                method, url.path, body, emulator.faults, emulator.requests, emulator.clock
            )
            self._send(status, payload)
            return
        query: dict[str, Any] = {}
        status = 500
        try:
            query = parse_form(url.query)
            status, payload, headers = self._api(method, url.path, query)
        except ApiError as exc:
            status, payload, headers = exc.status, exc.body(), {}
        except Exception as exc:  # the emulator must answer like an API, never hang up
            status, payload, headers = 500, _api_error(f"Emulator error: {exc!r}"), {}
        emulator.requests.append(method, url.path, query, status)
        self._send(status, payload, headers, request_id=emulator.request_id())

    def _api(
        self, method: str, path: str, query: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        emulator = self.server.emulator
        emulator.authenticate(self.headers.get("Authorization"))
        if method != "GET":
            raise ApiError(
                404,
                f"Unrecognized request URL ({method}: {path}). The sandbox is read-only.",
            )
        is_list = emulator.api.is_list(path)
        fault = emulator.faults.take(path, is_list)
        headers: dict[str, str] = {}
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                if fault.retry_after is not None:
                    headers["Retry-After"] = _seconds(fault.retry_after)
                if fault.status == 429:
                    return 429, _rate_limited(), headers
                if fault.status >= 500:
                    return fault.status, _api_error("An unknown error occurred"), headers
                return fault.status, ApiError(fault.status, "Injected failure").body(), headers
        payload = emulator.api.get(path, query, emulator.clock.now)
        if fault is not None and fault.malformed and is_list and payload["data"]:
            _corrupt(payload["data"][0])
        return 200, payload, headers

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if request_id:
            self.send_header("Request-Id", request_id)
            self.send_header("Stripe-Version", API_VERSION)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _rate_limited() -> dict[str, Any]:
    return {
        "error": {
            "code": "rate_limit",
            "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
            "message": "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            "type": "invalid_request_error",
        }
    }


def _api_error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "api_error"}}


def _corrupt(obj: dict[str, Any]) -> None:
    # Still a JSON object with its real id, but one field has the wrong type.
    if "amount" in obj:
        obj["amount"] = "not-a-number"
    else:
        obj["created"] = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: StripeEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"


def make_server(emulator: StripeEmulator, host: str = "127.0.0.1", port: int = 0) -> _Server:
    return _Server((host, port), emulator)


@contextmanager
def serve_in_thread(emulator: StripeEmulator, host: str = "127.0.0.1") -> Iterator[_Server]:
    """Serve on a background thread for in-process tests; yields the server (`.base_url`)."""
    server = make_server(emulator, host, 0)
    thread = threading.Thread(target=server.serve_forever, name="stripe-sandbox", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
