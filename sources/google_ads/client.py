"""The one place the Google Ads client is built, and the retried GAQL streams read with it.

Credentials are built here from the settings (never `GoogleAdsClient.load_from_*`, which
refreshes the token at once and reads files): an OAuth refresh token for `token_uri`, the
developer token and the login customer id as headers. Against Google the service comes from
`GoogleAdsClient.get_service` (TLS). An `http://` base URL means the sandbox on loopback: the
same SDK service client and interceptors on a channel with gRPC's local-TCP credentials, which
carry the OAuth call credentials without a certificate and refuse any host but this machine.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from sources.errors import SourceError
from sources.google_ads.settings import (
    ADWORDS_SCOPE,
    API_VERSION,
    MAX_RETRY_DELAY_SECONDS,
    TRANSIENT_RETRIES,
)

# The SDK (its protobuf modules are the heaviest import of all sources) is imported where the
# client is built or called, never when the module loads: the code server only lists tables.
if TYPE_CHECKING:
    from google.ads.googleads.client import GoogleAdsClient
    from google.ads.googleads.errors import GoogleAdsException
    from google.auth import exceptions as auth_exceptions
    from google.oauth2.credentials import Credentials

log = logging.getLogger(__name__)

SOURCE = "google_ads"
FAILURE_KEY = f"google.ads.googleads.{API_VERSION}.errors.googleadsfailure-bin"

_TRANSIENT_CODES = ("RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED")
_OAUTH_SETTINGS = (
    "check settings sources.google_ads.client_id, client_secret and refresh_token (env "
    "SOURCES__GOOGLE_ADS__CLIENT_ID, SOURCES__GOOGLE_ADS__CLIENT_SECRET, "
    "SOURCES__GOOGLE_ADS__REFRESH_TOKEN)"
)
_DEVELOPER_TOKEN_SETTING = (
    "check setting sources.google_ads.developer_token (env SOURCES__GOOGLE_ADS__DEVELOPER_TOKEN)"
)
_CUSTOMER_SETTINGS = (
    "check setting sources.google_ads.customer_ids (env SOURCES__GOOGLE_ADS__CUSTOMER_IDS) and "
    "sources.google_ads.login_customer_id"
)
_CUSTOMER_CODES = {
    "USER_PERMISSION_DENIED",
    "CUSTOMER_NOT_ENABLED",
    "CUSTOMER_NOT_FOUND",
    "INVALID_CUSTOMER_ID",
    "CUSTOMER_NOT_ACTIVE",
    "NOT_ADS_USER",
}


@dataclass(frozen=True)
class Connection:
    """Where and as whom to call the API. `repr` hides the secrets."""

    developer_token: str
    client_id: str
    client_secret: str
    refresh_token: str
    login_customer_id: str | None
    base_url: str  # https://host[:port] (TLS) or http://127.0.0.1:port (loopback, no TLS)
    token_uri: str

    def __repr__(self) -> str:
        return (
            f"Connection(base_url={self.base_url!r}, login_customer_id={self.login_customer_id!r})"
        )


class AdsReader:
    """Reads GAQL results through `GoogleAdsService.search_stream`, one customer at a time."""

    def __init__(self, connection: Connection) -> None:
        from google.oauth2.credentials import Credentials

        self.connection = connection
        self.credentials = Credentials(
            token=None,
            refresh_token=connection.refresh_token,
            client_id=connection.client_id,
            client_secret=connection.client_secret,
            token_uri=connection.token_uri,
            scopes=[ADWORDS_SCOPE],
        )
        self._service: Any = None

    @property
    def service(self) -> Any:
        if self._service is None:
            self._service = build_service(self.connection, self.credentials)
        return self._service

    def ensure_token(self) -> None:
        """Refresh the access token now if needed, so a refused refresh reads as one line."""
        from google.auth import exceptions as auth_exceptions
        from google.auth.transport.requests import Request

        if self.credentials.valid:
            return
        try:
            self.credentials.refresh(Request())
        except auth_exceptions.RefreshError as error:
            raise SourceError(
                SOURCE, f"OAuth refresh was refused ({_oauth_reason(error)}): {_OAUTH_SETTINGS}"
            ) from None
        except auth_exceptions.TransportError:
            raise SourceError(
                SOURCE,
                f"cannot reach the OAuth token endpoint {self.connection.token_uri}",
                retryable=True,
            ) from None

    def stream(self, customer_id: str, query: str, resource: str) -> Iterator[list[Any]]:
        """Each streamed batch of `GoogleAdsRow`s (protobuf) for one customer's query.

        Quota, UNAVAILABLE and INTERNAL errors restart the stream with backoff; a restart after
        some batches were yielded yields them again, so callers drop rows they have seen.
        """
        from google.ads.googleads.errors import GoogleAdsException
        from google.api_core import exceptions as core_exceptions

        retrying = Retrying(
            retry=retry_if_exception(_is_transient),
            wait=_wait,
            stop=stop_after_attempt(TRANSIENT_RETRIES),
            before_sleep=lambda state: _log_retry(state, customer_id, resource),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self.ensure_token()
                    for batch in self.service.search_stream(customer_id=customer_id, query=query):
                        yield list(batch.results)
        except GoogleAdsException as error:
            raise _refusal(error, customer_id, resource) from None
        except core_exceptions.GoogleAPICallError as error:
            code = error.grpc_status_code.name if error.grpc_status_code else error.code
            tries = f" after {TRANSIENT_RETRIES} attempts" if _is_transient(error) else ""
            raise SourceError(
                SOURCE,
                f"customer {customer_id}: API call failed{tries} ({code}): {error.message}",
                resource,
                retryable=_is_transient(error),
            ) from None


def build_service(connection: Connection, credentials: Credentials) -> Any:
    """The SDK's `GoogleAdsServiceClient` (v26) for `connection`, raw protobuf rows."""
    from google.ads.googleads.client import GoogleAdsClient

    scheme, _, address = connection.base_url.rstrip("/").rpartition("://")
    loopback = scheme == "http"
    if scheme not in ("http", "https"):
        raise SourceError(
            SOURCE,
            f"base_url {connection.base_url!r} must start with https:// (or http:// for the "
            "sandbox on this machine): check setting sources.google_ads.base_url",
        )
    client = GoogleAdsClient(
        credentials=credentials,
        developer_token=connection.developer_token,
        login_customer_id=connection.login_customer_id or None,
        endpoint=None if loopback else address,
        version=API_VERSION,
        use_proto_plus=False,  # rows are read field by field: raw protobuf is much faster
    )
    if not loopback:
        return client.get_service("GoogleAdsService")
    return _loopback_service(client, address)


def _loopback_service(client: GoogleAdsClient, address: str) -> Any:
    """What `client.get_service` builds, on a local-TCP channel instead of TLS.

    `get_service` always builds its own TLS channel and takes no transport; this repeats its few
    lines with the SDK's own interceptors, so only the channel's security differs.
    """
    import grpc
    from google.ads.googleads.interceptors import (
        ExceptionInterceptor,
        LoggingInterceptor,
        MetadataInterceptor,
    )
    from google.ads.googleads.v26.services.services.google_ads_service import (
        GoogleAdsServiceClient,
    )
    from google.ads.googleads.v26.services.services.google_ads_service.transports import (
        GoogleAdsServiceGrpcTransport,
    )
    from google.auth.transport.grpc import AuthMetadataPlugin
    from google.auth.transport.requests import Request

    call_credentials = grpc.metadata_call_credentials(
        AuthMetadataPlugin(client.credentials, Request())
    )
    channel = grpc.secure_channel(
        address,
        grpc.composite_channel_credentials(
            grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP), call_credentials
        ),
    )
    channel = grpc.intercept_channel(
        channel,
        MetadataInterceptor(client.developer_token, client.login_customer_id),
        LoggingInterceptor(logging.getLogger("google.ads.googleads.client"), API_VERSION, address),
        ExceptionInterceptor(API_VERSION, use_proto_plus=client.use_proto_plus),
    )
    return GoogleAdsServiceClient(transport=GoogleAdsServiceGrpcTransport(channel=channel))


def _is_transient(error: BaseException) -> bool:
    from google.ads.googleads.errors import GoogleAdsException
    from google.api_core import exceptions as core_exceptions

    if isinstance(error, GoogleAdsException):
        return error.error.code().name in _TRANSIENT_CODES
    return isinstance(
        error,
        core_exceptions.ResourceExhausted
        | core_exceptions.ServiceUnavailable
        | core_exceptions.InternalServerError
        | core_exceptions.DeadlineExceeded,
    )


def _failure(error: BaseException) -> Any:
    """The `GoogleAdsFailure` in an error's trailers, if any."""
    from google.ads.googleads.errors import GoogleAdsException
    from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure

    if isinstance(error, GoogleAdsException):
        return error.failure
    call: Any = getattr(error, "response", None)
    trailers = call.trailing_metadata() if hasattr(call, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == FAILURE_KEY:
            return GoogleAdsFailure.deserialize(value)
    return None


def _wait(state: RetryCallState) -> float:
    """The quota error's `retry_delay` when it gives one, else exponential backoff with jitter."""
    error = state.outcome.exception() if state.outcome else None
    failure = _failure(error) if error else None
    for item in failure.errors if failure else ():
        delay = item.details.quota_error_details.retry_delay
        if delay and (delay.seconds or delay.microseconds):
            return min(delay.total_seconds(), MAX_RETRY_DELAY_SECONDS)
    backoff = min(2.0 ** (state.attempt_number - 1), MAX_RETRY_DELAY_SECONDS)
    return backoff * random.uniform(0.5, 1.0)


def _log_retry(state: RetryCallState, customer_id: str, resource: str) -> None:
    from google.ads.googleads.errors import GoogleAdsException

    error = state.outcome.exception() if state.outcome else None
    code = (
        error.error.code().name if isinstance(error, GoogleAdsException) else type(error).__name__
    )
    log.warning(
        "google_ads.%s: customer %s: %s, retry %d of %d in %.1fs",
        resource,
        customer_id,
        code,
        state.attempt_number,
        TRANSIENT_RETRIES - 1,
        state.next_action.sleep if state.next_action else 0.0,
    )


def error_codes(failure: Any) -> list[tuple[str, str, str]]:
    """(error kind, enum name, message) of each error in a `GoogleAdsFailure`."""
    codes = []
    for item in failure.errors:
        code = type(item.error_code).pb(item.error_code)
        kind = code.WhichOneof("error_code") or "unknown"
        number = getattr(code, kind, 0)
        field = code.DESCRIPTOR.fields_by_name.get(kind)
        name = (
            field.enum_type.values_by_number[number].name
            if field is not None and field.enum_type and number in field.enum_type.values_by_number
            else str(number)
        )
        codes.append((kind, name, item.message))
    return codes


def _refusal(error: GoogleAdsException, customer_id: str, resource: str) -> SourceError:
    """A one-line error naming the customer and the setting to check, never a secret."""
    codes = error_codes(error.failure) or [("unknown", error.error.code().name, "")]
    kind, name, message = codes[0]
    if "DEVELOPER_TOKEN" in name:
        what = f"the developer token was refused ({name}): {_DEVELOPER_TOKEN_SETTING}"
    elif kind == "authentication_error" and name not in _CUSTOMER_CODES:
        what = f"the OAuth credentials were refused ({name}): {_OAUTH_SETTINGS}"
    elif name in _CUSTOMER_CODES:
        what = f"customer {customer_id} cannot be read ({name}): {_CUSTOMER_SETTINGS}"
    else:
        what = f"customer {customer_id}: query refused ({kind} {name}): {message}"
    # quota and internal errors outlasted the stream's own retries: a later run may get through
    return SourceError(
        SOURCE, f"{what} [request id {error.request_id}]", resource, retryable=_is_transient(error)
    )


def _oauth_reason(error: auth_exceptions.RefreshError) -> str:
    """The OAuth error code (`invalid_grant`) from a refused refresh; never the request."""
    for arg in error.args:
        if isinstance(arg, dict) and arg.get("error"):
            return str(arg["error"])
    return "refused"
