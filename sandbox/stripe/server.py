"""The Stripe emulator's HTTP server: Stripe's wire protocol plus the `/_sandbox` controls."""

from __future__ import annotations

import base64
import hmac
import itertools
from contextlib import AbstractContextManager
from datetime import date
from typing import Any
from urllib.parse import SplitResult

from sandbox.control import Clock, FaultBook, RequestLog
from sandbox.http import Answer, EmulatorHandler, EmulatorServer, retry_after_header, serving
from sandbox.org import FIRST_DAY, LAST_DAY, build_org
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
        start: date = FIRST_DAY,
        end: date = LAST_DAY,
        now: int | None = None,
        api_key: str = DEFAULT_API_KEY,
        event_retention_days: int = 30,
    ) -> None:
        org = build_org(seed=seed, volume=volume, start=start, end=end)
        self.org = org
        self.api_key = api_key
        self.clock = Clock.of(org, now)
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


class _Handler(EmulatorHandler[StripeEmulator]):
    server_version = "nginx"
    sys_version = ""

    def answer(self, method: str, url: SplitResult, raw_body: bytes) -> Answer:
        emulator = self.server.emulator
        query: dict[str, Any] = {}
        status = 500
        try:
            query = parse_form(url.query)
            status, payload, headers = self._api(method, url.path, query)
        except ApiError as exc:
            status, payload, headers = exc.status, exc.body(), {}
        except Exception as exc:  # the emulator must answer like an API, never hang up
            status, payload, headers = 500, _api_error(f"Emulator error: {exc!r}"), {}
        request_headers = {"Request-Id": emulator.request_id(), "Stripe-Version": API_VERSION}
        return Answer(status, payload, {**request_headers, **headers}, query)

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
        fault = emulator.faults.strike(path, is_list)
        headers: dict[str, str] = {}
        if fault is not None and fault.status is not None:
            if fault.retry_after is not None:
                headers["Retry-After"] = retry_after_header(fault.retry_after)
            if fault.status == 429:
                return 429, _rate_limited(), headers
            if fault.status >= 500:
                return fault.status, _api_error("An unknown error occurred"), headers
            return fault.status, ApiError(fault.status, "Injected failure").body(), headers
        payload = emulator.api.get(path, query, emulator.clock.now)
        if fault is not None and fault.malformed and is_list and payload["data"]:
            _corrupt(payload["data"][0])
        if fault is not None and fault.new_field and is_list:
            for item in payload["data"]:
                # an event carries the object it announces; a render's top level is its own
                target = item["data"]["object"] if item.get("object") == "event" else item
                target[fault.new_field] = {"added_by": "sandbox drift fault"}
        return 200, payload, headers


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


def make_server(
    emulator: StripeEmulator, host: str = "127.0.0.1", port: int = 0
) -> EmulatorServer[StripeEmulator]:
    return EmulatorServer((host, port), emulator, _Handler)


def serve_in_thread(
    emulator: StripeEmulator, host: str = "127.0.0.1"
) -> AbstractContextManager[EmulatorServer[StripeEmulator]]:
    """Serve on a background thread for in-process tests; yields the server (`.base_url`)."""
    return serving(make_server(emulator, host, 0), "stripe-sandbox")
