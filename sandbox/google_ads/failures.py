"""Errors as the Google Ads API sends them: a gRPC status plus a `GoogleAdsFailure` trailer.

The SDK's exception interceptor looks for the serialized failure under the
`google.ads.googleads.v26.errors.googleadsfailure-bin` trailing metadata key and raises
`GoogleAdsException` with it (except for INTERNAL and RESOURCE_EXHAUSTED, which it leaves as
plain `grpc.RpcError`s with the same trailer, as against the real API).
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure

API_VERSION = "v26"
FAILURE_KEY = f"google.ads.googleads.{API_VERSION}.errors.googleadsfailure-bin"
REQUEST_ID_KEY = "request-id"

_FailurePb = GoogleAdsFailure.pb()


@dataclass
class AdsApiError(Exception):
    """One API error: `kind` is the `ErrorCode` oneof (`query_error`), `code` its enum name."""

    status: grpc.StatusCode
    kind: str
    code: str
    message: str
    retry_delay_seconds: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}.{self.code}: {self.message}"

    def failure(self, request_id: str) -> bytes:
        failure = _FailurePb()
        failure.request_id = request_id
        error = failure.errors.add()
        enum = error.error_code.DESCRIPTOR.fields_by_name[self.kind].enum_type
        setattr(error.error_code, self.kind, enum.values_by_name[self.code].number)
        error.message = self.message
        if self.retry_delay_seconds is not None:
            error.details.quota_error_details.rate_scope = 2  # ACCOUNT
            error.details.quota_error_details.rate_name = "Requests per account"
            error.details.quota_error_details.retry_delay.seconds = self.retry_delay_seconds
        return failure.SerializeToString()

    def trailers(self, request_id: str) -> tuple[tuple[str, str | bytes], ...]:
        return ((FAILURE_KEY, self.failure(request_id)), (REQUEST_ID_KEY, request_id))


def query_error(code: str, message: str) -> AdsApiError:
    return AdsApiError(grpc.StatusCode.INVALID_ARGUMENT, "query_error", code, message)


def developer_token_invalid() -> AdsApiError:
    return AdsApiError(
        grpc.StatusCode.UNAUTHENTICATED,
        "authentication_error",
        "DEVELOPER_TOKEN_INVALID",
        "The developer token is not valid.",
    )


def oauth_token_invalid() -> AdsApiError:
    return AdsApiError(
        grpc.StatusCode.UNAUTHENTICATED,
        "authentication_error",
        "OAUTH_TOKEN_INVALID",
        "Oauth token in the header is not valid.",
    )


def user_permission_denied(customer_id: str) -> AdsApiError:
    return AdsApiError(
        grpc.StatusCode.PERMISSION_DENIED,
        "authorization_error",
        "USER_PERMISSION_DENIED",
        "User doesn't have permission to access customer. Note: If you're accessing a client "
        "customer, the manager's customer id must be set in the 'login-customer-id' header. "
        "See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid",
    )


def invalid_customer_id(customer_id: str) -> AdsApiError:
    return AdsApiError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_error",
        "INVALID_CUSTOMER_ID",
        "Invalid customer ID.",
    )


def quota_exhausted(retry_delay_seconds: int | None) -> AdsApiError:
    """Rate limited; with a delay, the failure's `quota_error_details.retry_delay` says it."""
    wait = f" Retry in {retry_delay_seconds} seconds." if retry_delay_seconds is not None else ""
    return AdsApiError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "quota_error",
        "RESOURCE_EXHAUSTED",
        f"Too many requests.{wait}",
        retry_delay_seconds=retry_delay_seconds,
    )


def internal_error(status: int) -> AdsApiError:
    """An injected server failure: 503 is UNAVAILABLE, anything else INTERNAL."""
    if status == 503:
        return AdsApiError(
            grpc.StatusCode.UNAVAILABLE,
            "internal_error",
            "TRANSIENT_ERROR",
            "The service is currently unavailable. Retry the request.",
        )
    return AdsApiError(
        grpc.StatusCode.INTERNAL,
        "internal_error",
        "INTERNAL_ERROR",
        "An internal error has occurred.",
    )
