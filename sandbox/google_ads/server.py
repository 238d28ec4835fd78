"""The Google Ads emulator's servers: `GoogleAdsService` over gRPC, controls and OAuth over HTTP.

The google-ads package ships no servicer base classes, so the service is a generic handler
using the SDK's own request and response messages. gRPC uses gRPC's local-TCP credentials: a
secure channel type that needs no certificate and only connects over loopback, so the SDK's
OAuth call credentials ride on it as they do on TLS to Google.

The same address (`shared_port.py`) serves HTTP/1.1: the shared `/_sandbox` controls (clock,
faults, request log), `GET /_sandbox/endpoints`, and `POST /token`, an OAuth token endpoint
that swaps the sandbox refresh token for access tokens, so the source's credentials refresh
exactly as against Google without leaving the machine.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import SplitResult, parse_qs

import grpc
from google.ads.googleads.v26.services.types import google_ads_service

from sandbox.control import Clock, Fault, FaultBook, RequestLog
from sandbox.google_ads import failures
from sandbox.google_ads.account import MANAGER_ID, AdsData, build_ads
from sandbox.google_ads.failures import API_VERSION, AdsApiError
from sandbox.google_ads.gaql import QueryError, parse
from sandbox.google_ads.rows import Row, answer, fill
from sandbox.google_ads.shared_port import SharedPort
from sandbox.http import Answer, EmulatorHandler, EmulatorServer
from sandbox.org import FIRST_DAY, LAST_DAY, build_org, utc_date

SERVICE = f"google.ads.googleads.{API_VERSION}.services.GoogleAdsService"
MAX_BATCH_ROWS = 10_000  # the API streams at most this many rows per response
DEFAULT_DEVELOPER_TOKEN = "sandbox-developer-token"
DEFAULT_CLIENT_ID = "sandbox-client-id.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
DEFAULT_REFRESH_TOKEN = "sandbox-refresh-token"
ACCESS_TOKEN_SECONDS = 3599

_StreamRequest = google_ads_service.SearchGoogleAdsStreamRequest
_StreamResponsePb = google_ads_service.SearchGoogleAdsStreamResponse.pb()
_SearchRequest = google_ads_service.SearchGoogleAdsRequest
_SearchResponsePb = google_ads_service.SearchGoogleAdsResponse.pb()

# gRPC status -> the HTTP status the REST API gives, for the request log
_HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class OAuthClient:
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    refresh_token: str = DEFAULT_REFRESH_TOKEN


class GoogleAdsEmulator:
    """Everything one running emulator holds: the accounts, clock, faults, log and tokens."""

    def __init__(
        self,
        *,
        seed: int = 7,
        volume: float = 1.0,
        start: date = FIRST_DAY,
        end: date = LAST_DAY,
        now: int | None = None,
        developer_token: str = DEFAULT_DEVELOPER_TOKEN,
        oauth: OAuthClient | None = None,
        batch_size: int = MAX_BATCH_ROWS,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_ROWS:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH_ROWS}")
        org = build_org(seed=seed, volume=volume, start=start, end=end)
        self.data: AdsData = build_ads(org)
        self.developer_token = developer_token
        self.oauth = oauth or OAuthClient()
        self.batch_size = batch_size
        self.clock = Clock.of(org, now)
        self.faults = FaultBook()
        self.requests = RequestLog()
        self._access_tokens: set[str] = set()
        self._lock = threading.Lock()
        self._request_ids = itertools.count(1)

    @property
    def customer_ids(self) -> list[str]:
        return [str(account.id) for account in self.data.accounts]

    def request_id(self) -> str:
        return f"sbx{next(self._request_ids):08d}{secrets.token_hex(4)}"

    # --- OAuth -------------------------------------------------------------------------------

    def issue_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Google's token endpoint for `grant_type=refresh_token`: (HTTP status, JSON)."""
        if form.get("grant_type") != "refresh_token":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Invalid grant_type",
            }
        if not (
            _same(form.get("client_id", ""), self.oauth.client_id)
            and _same(form.get("client_secret", ""), self.oauth.client_secret)
        ):
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if not _same(form.get("refresh_token", ""), self.oauth.refresh_token):
            return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
        token = f"ya29.sandbox-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._access_tokens.add(token)
        return 200, {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "scope": "https://www.googleapis.com/auth/adwords",
            "token_type": "Bearer",
        }

    # --- the API -----------------------------------------------------------------------------

    def authorize(self, metadata: dict[str, str], customer_id: str) -> int:
        """Check the call's credentials and customer as the API does; the customer id as int."""
        scheme, _, token = metadata.get("authorization", "").partition(" ")
        with self._lock:
            known = token in self._access_tokens
        if scheme.lower() != "bearer" or not known:
            raise failures.oauth_token_invalid()
        if not _same(metadata.get("developer-token", ""), self.developer_token):
            raise failures.developer_token_invalid()
        if not (customer_id.isdigit() and len(customer_id) == 10):
            raise failures.invalid_customer_id(customer_id)
        login = metadata.get("login-customer-id")
        known_ids = {account.id for account in self.data.accounts} | {MANAGER_ID}
        if int(customer_id) not in known_ids:
            raise failures.user_permission_denied(customer_id)
        if login and login not in (str(MANAGER_ID), customer_id):
            raise failures.user_permission_denied(customer_id)
        return int(customer_id)

    def rows(
        self, metadata: dict[str, str], customer_id: str, query: str
    ) -> tuple[list[Row], Fault | None]:
        """The rows of a search, after authorization and any injected fault."""
        number = self.authorize(metadata, customer_id)
        fault = self.faults.strike(_path(customer_id), True)
        if fault is not None and fault.status is not None:
            raise _injected(fault)
        try:
            rows = answer(self.data, parse(query), number, utc_date(self.clock.now))
        except QueryError as error:
            raise failures.query_error(error.code, error.message) from None
        except Exception as error:  # the emulator must answer like the API, never hang up
            raise AdsApiError(
                grpc.StatusCode.INTERNAL,
                "internal_error",
                "INTERNAL_ERROR",
                f"Emulator error: {error!r}",
            ) from None
        if fault is not None and fault.malformed and rows:
            _corrupt(rows[0])
        return rows, fault

    def search_stream(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        metadata = dict(context.invocation_metadata())
        request_id = self.request_id()
        logged = {"customer_id": request.customer_id, "query": request.query}
        try:
            rows, _ = self.rows(metadata, request.customer_id, request.query)
        except AdsApiError as error:
            self._fail(context, error, request_id, _path(request.customer_id), logged)
            return
        self.requests.append("POST", _path(request.customer_id), logged, 200)
        fields = list(parse(request.query).fields)
        for start in range(0, max(len(rows), 1), self.batch_size):
            response = _StreamResponsePb()
            response.request_id = request_id
            response.field_mask.paths.extend(fields)
            for row in rows[start : start + self.batch_size]:
                fill(response.results.add(), row)
            yield response

    def search(self, request: Any, context: grpc.ServicerContext) -> Any:
        metadata = dict(context.invocation_metadata())
        request_id = self.request_id()
        path = _path(request.customer_id, "search")
        logged = {"customer_id": request.customer_id, "query": request.query}
        try:
            rows, _ = self.rows(metadata, request.customer_id, request.query)
            offset = _page_offset(request.page_token)
            if not 0 <= request.page_size <= MAX_BATCH_ROWS:
                raise AdsApiError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "request_error",
                    "INVALID_PAGE_SIZE",
                    f"Page size must be 1..{MAX_BATCH_ROWS}.",
                )
        except AdsApiError as error:
            self._fail(context, error, request_id, path, logged)
            return None
        self.requests.append("POST", path, logged, 200)
        size = request.page_size or self.batch_size
        response = _SearchResponsePb()
        response.field_mask.paths.extend(parse(request.query).fields)
        for row in rows[offset : offset + size]:
            fill(response.results.add(), row)
        if offset + size < len(rows):
            response.next_page_token = str(offset + size)
        if request.search_settings.return_total_results_count:
            response.total_results_count = len(rows)
        return response

    def _fail(
        self,
        context: grpc.ServicerContext,
        error: AdsApiError,
        request_id: str,
        path: str,
        logged: dict[str, Any],
    ) -> None:
        self.requests.append("POST", path, logged, _HTTP_STATUS.get(error.status, 500))
        context.set_trailing_metadata(error.trailers(request_id))
        context.abort(error.status, error.message)

    def grpc_handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "SearchStream": grpc.unary_stream_rpc_method_handler(
                    self.search_stream,
                    request_deserializer=_StreamRequest.pb().FromString,
                    response_serializer=_StreamResponsePb.SerializeToString,
                ),
                "Search": grpc.unary_unary_rpc_method_handler(
                    self.search,
                    request_deserializer=_SearchRequest.pb().FromString,
                    response_serializer=_SearchResponsePb.SerializeToString,
                ),
            },
        )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _path(customer_id: str, method: str = "searchStream") -> str:
    """The REST name of the call: what faults match on and the request log shows."""
    return f"/{API_VERSION}/customers/{customer_id}/googleAds:{method}"


def _page_offset(token: str) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise AdsApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "request_error",
            "INVALID_PAGE_TOKEN",
            "Page token is invalid.",
        )
    return int(token)


def _injected(fault: Fault) -> AdsApiError:
    status = fault.status or 500
    if status == 429:
        delay = None if fault.retry_after is None else max(0, round(fault.retry_after))
        return failures.quota_exhausted(delay)
    if status == 401:
        return failures.oauth_token_invalid()
    if status == 403:
        return failures.user_permission_denied("")
    return failures.internal_error(status)


def _corrupt(row: Row) -> None:
    # Still a row of the right shape, but a value no valid record has: an impossible date, or
    # a zero id for rows without one.
    if "segments.date" in row:
        row["segments.date"] = "2026-02-30"
        return
    for name in ("ad_group.id", "campaign.id", "customer.id"):
        if name in row:
            row[name] = 0
            return


class _ControlHandler(EmulatorHandler[GoogleAdsEmulator]):
    server: ControlServer

    def answer(self, method: str, url: SplitResult, raw_body: bytes) -> Answer:
        if url.path == "/token" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(raw_body.decode(errors="replace")).items()}
            status, payload = self.server.emulator.issue_token(form)
            return Answer(status, payload, logged={"grant_type": form.get("grant_type")})
        return Answer(404, {"error": f"no endpoint {method} {url.path}"}, logged=None)

    def extra_control(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        if path == "/_sandbox/endpoints" and method == "GET":
            return 200, self.server.endpoints()
        return None


class ControlServer(EmulatorServer[GoogleAdsEmulator]):
    """The HTTP side; it gets its connections from the shared port, so it binds nothing."""

    def __init__(self, emulator: GoogleAdsEmulator) -> None:
        super().__init__(("127.0.0.1", 0), emulator, _ControlHandler, bind_and_activate=False)

    def endpoints(self) -> dict[str, Any]:
        return {
            "grpc": self.base_url.removeprefix("http://"),
            "token_uri": f"{self.base_url}/token",
            "api_version": API_VERSION,
            "login_customer_id": str(MANAGER_ID),
            "customer_ids": self.emulator.customer_ids,
        }


@dataclass
class RunningEmulator:
    grpc_server: grpc.Server
    port: SharedPort
    control: ControlServer
    _stopped: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    @property
    def base_url(self) -> str:
        """gRPC (HTTP/2) and the HTTP controls, on one address."""
        return self.control.base_url

    def stop(self) -> None:
        self.port.close()
        self.control.server_close()
        self.grpc_server.stop(grace=1).wait()

    # serve_forever, shutdown and server_close let `sandbox.serve` run it like an HTTP server;
    # the servers run on their own threads, so serving is only waiting to be told to stop.
    def serve_forever(self) -> None:
        self._stopped.wait()

    def shutdown(self) -> None:
        self._stopped.set()

    def server_close(self) -> None:
        self.stop()


def start(emulator: GoogleAdsEmulator, host: str = "127.0.0.1", port: int = 0) -> RunningEmulator:
    """Serve on `host:port` (0 for any): gRPC behind a shared port with the HTTP controls."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="google-ads"))
    server.add_generic_rpc_handlers((emulator.grpc_handler(),))
    credentials = grpc.local_server_credentials(grpc.LocalConnectionType.LOCAL_TCP)
    grpc_port = server.add_secure_port(f"{host}:0", credentials)
    if not grpc_port:
        raise OSError(f"cannot listen on {host}")
    server.start()
    control = ControlServer(emulator)
    shared = SharedPort(host, port, grpc_port, control)
    control.server_address = shared.listener.getsockname()[:2]
    threading.Thread(target=shared.serve_forever, name="google-ads-port", daemon=True).start()
    return RunningEmulator(server, shared, control)


@contextmanager
def serve_in_thread(
    emulator: GoogleAdsEmulator, host: str = "127.0.0.1"
) -> Iterator[RunningEmulator]:
    """Serve in this process for in-process tests; yields the running servers."""
    running = start(emulator, host)
    try:
        yield running
    finally:
        running.stop()
