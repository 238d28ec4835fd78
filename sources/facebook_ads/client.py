"""The one place the Facebook Ads API client is built, and the retried, paged calls made with it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from sources.errors import SourceError, transient_status
from sources.facebook_ads.settings import (
    API_VERSION,
    PERMISSION_CODES,
    RATE_LIMIT_CODES,
    REQUEST_TIMEOUT_SECONDS,
    RETRY_ATTEMPTS,
    RETRY_MAX_WAIT_SECONDS,
    TOKEN_CODES,
    TRANSIENT_CODES,
)

if TYPE_CHECKING:  # the SDK is imported where a client is built or called, never at load
    from facebook_business.adobjects.adaccount import AdAccount
    from facebook_business.api import Cursor, FacebookAdsApi
    from facebook_business.exceptions import FacebookRequestError

SOURCE = "facebook_ads"
TOKEN_SETTING = "sources.facebook_ads.access_token (env SOURCES__FACEBOOK_ADS__ACCESS_TOKEN)"

log = logging.getLogger(__name__)

T = TypeVar("T")

_backoff = wait_exponential(multiplier=0.5, max=RETRY_MAX_WAIT_SECONDS)


def build_api(
    access_token: str, base_url: str, app_id: str | None = None, app_secret: str | None = None
) -> FacebookAdsApi:
    """A `FacebookAdsApi` for `base_url` (Graph, or the sandbox).

    `crash_log=False`: the SDK's default replaces `sys.excepthook` and posts crash reports to
    Facebook. The address is set on this client's own session, not on the `FacebookSession`
    class, so nothing else in the process (another client, a test) is re-aimed. Every object
    we make is handed this client explicitly; `init` also makes it the SDK's default.
    """
    from facebook_business.api import FacebookAdsApi

    api = FacebookAdsApi.init(
        app_id or None,
        app_secret or None,
        access_token,
        api_version=API_VERSION,
        timeout=REQUEST_TIMEOUT_SECONDS,
        crash_log=False,
    )
    api._session.GRAPH = base_url.rstrip("/")  # the session's only address setting
    return api


def ad_account(api: FacebookAdsApi, account_id: str) -> AdAccount:
    from facebook_business.adobjects.adaccount import AdAccount

    return AdAccount(account_node(account_id), api=api)


def account_node(account_id: str) -> str:
    """`act_<digits>` whether or not the setting carried the prefix."""
    digits = str(account_id).strip().removeprefix("act_")
    return f"act_{digits}"


def _should_retry(error: BaseException) -> bool:
    from facebook_business.exceptions import FacebookRequestError

    if isinstance(error, FacebookRequestError):
        code = error.api_error_code()
        return (
            code in RATE_LIMIT_CODES
            or code in TRANSIENT_CODES
            or bool(error.api_transient_error())
            or (error.http_status() or 0) >= 500
        )
    return isinstance(error, requests.ConnectionError | requests.Timeout)


def _regain_access_seconds(error: FacebookRequestError) -> float:
    """Graph's own estimate of when a throttled account may call again, in seconds."""
    headers = error.http_headers() or {}
    minutes = 0.0
    for name in ("x-business-use-case-usage", "x-ad-account-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        entries = [e for value in usage.values() for e in value] if isinstance(usage, dict) else []
        for entry in entries:
            if isinstance(entry, dict):
                minutes = max(minutes, float(entry.get("estimated_time_to_regain_access") or 0))
    return minutes * 60


def _wait(state: RetryCallState) -> float:
    from facebook_business.exceptions import FacebookRequestError

    error = state.outcome.exception() if state.outcome else None
    wait = _backoff(state)
    if isinstance(error, FacebookRequestError):
        wait = max(wait, _regain_access_seconds(error))
    return min(wait, RETRY_MAX_WAIT_SECONDS)


def _describe(error: BaseException | None) -> str:
    from facebook_business.exceptions import FacebookRequestError

    if isinstance(error, FacebookRequestError):
        return f"code {error.api_error_code()}: {error.api_error_message()}"
    return type(error).__name__


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "facebook_ads: %s; retry %d of %d in %.1fs",
        _describe(error),
        state.attempt_number,
        RETRY_ATTEMPTS - 1,
        state.next_action.sleep if state.next_action else 0.0,
    )


def call_with_retries(call: Callable[[], T], resource: str, account: str) -> T:
    """Run one Graph call, backing off on rate limits and transient errors (tenacity); turn
    every other refusal into a one-line `SourceError` that never shows the token."""
    from facebook_business.exceptions import FacebookRequestError

    retrying = Retrying(
        retry=retry_if_exception(_should_retry),
        wait=_wait,
        stop=stop_after_attempt(RETRY_ATTEMPTS),
        before_sleep=_log_retry,
        reraise=True,
    )
    try:
        return retrying(call)
    except FacebookRequestError as error:
        raise graph_error(error, resource, account) from None
    except (requests.ConnectionError, requests.Timeout) as error:
        # Their text holds the request URL, and with it the access token: name the kind only.
        raise SourceError(
            SOURCE,
            f"could not reach the Graph API ({type(error).__name__})",
            resource,
            retryable=True,
        ) from None


def graph_error(error: FacebookRequestError, resource: str, account: str) -> SourceError:
    code, status = error.api_error_code(), error.http_status()
    message = " ".join(str(error.api_error_message() or "no message").split())
    kind = error.api_error_type() or "error"
    if code in TOKEN_CODES:
        return SourceError(
            SOURCE,
            f"the access token was refused ({kind} {code}): check setting {TOKEN_SETTING}",
            resource,
        )
    if code == 100 and error.api_error_subcode() == 33:
        return SourceError(
            SOURCE,
            f"ad account {account} does not exist or the token may not read it (code 100): "
            "check setting sources.facebook_ads.account_ids",
            resource,
        )
    if code in PERMISSION_CODES:
        return SourceError(
            SOURCE, f"the token may not read {account} (code {code}): {message}", resource
        )
    if code in RATE_LIMIT_CODES:
        return SourceError(
            SOURCE,
            f"{account}: still rate limited after {RETRY_ATTEMPTS} tries (code {code}): {message}",
            resource,
            retryable=True,
        )
    return SourceError(
        SOURCE,
        f"{account}: Graph API call failed ({status}, code {code}): {message}",
        resource,
        retryable=transient_status(status) or bool(error.api_transient_error()),
    )


def cursor_pages(
    first_page: Callable[[], Cursor], resource: str, account: str
) -> Iterator[list[dict[str, Any]]]:
    """Every page of an edge as plain dicts, each page fetched with retries.

    The SDK's Cursor fetches the next page inside iteration, out of reach of a retry; here each
    page is one retried `load_next_page()`, which only advances its `after` cursor on success.
    """
    cursor = call_with_retries(first_page, resource, account)
    while True:
        page = [cursor[index].export_all_data() for index in range(len(cursor))]
        if page:
            yield page
        if not call_with_retries(cursor.load_next_page, resource, account):
            return
