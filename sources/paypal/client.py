"""The one place the PayPal SDK client is built, and the retried Transaction Search calls.

`paypal-server-sdk` fetches its OAuth token from `/v1/oauth2/token` with the app's client
credentials by itself; we hand it a token provider so that the token request is retried like
every other call and a refused secret ends the run with one line instead of the SDK's
"OAuthToken is undefined or expired". The SDK's own retries (urllib3, GET only, silent) are
off: tenacity retries 429, 5xx and dropped connections for every call, honouring
`Retry-After`, with one warning line per retry.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from sources.errors import SourceError, transient_status
from sources.field_types import RECORD_JSON
from sources.paypal.settings import (
    DISPUTES_PAGE_SIZE,
    DISPUTES_PATH,
    FIELDS,
    MAX_RANGE,
    MAX_RETRY_AFTER_SECONDS,
    PAGE_SIZE,
    REQUEST_TIMEOUT_SECONDS,
    RETRIES,
    RETRY_STATUSES,
    SMALLEST_RANGE,
)

if TYPE_CHECKING:  # the SDK is imported where a client is built or called, never at load
    from paypalserversdk.configuration import Configuration
    from paypalserversdk.exceptions.api_exception import ApiException
    from paypalserversdk.http.auth.o_auth_2 import OAuth2
    from paypalserversdk.models.o_auth_token import OAuthToken
    from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

log = logging.getLogger(__name__)

SOURCE = "paypal"
T = TypeVar("T")
_backoff = wait_exponential(multiplier=0.5, max=MAX_RETRY_AFTER_SECONDS)
REFUSED_CREDENTIALS = (
    "the client credentials were refused ({status}): check sources.paypal.client_id / "
    "client_secret (env SOURCES__PAYPAL__CLIENT_ID / SOURCES__PAYPAL__CLIENT_SECRET)"
)


def _endpoint(base_url: str, **options: Any) -> Configuration:
    """The SDK's configuration aimed at `base_url`: the live API, PayPal's sandbox, or ours."""
    from paypalserversdk.configuration import Configuration, Server

    class _Endpoint(Configuration):
        def __init__(self, **options: Any) -> None:
            self._base_url = base_url.rstrip("/")
            super().__init__(**options)

        def get_base_uri(self, server: Server = Server.DEFAULT) -> str:
            return self._base_url

    return _Endpoint(**options)


class ResultSetTooLarge(Exception):
    """PayPal refused a search matching more transactions than it returns for one query."""

    def __init__(self, total_items: int | None, maximum_items: int | None) -> None:
        super().__init__(f"{total_items} transactions, at most {maximum_items} per search")
        self.total_items = total_items
        self.maximum_items = maximum_items


def build_client(client_id: str, client_secret: str, base_url: str) -> PaypalServersdkClient:
    """A client for `base_url`; its first call fetches a token with the client credentials."""
    from paypalserversdk.configuration import Environment
    from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
    from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

    def fetch_token(_expired: OAuthToken | None, auth: OAuth2) -> OAuthToken:
        return call_with_retries(auth.fetch_token, None)

    credentials = ClientCredentialsAuthCredentials(
        o_auth_client_id=client_id,
        o_auth_client_secret=client_secret,
        o_auth_token_provider=fetch_token,
    )
    config = _endpoint(
        base_url,
        environment=Environment.PRODUCTION,
        timeout=REQUEST_TIMEOUT_SECONDS,
        max_retries=0,
        retry_statuses=[],
        client_credentials_auth_credentials=credentials,
    )
    return PaypalServersdkClient(config=config)


def _retryable(error: BaseException) -> bool:
    from paypalserversdk.exceptions.api_exception import ApiException

    if isinstance(error, requests.ConnectionError | requests.Timeout):
        return True
    return isinstance(error, ApiException) and error.response_code in RETRY_STATUSES


def _wait_for_retry_after(state: RetryCallState) -> float:
    """Sleep what a 429's `Retry-After` asks for; otherwise back off exponentially."""
    error = state.outcome.exception() if state.outcome else None
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return min(float(headers.get("Retry-After", "")), MAX_RETRY_AFTER_SECONDS)
    except (TypeError, ValueError):
        return float(_backoff(state))


def _log_retry(state: RetryCallState) -> None:
    from paypalserversdk.exceptions.api_exception import ApiException

    error = state.outcome.exception() if state.outcome else None
    what = (
        f"HTTP {error.response_code}" if isinstance(error, ApiException) else type(error).__name__
    )
    log.warning(
        "paypal: %s, retry %d of %d in %.1fs",
        what,
        state.attempt_number,
        RETRIES - 1,
        state.next_action.sleep if state.next_action else 0.0,
    )


def call_with_retries(call: Callable[[], T], resource: str | None) -> T:
    """Run one SDK call, retrying 429/5xx; turn PayPal's refusals into one-line `SourceError`s."""
    from paypalserversdk.exceptions.api_exception import ApiException
    from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException

    retrying = Retrying(
        retry=retry_if_exception(_retryable),
        wait=_wait_for_retry_after,
        stop=stop_after_attempt(RETRIES),
        before_sleep=_log_retry,
        reraise=True,
    )
    try:
        return retrying(call)
    except OAuthProviderException as error:
        raise SourceError(SOURCE, REFUSED_CREDENTIALS.format(status=error.response_code)) from None
    except ApiException as error:
        name = getattr(error, "name", None)
        if name == "RESULTSET_TOO_LARGE":
            raise ResultSetTooLarge(
                getattr(error, "total_items", None), getattr(error, "maximum_items", None)
            ) from None
        raise SourceError(
            SOURCE, _describe(error), resource, retryable=transient_status(error.response_code)
        ) from None
    except (requests.ConnectionError, requests.Timeout) as error:
        raise SourceError(
            SOURCE,
            f"the API could not be reached after {RETRIES} attempts ({type(error).__name__})",
            resource,
            retryable=True,
        ) from None


def _describe(error: ApiException) -> str:
    status = error.response_code
    name = getattr(error, "name", None)
    if status == 401:
        return "the access token was refused (401): the app's credentials may have been revoked"
    if status == 403:
        return (
            "the app may not read Transaction Search (403): enable 'Transaction search' for the "
            "REST app in the PayPal developer dashboard"
        )
    message = getattr(error, "message", None) or error.reason
    issues = "; ".join(
        f"{detail.field}: {detail.issue}" if getattr(detail, "field", None) else str(detail.issue)
        for detail in getattr(error, "details", None) or []
    )
    label = f"{status} {name}" if name else str(status)
    return f"API call failed ({label}): {message}" + (f" ({issues})" if issues else "")


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(text: str, resource: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError:
        raise SourceError(
            SOURCE, "the API answered with a body that is not JSON", resource
        ) from None
    if not isinstance(payload, dict):
        raise SourceError(SOURCE, "the API answered with JSON that is not an object", resource)
    return payload


def search_options(start: datetime, end: datetime, page: int) -> dict[str, Any]:
    """Transaction Search's parameters for one page of the transactions initiated in
    [start, end) (whole seconds)."""
    return {
        "start_date": rfc3339(start),
        # PayPal's end_date is inclusive and to the second.
        "end_date": rfc3339(end - timedelta(seconds=1)),
        "fields": FIELDS,
        "page_size": PAGE_SIZE,
        "page": page,
    }


def search_page(
    client: PaypalServersdkClient, start: datetime, end: datetime, page: int, resource: str
) -> dict[str, Any]:
    """One page of the transactions initiated in [start, end) (whole seconds)."""
    options = search_options(start, end, page)
    return _reporting_get(client, "/v1/reporting/transactions", options, resource)


def chunks(start: datetime, end: datetime, size: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive ranges of at most `size`."""
    low = start
    while low < end:
        high = min(low + size, end)
        yield low, high
        low = high


def transaction_pages(
    client: PaypalServersdkClient, start: datetime, end: datetime, resource: str
) -> Iterator[list[dict[str, Any]]]:
    """Every page of transactions initiated in [start, end), oldest range first.

    The window is cut into searches of at most 31 days (PayPal's limit); a search PayPal
    refuses as too large is halved until each half fits, so nothing is ever truncated.
    """
    pending = list(reversed(list(chunks(start, end, MAX_RANGE))))
    while pending:
        low, high = pending.pop()
        try:
            first = search_page(client, low, high, 1, resource)
        except ResultSetTooLarge as too_large:
            if high - low <= SMALLEST_RANGE:
                raise SourceError(
                    SOURCE,
                    f"{too_large} within one second at {rfc3339(low)}: cannot split further",
                    resource,
                ) from None
            middle = low + timedelta(seconds=(high - low) // timedelta(seconds=2))
            log.info(
                "paypal.%s: %s..%s matches %s; searching each half",
                resource,
                rfc3339(low),
                rfc3339(high),
                too_large,
            )
            pending += [(middle, high), (low, middle)]
            continue
        yield first.get("transaction_details") or []
        total_pages = int(first.get("total_pages") or 0)
        for number in range(2, total_pages + 1):
            page = search_page(client, low, high, number, resource)
            yield page.get("transaction_details") or []


def dispute_pages(
    client: PaypalServersdkClient, start: datetime, end: datetime, resource: str
) -> Iterator[list[dict[str, Any]]]:
    """The disputes updated in [start, end), a page of summaries at a time, newest first; each
    page's `next` link carries the next page's token."""
    params: dict[str, Any] = {
        "update_time_after": rfc3339(start),
        "update_time_before": rfc3339(end),
        "page_size": DISPUTES_PAGE_SIZE,
    }
    while True:
        page = _reporting_get(client, DISPUTES_PATH, params, resource)
        yield [item for item in page.get("items") or [] if isinstance(item, dict)]
        token = _next_page_token(page)
        if token is None:
            return
        params = {**params, "next_page_token": token}


def dispute_details(
    client: PaypalServersdkClient, dispute_id: str, resource: str
) -> dict[str, Any]:
    """One dispute in full: the summary's fields, its disputed transactions and outcome."""
    return _reporting_get(client, f"{DISPUTES_PATH}/{dispute_id}", {}, resource)


def _next_page_token(page: dict[str, Any]) -> str | None:
    for link in page.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next":
            query = parse_qs(urlsplit(str(link.get("href", ""))).query)
            tokens = query.get("next_page_token")
            return tokens[0] if tokens else None
    return None


def balances_as_of(client: PaypalServersdkClient, as_of: datetime, resource: str) -> dict[str, Any]:
    """Every currency's balance at `as_of`."""
    return _reporting_get(
        client, "/v1/reporting/balances", {"as_of_time": rfc3339(as_of)}, resource
    )


def _reporting_get(
    client: PaypalServersdkClient, path: str, params: dict[str, Any], resource: str
) -> dict[str, Any]:
    """GET a Transaction Search endpoint as the SDK's controller does (its server, OAuth token,
    HTTP client and error classes), keeping the body as text.

    `search_transactions` decodes every page with jsonpickle into response objects that we
    never read; that cost twice the request. The body is parsed once, here.
    """
    from apimatic_core.authentication.multiple.single_auth import Single
    from apimatic_core.request_builder import RequestBuilder
    from apimatic_core.response_handler import ResponseHandler
    from apimatic_core.types.parameter import Parameter
    from paypalserversdk.configuration import Server
    from paypalserversdk.exceptions.search_error_exception import SearchErrorException
    from paypalserversdk.http.http_method_enum import HttpMethodEnum

    def call() -> Any:
        request = RequestBuilder().server(Server.DEFAULT).path(path)
        request = request.http_method(HttpMethodEnum.GET)
        for key, value in params.items():
            request = request.query_param(Parameter().key(key).value(value))
        request = request.header_param(Parameter().key("accept").value("application/json"))
        handler = ResponseHandler().is_api_response(True)
        handler = handler.local_error("default", "The error response.", SearchErrorException)
        builder = client.transaction_search.new_api_call_builder
        return builder.request(request.auth(Single("Oauth2"))).response(handler).execute()

    response = call_with_retries(call, resource)
    return _json(response.text, resource)


@functools.cache
def expected_transaction_fields() -> dict[str, Any]:
    """The fields a Transaction Search `transaction_detail` may carry without being drift: the
    SDK's `TransactionDetails` and, one level in, each of its parts (`transaction_info`, ...),
    plus the `id` the source adds."""
    from paypalserversdk.models.auction_information import AuctionInformation
    from paypalserversdk.models.cart_information import CartInformation
    from paypalserversdk.models.incentive_information import IncentiveInformation
    from paypalserversdk.models.payer_information import PayerInformation
    from paypalserversdk.models.shipping_information import ShippingInformation
    from paypalserversdk.models.store_information import StoreInformation
    from paypalserversdk.models.transaction_details import TransactionDetails
    from paypalserversdk.models.transaction_information import TransactionInformation

    parts: dict[str, Any] = {
        "transaction_info": TransactionInformation,
        "payer_info": PayerInformation,
        "shipping_info": ShippingInformation,
        "cart_info": CartInformation,
        "store_info": StoreInformation,
        "auction_info": AuctionInformation,
        "incentive_info": IncentiveInformation,
    }
    tree: dict[str, Any] = {"id": None, RECORD_JSON: None}
    for key in TransactionDetails._names.values():
        part = parts.get(key)
        tree[key] = dict.fromkeys(part._names.values()) if part is not None else None
    return tree
