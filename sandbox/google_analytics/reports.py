"""RunReport over the demo property's traffic: validation, aggregation, ordering and paging.

Requests are checked the way GA4 checks them (unknown names, limits, dates) and refused with
GA4's messages; rows are the traffic cells of the date range grouped by the requested
dimensions, with each day's numbers as complete as the emulator's clock allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from google.analytics.data_v1beta.types import (
    DimensionHeader,
    DimensionValue,
    MetricHeader,
    MetricType,
    MetricValue,
    ResponseMetaData,
    Row,
    RunReportRequest,
    RunReportResponse,
)

from sandbox.google_analytics.catalog import DIMENSION_NAMES, METRIC_TYPES, SCHEMA_URL
from sandbox.google_analytics.traffic import CHANNEL_GROUPS, TrafficCell, completeness
from sandbox.org import utc_date

DEFAULT_LIMIT = 10_000
MAX_LIMIT = 250_000  # rows per request, whatever `limit` asks for
MAX_DIMENSIONS = 9
MAX_METRICS = 10
MAX_DATE_RANGES = 4
_N_DAYS_AGO = re.compile(r"^(\d+)daysAgo$")


class ReportError(Exception):
    """A refused request: HTTP status, google.rpc status name and GA4's message."""

    def __init__(self, http_status: int, status: str, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status = status
        self.message = message

    def body(self) -> dict[str, object]:
        return {"error": {"code": self.http_status, "message": self.message, "status": self.status}}


def invalid(message: str) -> ReportError:
    return ReportError(400, "INVALID_ARGUMENT", message)


# The additive measures of a cell each base metric sums; rates are derived from sums.
_SUMMED: dict[str, Callable[[TrafficCell], float]] = {
    "sessions": lambda c: c.sessions,
    "totalUsers": lambda c: c.total_users,
    "activeUsers": lambda c: c.total_users,
    "newUsers": lambda c: c.new_users,
    "engagedSessions": lambda c: c.engaged_sessions,
    "screenPageViews": lambda c: c.page_views,
    "keyEvents": lambda c: c.key_events,
    "ecommercePurchases": lambda c: c.key_events,
    "totalRevenue": lambda c: c.revenue_usd,
    "purchaseRevenue": lambda c: c.revenue_usd,
}

_DIMENSION_VALUES: dict[str, Callable[[TrafficCell], str]] = {
    "date": lambda c: c.day.strftime("%Y%m%d"),
    "sessionSource": lambda c: c.source,
    "sessionMedium": lambda c: c.medium,
    "sessionCampaignName": lambda c: c.campaign,
    "sessionSourceMedium": lambda c: f"{c.source} / {c.medium}",
    "sessionDefaultChannelGroup": lambda c: CHANNEL_GROUPS.get(c.medium, "Unassigned"),
    "landingPage": lambda c: c.landing_page,
}


@dataclass(frozen=True)
class ReportRows:
    """The rows of one response page, and how many the whole report has."""

    dimension_names: list[str]
    metric_names: list[str]
    rows: list[tuple[list[str], list[str]]]
    row_count: int


def parse_day(value: str, today: date, field: str) -> date:
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    match = _N_DAYS_AGO.match(value)
    if match:
        return today - timedelta(days=int(match.group(1)))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(
            f"Invalid {field} '{value}'. Dates must be in the format YYYY-MM-DD, "
            "'today', 'yesterday', or 'NdaysAgo'."
        ) from None


def validate(request: RunReportRequest) -> None:
    """Refuse what GA4 refuses, with its messages."""
    names = [d.name for d in request.dimensions]
    metrics = [m.name for m in request.metrics]
    for name in names:
        if name not in DIMENSION_NAMES:
            raise invalid(
                f"Field {name} is not a valid dimension. For a list of valid dimensions and "
                f"metrics, see {SCHEMA_URL} "
            )
    for name in metrics:
        if name not in METRIC_TYPES:
            raise invalid(
                f"Field {name} is not a valid metric. For a list of valid dimensions and "
                f"metrics, see {SCHEMA_URL} "
            )
    if not metrics and not names:
        raise invalid("At least one dimension or metric is required.")
    for kind, listed in (("dimension", names), ("metric", metrics)):
        repeated = sorted({n for n in listed if listed.count(n) > 1})
        if repeated:
            raise invalid(f"Duplicate {kind} names are not allowed: {', '.join(repeated)}.")
    if len(names) > MAX_DIMENSIONS:
        raise invalid(f"Requests are limited to {MAX_DIMENSIONS} dimensions.")
    if len(metrics) > MAX_METRICS:
        raise invalid(f"Requests are limited to {MAX_METRICS} metrics.")
    if not request.date_ranges:
        raise invalid("Must specify at least one date range.")
    if len(request.date_ranges) > 1:
        # GA4 allows up to four (and adds a dateRange dimension); the sandbox serves one.
        raise invalid("The sandbox serves one date range per request.")
    if request.limit < 0:
        raise invalid(f"limit must be positive, but was {request.limit}.")
    if request.offset < 0:
        raise invalid(f"offset must be non-negative, but was {request.offset}.")
    if "dimension_filter" in request or "metric_filter" in request:
        raise invalid("The sandbox does not support dimensionFilter or metricFilter.")
    for order in request.order_bys:
        if "dimension" in order and order.dimension.dimension_name not in names:
            raise invalid(
                f"Field {order.dimension.dimension_name} in orderBys must be a dimension "
                "of the request."
            )
        if "metric" in order and order.metric.metric_name not in metrics:
            raise invalid(
                f"Field {order.metric.metric_name} in orderBys must be a metric of the request."
            )


def run_report(request: RunReportRequest, cells: Sequence[TrafficCell], now: int) -> ReportRows:
    validate(request)
    today = utc_date(now)
    date_range = request.date_ranges[0]
    first = parse_day(date_range.start_date, today, "startDate")
    last = parse_day(date_range.end_date, today, "endDate")
    if first > last:
        raise invalid(
            f"Invalid date range. startDate ({first}) must be on or before endDate ({last})."
        )
    dimensions = [d.name for d in request.dimensions]
    metrics = [m.name for m in request.metrics]
    groups: dict[tuple[str, ...], dict[str, float]] = {}
    for cell in cells:
        if not first <= cell.day <= last:
            continue
        share = completeness(cell.day, now)
        if share <= 0:
            continue
        key = tuple(_DIMENSION_VALUES[name](cell) for name in dimensions)
        sums = groups.setdefault(key, dict.fromkeys(_SUMMED, 0.0))
        for name, measure in _SUMMED.items():
            sums[name] += _settled(measure(cell), share, name)
    rows = []
    for key, sums in groups.items():
        values = [_metric_value(name, sums) for name in metrics]
        if request.keep_empty_rows or any(float(v) != 0 for v in values):
            rows.append((list(key), values, sums))
    _order(rows, request, dimensions)
    limit = min(request.limit or DEFAULT_LIMIT, MAX_LIMIT)
    page = rows[request.offset : request.offset + limit]
    return ReportRows(dimensions, metrics, [(d, v) for d, v, _ in page], len(rows))


def _settled(value: float, share: float, name: str) -> float:
    if METRIC_TYPES[name] == MetricType.TYPE_CURRENCY:
        return round(value * share, 2)
    return round(value * share)


def _metric_value(name: str, sums: dict[str, float]) -> str:
    if name == "engagementRate":
        return _float_text(sums["engagedSessions"] / sums["sessions"] if sums["sessions"] else 0.0)
    if name == "bounceRate":
        engaged = sums["engagedSessions"] / sums["sessions"] if sums["sessions"] else 1.0
        return _float_text(1.0 - engaged)
    if METRIC_TYPES[name] == MetricType.TYPE_INTEGER:
        return str(int(sums[name]))
    return _float_text(round(sums[name], 2))


def _float_text(value: float) -> str:
    # GA4 prints doubles with their full precision, integral ones without a fraction.
    return str(int(value)) if value == int(value) else repr(value)


def _order(
    rows: list[tuple[list[str], list[str], dict[str, float]]],
    request: RunReportRequest,
    dimensions: list[str],
) -> None:
    """Sort in place: the request's order_bys, else by the first metric, largest first."""
    orders = list(request.order_bys)
    if not orders:
        rows.sort(key=lambda row: row[0])
        if request.metrics:
            first = request.metrics[0].name
            rows.sort(key=lambda row: float(_metric_value(first, row[2])), reverse=True)
        return
    metrics = [m.name for m in request.metrics]
    for order in reversed(orders):  # stable sorts, least significant key first
        if "metric" in order:
            rows.sort(key=_metric_key(metrics.index(order.metric.metric_name)), reverse=order.desc)
        else:
            index = dimensions.index(order.dimension.dimension_name)
            rows.sort(key=_dimension_key(index), reverse=order.desc)


_Row = tuple[list[str], list[str], dict[str, float]]


def _metric_key(index: int) -> Callable[[_Row], float]:
    return lambda row: float(row[1][index])


def _dimension_key(index: int) -> Callable[[_Row], str]:
    return lambda row: row[0][index]


def to_response(
    report: ReportRows, currency_code: str = "USD", time_zone: str = "Etc/UTC"
) -> RunReportResponse:
    """The report as the SDK's own response message (property quota added by the caller)."""
    return RunReportResponse(
        dimension_headers=[DimensionHeader(name=name) for name in report.dimension_names],
        metric_headers=[
            MetricHeader(name=name, type_=METRIC_TYPES[name]) for name in report.metric_names
        ],
        rows=[
            Row(
                dimension_values=[DimensionValue(value=v) for v in dims],
                metric_values=[MetricValue(value=v) for v in values],
            )
            for dims, values in report.rows
        ],
        row_count=report.row_count,
        metadata=ResponseMetaData(currency_code=currency_code, time_zone=time_zone),
        kind="analyticsData#runReport",
    )
