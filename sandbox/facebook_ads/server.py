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
import urllib.request
from contextlib import AbstractContextManager
from datetime import date
from typing import Any
from urllib.parse import SplitResult, parse_qsl

from sandbox.control import Clock, FaultBook, RequestLog
from sandbox.facebook_ads.account import DEFAULT_ACCOUNT_ID, build_account
from sandbox.facebook_ads.graph import GraphApi, GraphError
from sandbox.http import Answer, EmulatorHandler, EmulatorServer, not_allowed, serving
from sandbox.org import FIRST_DAY, LAST_DAY, build_org

DEFAULT_ACCESS_TOKEN = "EAAsandboxFacebookAdsToken"
JOBS_CONTROL = "/_sandbox/report_jobs"


class FacebookAdsEmulator:
    """Everything one running emulator holds: the ad account, clock, faults, log, jobs."""

    def __init__(
        self,
        *,
        seed: int = 7,
        volume: float = 1.0,
        start: date = FIRST_DAY,
        end: date = LAST_DAY,
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
        self.clock = Clock.of(org, now)
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


class _Handler(EmulatorHandler[FacebookAdsEmulator]):
    server_version = "proxygen-bolt"
    sys_version = ""
    content_type = "application/json; charset=UTF-8"

    def answer(self, method: str, url: SplitResult, raw_body: bytes) -> Answer:
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
        return Answer(status, payload, headers, logged)

    def _api(
        self, method: str, path: str, params: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        emulator = self.server.emulator
        emulator.authenticate(params, self.headers.get("Authorization"))
        graph = emulator.graph
        is_list = graph.is_list(method, path)
        fault = emulator.faults.strike(path, is_list)
        if fault is not None and fault.status is not None:
            raise _injected(fault.status, path)
        payload = graph.handle(method, path, params, emulator.clock.now, self._root())
        if fault is not None and fault.malformed and is_list and payload.get("data"):
            _corrupt(payload["data"][0])
        return 200, payload, {"x-fb-trace-id": "sandbox", "facebook-api-version": "v26.0"}

    def _root(self) -> str:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"http://{host}"

    def extra_control(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        runs = self.server.emulator.graph.runs
        if path == JOBS_CONTROL:
            if method == "POST":
                runs.arm(str(body.get("outcome")), int(body.get("count", 1)))
            elif method == "DELETE":
                runs.clear()
            elif method != "GET":
                return not_allowed(method, path)
            return 200, runs.describe()
        if path == "/_sandbox/faults" and method == "DELETE":
            runs.clear()  # clearing faults disarms failing and stuck jobs too
        return None


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


def make_server(
    emulator: FacebookAdsEmulator, host: str = "127.0.0.1", port: int = 0
) -> EmulatorServer[FacebookAdsEmulator]:
    return EmulatorServer((host, port), emulator, _Handler)


def serve_in_thread(
    emulator: FacebookAdsEmulator, host: str = "127.0.0.1"
) -> AbstractContextManager[EmulatorServer[FacebookAdsEmulator]]:
    """Serve on a background thread for in-process tests; yields the server (`.base_url`)."""
    return serving(make_server(emulator, host, 0), "facebook-sandbox")


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
