"""The GA4 emulator through the real `google-analytics-data` SDK: reports, validation, quota."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Metric,
    MetricType,
    OrderBy,
    RunReportRequest,
    RunReportResponse,
)
from google.api_core import exceptions as api_errors
from google.auth.credentials import AnonymousCredentials

from sandbox.google_analytics.server import AnalyticsEmulator, serve_in_thread
from sandbox.google_analytics.traffic import is_web_purchase
from sandbox.org import DAY, epoch, utc_date

ORG_START = date(2026, 7, 1)
ORG_END = date(2026, 10, 31)
PROPERTY = "properties/123456789"
TRAFFIC = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")


@pytest.fixture(scope="module")
def emulator() -> AnalyticsEmulator:
    return AnalyticsEmulator(seed=7, start=ORG_START, end=ORG_END)


@pytest.fixture(scope="module")
def _server(emulator: AnalyticsEmulator) -> Iterator[str]:
    with serve_in_thread(emulator) as server:
        yield server.base_url


@pytest.fixture
def base_url(_server: str, emulator: AnalyticsEmulator) -> Iterator[str]:
    """The emulator's address; clock, quota, faults and log reset after each test."""
    now = emulator.clock.now
    yield _server
    emulator.clock.now = now
    emulator.quota.hour_used = emulator.quota.day_used = emulator.quota.project_hour_used = 0
    emulator.faults.clear()
    emulator.requests.clear()


@pytest.fixture
def client(base_url: str) -> BetaAnalyticsDataClient:
    return BetaAnalyticsDataClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options={"api_endpoint": base_url},
    )


def report(
    client: BetaAnalyticsDataClient,
    first: date,
    last: date,
    dimensions: tuple[str, ...] = TRAFFIC,
    metrics: tuple[str, ...] = ("sessions", "keyEvents", "totalRevenue"),
    **options: object,
) -> RunReportResponse:
    return client.run_report(
        RunReportRequest(
            property=PROPERTY,
            dimensions=[Dimension(name=name) for name in dimensions],
            metrics=[Metric(name=name) for name in metrics],
            date_ranges=[DateRange(start_date=first.isoformat(), end_date=last.isoformat())],
            **options,
        )
    )


def rows(response: RunReportResponse) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [
        (
            tuple(v.value for v in row.dimension_values),
            tuple(v.value for v in row.metric_values),
        )
        for row in response.rows
    ]


def test_key_events_and_revenue_are_the_orgs_web_purchases_by_utm_campaign(
    client: BetaAnalyticsDataClient, emulator: AnalyticsEmulator
) -> None:
    first, last = date(2026, 9, 1), date(2026, 9, 30)
    response = report(client, first, last, limit=100_000)
    served: Counter[tuple[str, str]] = Counter()
    revenue: defaultdict[str, float] = defaultdict(float)
    for dims, values in rows(response):
        served[(dims[0], dims[3])] += int(values[1])
        revenue[dims[0]] += float(values[2])
    expected: Counter[tuple[str, str]] = Counter()
    expected_revenue: defaultdict[str, float] = defaultdict(float)
    org = emulator.org
    for purchase in org.purchases:
        day = utc_date(purchase.at)
        if not (first <= day <= last and is_web_purchase(purchase)):
            continue
        if purchase.utm_campaign:
            expected[(day.strftime("%Y%m%d"), purchase.utm_campaign)] += 1
        usd = (
            purchase.amount
            / 100
            * (org.fx_usd_per_eur(purchase.at) if purchase.currency == "eur" else 1)
        )
        expected_revenue[day.strftime("%Y%m%d")] += usd
    tagged = {k: count for k, count in served.items() if count and not k[1].startswith("(")}
    assert tagged == dict(expected)
    assert sum(served.values()) == sum(
        1 for p in org.purchases if first <= utc_date(p.at) <= last and is_web_purchase(p)
    )
    for day, amount in expected_revenue.items():
        assert revenue[day] == pytest.approx(amount, abs=0.05)
    campaigns = {c.utm_campaign for c in org.campaigns}
    assert {dims[3] for dims, _ in rows(response)} & campaigns  # ad traffic is there


def test_every_report_of_the_same_days_has_the_same_totals(
    client: BetaAnalyticsDataClient,
) -> None:
    first, last = date(2026, 8, 10), date(2026, 8, 16)
    by_channel = report(client, first, last, dimensions=("date", "sessionSourceMedium"))
    by_page = report(client, first, last, dimensions=("date", "landingPage"))
    totals = report(client, first, last, dimensions=("date",))

    def per_day(response: RunReportResponse) -> dict[str, int]:
        sums: Counter[str] = Counter()
        for dims, values in rows(response):
            sums[dims[0]] += int(values[0])
        return dict(sums)

    assert per_day(by_channel) == per_day(by_page) == per_day(totals)
    assert len(per_day(totals)) == 7


def test_offset_and_limit_page_through_a_stable_order_with_row_count(
    client: BetaAnalyticsDataClient,
) -> None:
    first, last = date(2026, 9, 1), date(2026, 9, 14)
    order = [OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name=n)) for n in TRAFFIC]
    whole = report(client, first, last, order_bys=order, limit=250_000)
    paged: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    counts = set()
    for offset in range(0, whole.row_count, 7):
        page = report(client, first, last, order_bys=order, offset=offset, limit=7)
        assert len(page.rows) <= 7
        counts.add(page.row_count)
        paged += rows(page)
    assert counts == {whole.row_count}
    assert paged == rows(whole)
    assert [dims for dims, _ in paged] == sorted(dims for dims, _ in paged)
    past_the_end = report(client, first, last, order_bys=order, offset=whole.row_count, limit=7)
    assert list(past_the_end.rows) == []
    assert past_the_end.row_count == whole.row_count


def test_metric_headers_carry_ga4_types_and_the_metadata_lists_them(
    client: BetaAnalyticsDataClient,
) -> None:
    response = report(client, date(2026, 9, 1), date(2026, 9, 1))
    types = {h.name: h.type_ for h in response.metric_headers}
    assert types == {
        "sessions": MetricType.TYPE_INTEGER,
        "keyEvents": MetricType.TYPE_INTEGER,
        "totalRevenue": MetricType.TYPE_CURRENCY,
    }
    metadata = client.get_metadata(name=f"{PROPERTY}/metadata")
    listed = {m.api_name: m.type_ for m in metadata.metrics}
    assert {name: listed[name] for name in types} == types
    assert "sessionCampaignName" in {d.api_name for d in metadata.dimensions}
    assert response.metadata.currency_code == "USD"


def test_unknown_metric_or_dimension_is_invalid_argument_in_ga4_words(
    client: BetaAnalyticsDataClient,
) -> None:
    day = date(2026, 9, 1)
    with pytest.raises(api_errors.BadRequest) as metric_error:
        report(client, day, day, metrics=("sessions", "conversions"))
    body = metric_error.value.response.json()["error"]
    assert body["status"] == "INVALID_ARGUMENT"
    assert body["code"] == 400
    assert body["message"].startswith("Field conversions is not a valid metric.")
    with pytest.raises(api_errors.BadRequest, match="Field pageTitle is not a valid dimension"):
        report(client, day, day, dimensions=("date", "pageTitle"))
    with pytest.raises(api_errors.BadRequest, match="limit must be positive"):
        report(client, day, day, limit=-1)


def test_another_property_is_permission_denied(client: BetaAnalyticsDataClient) -> None:
    with pytest.raises(api_errors.Forbidden, match="sufficient permissions for this property"):
        client.run_report(
            RunReportRequest(
                property="properties/42",
                metrics=[Metric(name="sessions")],
                date_ranges=[DateRange(start_date="2026-09-01", end_date="2026-09-01")],
            )
        )


def test_recent_days_are_restated_until_they_settle_two_days_later(
    client: BetaAnalyticsDataClient, emulator: AnalyticsEmulator
) -> None:
    day = date(2026, 9, 10)

    def sessions_at(now: int) -> int:
        emulator.clock.now = now
        response = report(client, day, day, dimensions=("date",), metrics=("sessions",))
        return int(response.rows[0].metric_values[0].value) if response.rows else 0

    end_of_day = epoch(day) + DAY - 1
    seen = [sessions_at(end_of_day + offset * DAY) for offset in range(5)]
    assert sessions_at(epoch(day) - 1) == 0
    assert seen[0] < seen[1] < seen[2] < seen[3] == seen[4]


def test_property_quota_is_returned_spent_and_exhausted(
    client: BetaAnalyticsDataClient, base_url: str
) -> None:
    day = date(2026, 9, 1)
    first = report(client, day, day, return_property_quota=True).property_quota
    second = report(client, day, day, return_property_quota=True).property_quota
    assert first.tokens_per_hour.consumed > 0
    assert second.tokens_per_hour.remaining == (
        first.tokens_per_hour.remaining - second.tokens_per_hour.consumed
    )
    assert second.tokens_per_day.remaining < first.tokens_per_day.remaining
    assert first.concurrent_requests.remaining == 10

    control = urllib.request.Request(
        f"{base_url}/_sandbox/quota",
        data=json.dumps({"tokens_per_hour_remaining": 0}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(control) as answer:
        assert json.load(answer)["tokens_per_hour_remaining"] == 0
    with pytest.raises(api_errors.TooManyRequests, match="Exhausted property tokens per hour"):
        report(client, day, day)


def test_injected_faults_answer_as_google_errors(
    client: BetaAnalyticsDataClient, emulator: AnalyticsEmulator
) -> None:
    emulator.faults.add({"path": "/v1beta/", "status": 503, "count": 1})
    emulator.faults.add({"path": "/v1beta/", "status": 429, "count": 1})
    day = date(2026, 9, 1)
    with pytest.raises(api_errors.ServiceUnavailable):
        report(client, day, day)
    with pytest.raises(api_errors.TooManyRequests, match="concurrent requests"):
        report(client, day, day)
    assert report(client, day, day).rows
    statuses = [entry["status"] for entry in emulator.requests.entries()]
    assert statuses == [503, 429, 200]


def test_days_outside_the_organisation_have_no_rows(client: BetaAnalyticsDataClient) -> None:
    response = report(client, ORG_START - timedelta(days=10), ORG_START - timedelta(days=1))
    assert response.row_count == 0
    assert not response.rows
    assert [h.name for h in response.metric_headers] == ["sessions", "keyEvents", "totalRevenue"]
