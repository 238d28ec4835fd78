"""The Facebook emulator's HTTP server: Graph's wire protocol plus the `/_sandbox` controls.

Besides the shared controls (clock, faults, request log), `/_sandbox/report_jobs` arms the
outcome of the next async report runs: `POST {"outcome": "failed" | "stuck", "count": 1}`;
`GET` lists armed outcomes and every run made so far; `DELETE` (or `DELETE /_sandbox/faults`)
disarms them. Shared faults speak Graph: `status: 429` answers a rate-limit error (code 17 on
object edges, 80000 on insights, both HTTP 400 as Graph sends them), 5xx a transient code 2.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.control import Clock, FaultBook, RequestLog, handle_control
from sandbox.facebook_ads.account import DEFAULT_ACCOUNT_ID, build_account
from sandbox.facebook_ads.graph import GraphApi, GraphError
from sandbox.org import build_org

DEFAULT_ACCESS_TOKEN = "EAAsandboxFacebookAdsToken"
JOBS_CONTROL = "/_sandbox/report_jobs"


class FacebookAdsEmulator:
    """Everything one running emulator holds: the ad account, clock, faults, log, jobs."""

    def __init__(
        self,
        *,
        seed: int = 7,
        volume: float = 1.0,
        start: date | None = None,
        end: date | None = None,
        now: int | None = None,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        app_secret: str | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        page_cap: int = 500,
        job_polls: int = 3,
    ) -> None:
        org = build_org(seed=seed, volume=volume, start=start, end=end)
        self.org = org
        self.access_token = access_token
        self.app_secret = app_secret
        self.clock = Clock(
            now if now is not None else org.end_epoch - 1, org.start_epoch, org.end_epoch - 1
        )
        self.graph = GraphApi(build_account(org, account_id), page_cap, job_polls)
        self.faults = FaultBook()
        self.requests = RequestLog()

    def authenticate(self, params: dict[str, Any], header: str | None) -> None:
        token = str(params.get("access_token") or "")
        if not token and header:
            scheme, _, value = header.partition(" ")
            token = value.strip() if scheme.lower() in ("oauth", "bearer") else ""
        if not token:
            raise GraphError(400, 104, "An access token is required to request this resource.")
        if not hmac.compare_digest(token.encode(), self.access_token.encode()):
            raise GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if self.app_secret:
            proof = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            given = str(params.get("appsecret_proof") or "")
            if not hmac.compare_digest(given.encode(), proof.encode()):
                raise GraphError(
                    400,
                    100,
                    "Invalid appsecret_proof provided in the API argument",
                    kind="GraphMethodException",
                )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "proxygen-bolt"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log endpoint is the record

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
            self._control(method, url.path, raw_body)
            return
        params: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
        content_type = self.headers.get("Content-Type") or ""
        if method == "POST" and "json" not in content_type:
            params |= dict(parse_qsl(raw_body.decode(errors="replace"), keep_blank_values=True))
        headers: dict[str, str] = {}
        try:
            status, payload, headers = self._api(method, url.path, params)
        except GraphError as exc:
            status, payload = exc.status, exc.body()
        except Exception as exc:  # the emulator must answer like the API, never hang up
            error = GraphError(500, 1, f"An unknown error occurred ({exc!r})", transient=True)
            status, payload = 500, error.body()
        logged = {k: v for k, v in params.items() if k not in ("access_token", "appsecret_proof")}
        emulator.requests.append(method, url.path, logged, status)
        self._send(status, payload, headers)

    def _api(
        self, method: str, path: str, params: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        emulator = self.server.emulator
        emulator.authenticate(params, self.headers.get("Authorization"))
        graph = emulator.graph
        is_list = graph.is_list(method, path)
        fault = emulator.faults.take(path, is_list)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                raise _injected(fault.status, path)
        payload = graph.handle(method, path, params, emulator.clock.now, self._root())
        if fault is not None and fault.malformed and is_list and payload.get("data"):
            _corrupt(payload["data"][0])
        return 200, payload, {"x-fb-trace-id": "sandbox", "facebook-api-version": "v26.0"}

    def _root(self) -> str:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"http://{host}"

    def _control(self, method: str, path: str, raw_body: bytes) -> None:
        emulator = self.server.emulator
        try:
            body = json.loads(raw_body) if raw_body.strip() else {}
        except json.JSONDecodeError as exc:
            self._send(400, {"error": f"invalid JSON: {exc}"})
            return
        if not isinstance(body, dict):
            self._send(400, {"error": "body must be a JSON object"})
            return
        runs = emulator.graph.runs
        if path == JOBS_CONTROL:
            try:
                if method == "POST":
                    runs.arm(str(body.get("outcome")), int(body.get("count", 1)))
                elif method == "DELETE":
                    runs.clear()
                elif method != "GET":
                    self._send(405, {"error": f"{method} not allowed on {path}"})
                    return
            except (ValueError, TypeError) as exc:
                self._send(400, {"error": str(exc)})
                return
            self._send(200, runs.describe())
            return
        if path == "/_sandbox/faults" and method == "DELETE":
            runs.clear()  # clearing faults disarms failing and stuck jobs too
        status, payload = handle_control(
            method, path, body, emulator.faults, emulator.requests, emulator.clock
        )
        self._send(status, payload)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _injected(status: int, path: str) -> GraphError:
    if status == 429:
        if path.rstrip("/").endswith("/insights"):
            return GraphError(
                400,
                80000,
                "There have been too many calls from this ad-account. Wait a bit and try again. "
                "For more info, please refer to "
                "https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-insights.",
                2446079,
            )
        return GraphError(400, 17, "User request limit reached", 2446079)
    if status >= 500:
        return GraphError(
            status,
            2,
            "An unexpected error has occurred. Please retry your request later.",
            transient=True,
        )
    return GraphError(status, 100, "(#100) Injected failure")


def _corrupt(record: dict[str, Any]) -> None:
    # Still an object with its real id, but one field has a value of the wrong type.
    if "spend" in record:
        record["spend"] = "not-a-number"
    else:
        record["created_time"] = "yesterday-ish"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: FacebookAdsEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"


def make_server(emulator: FacebookAdsEmulator, host: str = "127.0.0.1", port: int = 0) -> _Server:
    return _Server((host, port), emulator)


@contextmanager
def serve_in_thread(emulator: FacebookAdsEmulator, host: str = "127.0.0.1") -> Iterator[_Server]:
    """Serve on a background thread for in-process tests; yields the server (`.base_url`)."""
    server = make_server(emulator, host, 0)
    thread = threading.Thread(target=server.serve_forever, name="facebook-sandbox", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def arm_report_jobs(base_url: str, outcome: str, count: int = 1) -> dict[str, Any]:
    """Make the next `count` async report runs end `failed` or stay `stuck` (for tests)."""
    return _control(base_url, "POST", {"outcome": outcome, "count": count})


def report_jobs(base_url: str) -> dict[str, Any]:
    """Armed outcomes and every report run made so far, with its polls and status."""
    return _control(base_url, "GET")


def _control(base_url: str, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base_url}{JOBS_CONTROL}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result
