"""GA4 constants: the API, page sizes, lookback, quota reserve, retries and the default reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sources.errors import SourceError

SOURCE = "google_analytics"
API_ENDPOINT = "https://analyticsdata.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/analytics.readonly",)

MAX_PAGE_ROWS = 250_000  # the API returns at most this many rows per request, whatever `limit` says
# Rows asked for per request. The API's maximum would hold ~250k rows of parsed protobuf at
# once; 100k keeps a page well inside the VM's memory budget for the default reports.
PAGE_SIZE = 100_000
ROWS_PER_TABLE = 10_000  # rows validated and yielded as one Arrow table
LOOKBACK_DAYS = 3  # GA4 keeps processing a day's hits for about two days after it ends
# Stop before the property's hourly or daily tokens fall below this: the same quota serves the
# dashboards (Looker Studio) that read the property, and they should not be starved by a load.
QUOTA_RESERVE_TOKENS = 500
RETRY_ATTEMPTS = 6  # 429 (other than exhausted tokens) and 5xx, as Google's guides advise
RETRY_INITIAL_WAIT_SECONDS = 1.0  # doubling, with jitter
RETRY_MAX_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class ReportSpec:
    """One configured report: a table named `name`, one row per distinct dimension values."""

    name: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]

    @classmethod
    def from_setting(cls, item: Any) -> ReportSpec:
        """One item of setting `sources.google_analytics.reports`: name, dimensions, metrics."""
        if not isinstance(item, Mapping):
            raise SourceError(
                SOURCE,
                f"setting sources.google_analytics.reports: each report must be a table with "
                f"name, dimensions and metrics, got {item!r}",
            )
        name = item.get("name")
        dimensions = item.get("dimensions") or ()
        metrics = item.get("metrics") or ()
        if not isinstance(name, str) or not name.isidentifier():
            raise SourceError(
                SOURCE,
                f"setting sources.google_analytics.reports: report name {name!r} must be a "
                "table name (letters, digits, underscores)",
            )
        for kind, names in (("dimensions", dimensions), ("metrics", metrics)):
            if isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise SourceError(
                    SOURCE,
                    f"setting sources.google_analytics.reports: {kind} of report {name} must be "
                    "a list of GA4 API names",
                    name,
                )
        if "date" not in dimensions:
            raise SourceError(
                SOURCE,
                "setting sources.google_analytics.reports: report must have the `date` "
                "dimension, so each run can re-read days and replace their rows",
                name,
            )
        if not metrics:
            raise SourceError(
                SOURCE, "setting sources.google_analytics.reports: report has no metrics", name
            )
        return cls(name, tuple(dimensions), tuple(metrics))


# `keyEvents` is GA4's name since March 2024 for what was `conversions`.
_TRAFFIC_METRICS = ("sessions", "totalUsers", "engagedSessions", "keyEvents", "totalRevenue")

DEFAULT_REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        "traffic_daily",
        ("date", "sessionSource", "sessionMedium", "sessionCampaignName"),
        _TRAFFIC_METRICS,
    ),
    ReportSpec("landing_pages_daily", ("date", "landingPage"), _TRAFFIC_METRICS),
)


# GA4's documented types of the default reports' names (api-schema), so their tables' columns are
# known without asking the API (the raw tables' external models are generated from them).
DEFAULT_METRIC_TYPES: dict[str, int] = {
    "sessions": 1,  # MetricType.TYPE_INTEGER
    "totalUsers": 1,
    "engagedSessions": 1,
    "keyEvents": 1,
    "totalRevenue": 9,  # MetricType.TYPE_CURRENCY
}
DEFAULT_DIMENSIONS = frozenset(name for spec in DEFAULT_REPORTS for name in spec.dimensions)


def report_specs(setting: Sequence[Any] | None) -> tuple[ReportSpec, ...]:
    """The configured reports, or the defaults; names must be unique."""
    if setting is None:
        return DEFAULT_REPORTS
    if isinstance(setting, str | bytes) or not isinstance(setting, Sequence):
        raise SourceError(
            SOURCE, "setting sources.google_analytics.reports must be a list of reports"
        )
    specs = tuple(ReportSpec.from_setting(item) for item in setting)
    names = [spec.name for spec in specs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SourceError(
            SOURCE, f"setting sources.google_analytics.reports: report names repeat: {repeated}"
        )
    return specs
