"""The one place a Stripe client is built, and the paged, retried list calls made with it."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from sources.drift import model_inputs
from sources.errors import SourceError, transient_status
from sources.stripe.settings import (
    MAX_NETWORK_RETRIES,
    MAX_RETRY_AFTER_SECONDS,
    PAGE_SIZE,
    RATE_LIMIT_RETRIES,
    StripeResource,
)

if TYPE_CHECKING:  # the SDK is imported where a client is built or called, never at load
    import stripe

log = logging.getLogger(__name__)

T = TypeVar("T")

_backoff = wait_exponential(multiplier=0.5, max=MAX_RETRY_AFTER_SECONDS)


def build_client(api_key: str, base_url: str) -> stripe.StripeClient:
    """A `StripeClient` for `base_url` (Stripe, or the sandbox); the SDK retries 5xx itself."""
    import stripe

    return stripe.StripeClient(
        api_key,
        base_addresses={"api": base_url},
        max_network_retries=MAX_NETWORK_RETRIES,
    )


@functools.cache
def expected_fields(spec: StripeResource) -> dict[str, None]:
    """The fields a `spec` object may carry without being drift: what its model reads, and
    every field the SDK's class for it documents (`stripe.Charge`'s annotations)."""
    import stripe

    documented: set[str] = set()
    sdk_class = functools.reduce(getattr, spec.sdk_class.split("."), stripe)  # radar.EarlyFraud..
    for cls in sdk_class.__mro__:
        documented.update(getattr(cls, "__annotations__", {}))
    return dict.fromkeys(sorted(documented | model_inputs(spec.model)))


def _wait_for_retry_after(state: RetryCallState) -> float:
    """Sleep what the 429's `Retry-After` asks for; fall back to exponential backoff."""
    error = state.outcome.exception() if state.outcome else None
    headers = getattr(error, "headers", None) or {}
    retry_after = str(headers.get("retry-after") or headers.get("Retry-After") or "")
    try:
        return min(float(retry_after), MAX_RETRY_AFTER_SECONDS)
    except (TypeError, ValueError):
        return _backoff(state)


def _log_rate_limited(state: RetryCallState) -> None:
    log.warning(
        "stripe: rate limited (429), retry %d of %d in %.1fs",
        state.attempt_number,
        RATE_LIMIT_RETRIES,
        state.next_action.sleep if state.next_action else 0.0,
    )


def call_with_retries(call: Callable[[], T], resource: str) -> T:
    """Run one API call, retrying 429s; turn Stripe's refusals into one-line `SourceError`s."""
    import stripe

    retrying = Retrying(
        retry=retry_if_exception_type(stripe.RateLimitError),
        wait=_wait_for_retry_after,
        stop=stop_after_attempt(RATE_LIMIT_RETRIES),
        before_sleep=_log_rate_limited,
        reraise=True,
    )
    try:
        return retrying(call)
    except stripe.AuthenticationError as error:
        raise SourceError(
            "stripe",
            f"the API key was refused ({error.http_status}): check setting "
            "sources.stripe.api_key (env SOURCES__STRIPE__API_KEY)",
            resource,
        ) from None
    except stripe.PermissionError as error:
        raise SourceError(
            "stripe", f"the API key may not read {resource} ({error.http_status})", resource
        ) from None
    except stripe.StripeError as error:
        status = f" ({error.http_status})" if error.http_status else ""
        raise SourceError(
            "stripe",
            f"API call failed{status}: {error.user_message or error}",
            resource,
            retryable=transient_status(error.http_status),
        ) from None


def sdk_service(client: stripe.StripeClient, service: str) -> Any:
    """The SDK's own service for `service` (`client.v1.radar.early_fraud_warnings`), for reading
    objects the SDK's way (tests and benchmarks hold the source to it)."""
    return functools.reduce(getattr, service.split("."), client.v1)


def list_pages(
    client: stripe.StripeClient, service: str, params: Mapping[str, Any], resource: str
) -> Iterator[list[dict[str, Any]]]:
    """Every page of a list call, newest first, each as plain dicts; asks for `PAGE_SIZE` rows.

    The SDK still makes each request (auth, API version, its retries, its errors), but its raw
    response is kept: building a `StripeObject` for every nested field and turning it back into
    a dict cost five times the HTTP and JSON of the page. Paging is Stripe's `starting_after`,
    as the SDK's own `next_page` does it.
    """
    path = f"/v1/{service.replace('.', '/')}"  # radar.early_fraud_warnings: a namespace
    query = {**params, "limit": PAGE_SIZE}
    while True:
        page = _get(client, path, query, resource)
        items: list[dict[str, Any]] = page.get("data") or []
        yield items
        if not page.get("has_more") or not items:
            return
        query = {**query, "starting_after": items[-1]["id"]}


def _get(
    client: stripe.StripeClient, path: str, query: Mapping[str, Any], resource: str
) -> dict[str, Any]:
    response = call_with_retries(lambda: client.raw_request("get", path, **query), resource)
    data = response.data
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise SourceError(
            "stripe",
            f"GET {path} answered without a list of objects: {response.body[:80]!r}",
            resource,
        )
    return data
