"""The one place the GA4 Data API client is built, and the paged, retried, quota-aware reads.

The client speaks REST (`transport="rest"`) in production and against the sandbox alike, so
the emulator serves exactly the calls production makes. Credentials: the machine's service
account through `google.auth.default()`; anonymous only for a plain-`http://` endpoint, which
can only be a local emulator (Google's APIs are HTTPS only, and real credentials must never
travel in clear text).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from sources.errors import SourceError, transient_status
from sources.google_analytics.models import column_name
from sources.google_analytics.settings import (
    MAX_PAGE_ROWS,
    RETRY_ATTEMPTS,
    RETRY_INITIAL_WAIT_SECONDS,
    RETRY_MAX_WAIT_SECONDS,
    SCOPES,
    SOURCE,
    ReportSpec,
)

if TYPE_CHECKING:  # the SDK is imported where a client is built or called, never at load
    from google.analytics.data_v1beta import BetaAnalyticsDataClient
    from google.analytics.data_v1beta.types import MetricType, PropertyQuota, RunReportResponse
    from google.api_core import exceptions as api_errors

log = logging.getLogger(__name__)

T = TypeVar("T")

PROPERTY_SETTING = (
    "sources.google_analytics.property_id (env SOURCES__GOOGLE_ANALYTICS__PROPERTY_ID)"
)


def build_client(base_url: str) -> BetaAnalyticsDataClient:
    """A REST client for `base_url`: GA4 with the machine's credentials, or the sandbox."""
    import google.auth
    from google.analytics.data_v1beta import BetaAnalyticsDataClient
    from google.auth.credentials import AnonymousCredentials, Credentials
    from google.auth.exceptions import DefaultCredentialsError

    credentials: Credentials
    if base_url.startswith("http://"):
        credentials = AnonymousCredentials()
    else:
        try:
            credentials, _ = google.auth.default(scopes=list(SCOPES))
        except DefaultCredentialsError:
            raise SourceError(
                SOURCE,
                "no Google credentials found: run on a VM whose service account has Viewer "
                "on the property, or set GOOGLE_APPLICATION_CREDENTIALS",
            ) from None
    return BetaAnalyticsDataClient(
        credentials=credentials, transport="rest", client_options={"api_endpoint": base_url}
    )


def api_message(error: api_errors.GoogleAPICallError) -> str:
    """The API's own message, without the method and URL the REST transport puts before it."""
    response = getattr(error, "response", None)
    try:
        message = response.json()["error"]["message"] if response is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        message = None
    return " ".join(str(message or error.message).split())


def _out_of_tokens(error: BaseException) -> bool:
    from google.api_core import exceptions as api_errors

    # GA4 says "Exhausted property tokens ..." when an hourly or daily token bucket is empty:
    # waiting seconds will not refill it. Other RESOURCE_EXHAUSTED (concurrent requests) pass.
    return isinstance(error, api_errors.TooManyRequests) and "tokens" in api_message(error).lower()


def _transient(error: BaseException) -> bool:
    from google.api_core import exceptions as api_errors

    if isinstance(error, api_errors.TooManyRequests):
        return not _out_of_tokens(error)
    return isinstance(
        error,
        api_errors.ServiceUnavailable
        | api_errors.InternalServerError
        | api_errors.GatewayTimeout
        | api_errors.DeadlineExceeded
        | requests.ConnectionError
        | requests.Timeout,
    )


def _log_retry(state: RetryCallState) -> None:
    from google.api_core import exceptions as api_errors

    error = state.outcome.exception() if state.outcome else None
    what = api_message(error) if isinstance(error, api_errors.GoogleAPICallError) else error
    log.warning(
        "google_analytics: %s; retry %d of %d in %.1fs",
        what,
        state.attempt_number,
        RETRY_ATTEMPTS - 1,
        state.next_action.sleep if state.next_action else 0.0,
    )


@dataclass
class ReportReader:
    """Reads a property's reports page by page, within its quota."""

    client: BetaAnalyticsDataClient
    property_id: str
    page_size: int
    quota_reserve_tokens: int
    quota: PropertyQuota | None = None
    _metadata: tuple[dict[str, MetricType], set[str]] | None = None

    @property
    def property_name(self) -> str:
        return f"properties/{self.property_id}"

    def call(self, do: Callable[[], T], resource: str | None) -> T:
        """One API call, transient errors retried with backoff; refusals become one line."""
        from google.api_core import exceptions as api_errors

        retrying = Retrying(
            retry=retry_if_exception(_transient),
            wait=wait_exponential_jitter(
                multiplier=RETRY_INITIAL_WAIT_SECONDS,
                jitter=RETRY_INITIAL_WAIT_SECONDS,
                max=RETRY_MAX_WAIT_SECONDS,
            ),
            stop=stop_after_attempt(RETRY_ATTEMPTS),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            return retrying(do)
        except (api_errors.Forbidden, api_errors.Unauthorized) as error:
            raise SourceError(
                SOURCE,
                f"property {self.property_id} refused access ({error.code}): check setting "
                f"{PROPERTY_SETTING} and that the service account has Viewer on it "
                f"({api_message(error)})",
                resource,
            ) from None
        except api_errors.NotFound as error:
            raise SourceError(
                SOURCE,
                f"property {self.property_id} not found ({error.code}): check setting "
                f"{PROPERTY_SETTING}",
                resource,
            ) from None
        except api_errors.TooManyRequests as error:
            raise SourceError(
                SOURCE,
                f"property {self.property_id} is out of Data API quota, stopping: "
                f"{api_message(error)}",
                resource,
                retryable=True,
            ) from None
        except api_errors.BadRequest as error:
            raise SourceError(
                SOURCE, f"the API refused the report ({error.code}): {api_message(error)}", resource
            ) from None
        except api_errors.GoogleAPICallError as error:
            raise SourceError(
                SOURCE,
                f"API call failed ({error.code}): {api_message(error)}",
                resource,
                retryable=transient_status(error.code),
            ) from None

    def metadata(self) -> tuple[dict[str, MetricType], set[str]]:
        """Metric types by API name (deprecated names too) and the dimension names."""
        if self._metadata is None:
            found = self.call(
                lambda: self.client.get_metadata(name=f"{self.property_name}/metadata"), None
            )
            metric_types: dict[str, MetricType] = {}
            for metric in found.metrics:
                for name in (metric.api_name, *metric.deprecated_api_names):
                    metric_types[name] = metric.type_
            dimensions = {
                name
                for dimension in found.dimensions
                for name in (dimension.api_name, *dimension.deprecated_api_names)
            }
            self._metadata = (metric_types, dimensions)
        return self._metadata

    def _check_quota(self, resource: str) -> None:
        """Stop before the property's tokens fall below the reserve left for its dashboards."""
        if self.quota is None:
            return
        for label, status in (
            ("hourly", self.quota.tokens_per_hour),
            ("daily", self.quota.tokens_per_day),
            ("per-project hourly", self.quota.tokens_per_project_per_hour),
        ):
            if "remaining" in status and status.remaining < self.quota_reserve_tokens:
                raise SourceError(
                    SOURCE,
                    f"property {self.property_id} has {status.remaining} {label} Data API "
                    f"tokens left, below the reserve of {self.quota_reserve_tokens} (setting "
                    "sources.google_analytics.quota_reserve_tokens); stopping, rerun when the "
                    "quota refills",
                    resource,
                )

    def pages(self, spec: ReportSpec, first: date, last: date) -> Iterator[RunReportResponse]:
        """Every page of `spec` for days `first`..`last`, in a stable order (all dimensions)."""
        from google.analytics.data_v1beta.types import (
            DateRange,
            Dimension,
            Metric,
            OrderBy,
            RunReportRequest,
        )

        offset = 0
        while True:
            self._check_quota(spec.name)
            request = RunReportRequest(
                property=self.property_name,
                dimensions=[Dimension(name=name) for name in spec.dimensions],
                metrics=[Metric(name=name) for name in spec.metrics],
                date_ranges=[DateRange(start_date=first.isoformat(), end_date=last.isoformat())],
                # Offset paging is only stable over a fixed order: every dimension, ascending.
                order_bys=[
                    OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name=name))
                    for name in spec.dimensions
                ],
                offset=offset,
                limit=min(self.page_size, MAX_PAGE_ROWS),
                return_property_quota=True,
            )
            response = self.call(functools.partial(self.client.run_report, request), spec.name)
            if "property_quota" in response:
                self.quota = response.property_quota
            yield response
            offset += len(response.rows)
            if not response.rows or offset >= response.row_count:
                return


def row_records(
    spec: ReportSpec, response: RunReportResponse, start: int, stop: int
) -> list[dict[str, Any]]:
    """Rows `start:stop` of a response as records keyed by column name, with a row `id`."""
    from google.analytics.data_v1beta.types import RunReportResponse

    dimensions = [column_name(h.name) for h in response.dimension_headers]
    metrics = [column_name(h.name) for h in response.metric_headers]
    records = []
    # The raw protobuf: proto-plus wraps every value it hands out, which costs ~10x per row.
    for row in RunReportResponse.pb(response).rows[start:stop]:
        values = [v.value for v in row.dimension_values]
        record: dict[str, Any] = dict(zip(dimensions, values, strict=True))
        record.update(zip(metrics, (v.value for v in row.metric_values), strict=True))
        record["id"] = "|".join(values)  # names the row in rejected_records
        records.append(record)
    return records
