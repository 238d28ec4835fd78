"""The PayPal emulator's HTTP server: OAuth client credentials, the reporting API, `/_sandbox`.

`POST /v1/oauth2/token` takes the app's client id and secret as Basic auth and hands out a
bearer token; the reporting endpoints want that token. Faults, clock and request log are the
shared controls of `sandbox.control`.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import threading
import time
from contextlib import AbstractContextManager, suppress
from datetime import date
from typing import Any
from urllib.parse import SplitResult, parse_qsl

from sandbox.control import Clock, FaultBook, RequestLog
from sandbox.http import Answer, EmulatorHandler, EmulatorServer, retry_after_header, serving
from sandbox.org import FIRST_DAY, LAST_DAY, build_org
from sandbox.paypal.api import DEFAULT_RESULT_CAP, DOCS, PaypalApi, PaypalError
from sandbox.paypal.disputes import DISPUTES_PATH, PaypalDisputes
from sandbox.paypal.ledger import Ledger, transaction_id

DEFAULT_CLIENT_ID = "sandbox-paypal-client"
DEFAULT_CLIENT_SECRET = "sandbox-paypal-secret"
TOKEN_LIFETIME = 32_400  # seconds, as PayPal's tokens
SEARCH_PATH = "/v1/reporting/transactions"
BALANCES_PATH = "/v1/reporting/balances"
TOKEN_PATH = "/v1/oauth2/token"
SCOPES = (
    "https://uri.paypal.com/services/reporting/search/read "
    "https://uri.paypal.com/services/reporting/balances/read "
    "https://uri.paypal.com/services/disputes/read-seller"
)


class PaypalEmulator:
    """Everything one running emulator holds: the ledger, tokens, clock, faults, log."""

    def __init__(
        self,
        *,
        seed: int = 7,
        volume: float = 1.0,
        start: date = FIRST_DAY,
        end: date = LAST_DAY,
        now: int | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        reporting_delay_hours: float = 3.0,
        result_cap: int = DEFAULT_RESULT_CAP,
    ) -> None:
        org = build_org(seed=seed, volume=volume, start=start, end=end)
        self.org = org
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = Clock.of(org, now)
        ledger = Ledger(org, reporting_delay_hours)
        self.api = PaypalApi(ledger, result_cap)
        self.disputes = PaypalDisputes(org, ledger)
        self.faults = FaultBook()
        self.requests = RequestLog()
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def debug_id(self) -> str:
        return transaction_id("debug", next(self._ids))[:13].lower()

    def issue_token(self, header: str | None) -> dict[str, Any]:
        scheme, _, encoded = (header or "").partition(" ")
        client_id = secret = ""
        if scheme.lower() == "basic":
            with suppress(ValueError):
                client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        valid = hmac.compare_digest(client_id.encode(), self.client_id.encode()) and (
            hmac.compare_digest(secret.encode(), self.client_secret.encode())
        )
        if not valid:
            raise PaypalError(
                401,
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
            )
        token = "A21AA" + transaction_id("token", next(self._ids), time.time()) * 4
        with self._lock:
            self._tokens.add(token)
        return {
            "scope": SCOPES,
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": TOKEN_LIFETIME,
            "nonce": f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}{token[-12:]}",
        }

    def authenticate(self, header: str | None, debug_id: str) -> None:
        scheme, _, token = (header or "").partition(" ")
        with self._lock:
            known = scheme.lower() == "bearer" and token.strip() in self._tokens
        if not known:
            raise PaypalError(
                401,
                {
                    "name": "AUTHENTICATION_FAILURE",
                    "message": "Authentication failed due to missing authorization header, or "
                    "invalid authentication credentials.",
                    "debug_id": debug_id,
                    "links": [
                        {"href": f"{DOCS}#error-AUTHENTICATION_FAILURE", "rel": "information_link"}
                    ],
                },
            )


class _Handler(EmulatorHandler[PaypalEmulator]):
    server_version = "nginx"
    sys_version = ""

    def answer(self, method: str, url: SplitResult, raw_body: bytes) -> Answer:
        emulator = self.server.emulator
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        debug_id = emulator.debug_id()
        headers: dict[str, str] = {}
        try:
            status, payload, headers = self._api(method, url.path, query, raw_body, debug_id)
        except PaypalError as exc:
            status, payload = exc.status, exc.body
        except Exception as exc:  # the emulator must answer like an API, never hang up
            status, payload = 500, _internal_error(debug_id, f"Emulator error: {exc!r}")
        # Only the query is logged: credentials travel in headers, never recorded.
        return Answer(status, payload, {**headers, "Paypal-Debug-Id": debug_id}, query)

    def _api(
        self, method: str, path: str, query: dict[str, str], body: bytes, debug_id: str
    ) -> tuple[int, Any, dict[str, str]]:
        emulator = self.server.emulator
        routes = {
            ("POST", TOKEN_PATH),
            ("GET", SEARCH_PATH),
            ("GET", BALANCES_PATH),
            ("GET", DISPUTES_PATH),
        }
        dispute_id = (
            path.removeprefix(f"{DISPUTES_PATH}/") if path.startswith(f"{DISPUTES_PATH}/") else None
        )
        if (method, path) not in routes and not (method == "GET" and dispute_id):
            raise PaypalError(
                404,
                {
                    "name": "RESOURCE_NOT_FOUND",
                    "message": "The specified resource does not exist.",
                    "debug_id": debug_id,
                },
            )
        is_list = path in (SEARCH_PATH, DISPUTES_PATH)
        fault = emulator.faults.strike(path, is_list)
        headers: dict[str, str] = {}
        if fault is not None and fault.status is not None:
            if fault.retry_after is not None:
                headers["Retry-After"] = retry_after_header(fault.retry_after)
            return fault.status, _fault_body(fault.status, debug_id), headers
        if path == TOKEN_PATH:
            form = dict(parse_qsl(body.decode(errors="replace")))
            if form.get("grant_type") != "client_credentials":
                raise PaypalError(
                    400,
                    {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"},
                )
            return 200, emulator.issue_token(self.headers.get("Authorization")), headers
        emulator.authenticate(self.headers.get("Authorization"), debug_id)
        now = emulator.clock.now
        if path == BALANCES_PATH:
            return 200, emulator.api.balances(query, now, debug_id), headers
        if path == DISPUTES_PATH:
            return 200, emulator.disputes.list(query, now, debug_id, self.server.base_url), headers
        if dispute_id:
            detail = emulator.disputes.show(dispute_id, now, debug_id, self.server.base_url)
            return 200, detail, headers
        payload = emulator.api.search(query, now, debug_id, self.server.base_url)
        if fault is not None and fault.malformed and payload["transaction_details"]:
            _corrupt(payload["transaction_details"][0])
        return 200, payload, headers


def _internal_error(debug_id: str, message: str = "An internal server error occurred.") -> Any:
    return {
        "name": "INTERNAL_SERVER_ERROR",
        "message": message,
        "debug_id": debug_id,
        "links": [{"href": f"{DOCS}#error-INTERNAL_SERVER_ERROR", "rel": "information_link"}],
    }


def _fault_body(status: int, debug_id: str) -> dict[str, Any]:
    if status == 429:
        return {
            "name": "RATE_LIMIT_REACHED",
            "message": "Too many requests. Blocked due to rate limiting.",
            "debug_id": debug_id,
        }
    if status == 503:
        return {
            "name": "SERVICE_UNAVAILABLE",
            "message": "Service Unavailable.",
            "debug_id": debug_id,
        }
    if status >= 500:
        return _internal_error(debug_id)
    return {"name": "INJECTED_FAILURE", "message": "Injected failure", "debug_id": debug_id}


def _corrupt(detail: dict[str, Any]) -> None:
    # Still a transaction with its real id, but its amount is no number.
    info = detail.get("transaction_info")
    if isinstance(info, dict) and isinstance(info.get("transaction_amount"), dict):
        info["transaction_amount"]["value"] = "not-a-number"
    elif isinstance(info, dict):
        info["transaction_initiation_date"] = "yesterday"


def make_server(
    emulator: PaypalEmulator, host: str = "127.0.0.1", port: int = 0
) -> EmulatorServer[PaypalEmulator]:
    return EmulatorServer((host, port), emulator, _Handler)


def serve_in_thread(
    emulator: PaypalEmulator, host: str = "127.0.0.1"
) -> AbstractContextManager[EmulatorServer[PaypalEmulator]]:
    """Serve on a background thread for in-process tests; yields the server (`.base_url`)."""
    return serving(make_server(emulator, host, 0), "paypal-sandbox")
