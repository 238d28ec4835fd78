"""The GA4 source with the real `google-analytics-data` SDK against the sandbox, into a lake."""

from __future__ import annotations

import json
import math
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import DateRange, Dimension, Metric, RunReportRequest
from google.auth.credentials import AnonymousCredentials

from destinations.load import LoadSummary, load_source
from sandbox.process import run_emulator
from sources.errors import SourceError, one_line
from sources.google_analytics import google_analytics_source
from sources.google_analytics.client import ReportReader, build_client
from sources.google_analytics.models import column_name
from sources.google_analytics.settings import DEFAULT_REPORTS, ReportSpec
from tests.cli_runs import run_module
from tests.conftest import PlatformPaths

pytestmark = pytest.mark.slow

PROPERTY_ID = "123456789"
RUN_REPORT = f"/v1beta/properties/{PROPERTY_ID}:runReport"
# Relative to today, as the real API is.
TODAY = datetime.now(UTC).date()
ORG_START = TODAY - timedelta(days=60)
ORG_END = TODAY - timedelta(days=1)
START_DATE = TODAY - timedelta(days=20)  # the first run backfills START_DATE .. FIRST_DAY
FIRST_DAY = TODAY - timedelta(days=10)
NEXT_DAY = FIRST_DAY + timedelta(days=1)
PAGE_SIZE = 15  # small, so a day's load takes several pages


def day_end(day: date) -> int:
    return int(datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with run_emulator(
        "google_analytics",
        seed=11,
        start=ORG_START.isoformat(),
        end=ORG_END.isoformat(),
        property_id=PROPERTY_ID,
    ) as emulator:
        yield emulator


def set_quota(emulator: Any, **remaining: int) -> dict[str, int]:
    request = urllib.request.Request(
        f"{emulator.base_url}/_sandbox/quota", data=json.dumps(remaining).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as answer:
        return dict(json.load(answer))


@pytest.fixture
def ga4(sandbox: Any) -> Iterator[Any]:
    """The sandbox with no faults, a full quota, an empty log, its clock at the end of FIRST_DAY."""
    sandbox.clear_faults()
    sandbox.set_clock(now=day_end(FIRST_DAY))
    set_quota(sandbox, tokens_per_hour_remaining=40_000, tokens_per_day_remaining=200_000)
    sandbox.clear_requests()
    yield sandbox
    sandbox.clear_faults()


def load_day(emulator: Any, day: date, **settings: Any) -> LoadSummary:
    settings.setdefault("page_size", PAGE_SIZE)
    settings.setdefault("property_id", PROPERTY_ID)
    # The run reads at the emulator's clock, as a nightly run reads at its own: `fetched_at`
    # then tells two loads apart however fast they follow each other (the wall clock's second
    # did not once they took under a second).
    now = datetime.fromtimestamp(emulator.clock()["now"], UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCES__USE_SANDBOX", "true")
        patch.setenv("SANDBOX__NOW", now.isoformat())
        source = google_analytics_source(
            start_date=START_DATE.isoformat(), base_url=emulator.base_url, run_date=day, **settings
        )
        return load_source(source, day)


def sdk(emulator: Any) -> BetaAnalyticsDataClient:
    return BetaAnalyticsDataClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options={"api_endpoint": emulator.base_url},
    )


def truth(emulator: Any, spec: ReportSpec, first: date, last: date) -> list[tuple[Any, ...]]:
    """The report's rows as the SDK reads them now, typed like the raw table's columns."""
    response = sdk(emulator).run_report(
        RunReportRequest(
            property=f"properties/{PROPERTY_ID}",
            dimensions=[Dimension(name=n) for n in spec.dimensions],
            metrics=[Metric(name=n) for n in spec.metrics],
            date_ranges=[DateRange(start_date=first.isoformat(), end_date=last.isoformat())],
            limit=250_000,
        )
    )
    types = [int if h.type_ == 1 else float for h in response.metric_headers]
    rows = []
    for row in response.rows:
        dims: list[Any] = [v.value for v in row.dimension_values]
        dims[0] = datetime.strptime(dims[0], "%Y%m%d").date()
        rows.append((*dims, *(t(v.value) for t, v in zip(types, row.metric_values, strict=True))))
    return sorted(rows)


def columns(spec: ReportSpec) -> str:
    return ", ".join(column_name(n) for n in (*spec.dimensions, *spec.metrics))


def raw(paths: PlatformPaths, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def loaded(paths: PlatformPaths, spec: ReportSpec, day: date) -> list[tuple[Any, ...]]:
    return raw(
        paths,
        f"SELECT {columns(spec)} FROM raw.google_analytics__{spec.name} "
        f"WHERE date = DATE '{day.isoformat()}' ORDER BY ALL",
    )


def run_reports(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"] == RUN_REPORT]


def test_first_run_reads_each_report_page_by_page_into_typed_columns(
    ga4: Any, platform_env: PlatformPaths
) -> None:
    summary = load_day(ga4, FIRST_DAY)
    requests = run_reports(ga4)

    for spec in DEFAULT_REPORTS:
        expected = truth(ga4, spec, START_DATE, FIRST_DAY)
        assert len(expected) > 3 * PAGE_SIZE, spec.name
        assert loaded(platform_env, spec, FIRST_DAY) == expected, spec.name
        assert summary.rows[spec.name] == len(expected)
    traffic = [r["query"] for r in requests if len(r["query"]["dimensions"]) == 4]
    rows = len(truth(ga4, DEFAULT_REPORTS[0], START_DATE, FIRST_DAY))
    assert len(traffic) == math.ceil(rows / PAGE_SIZE)
    assert [int(q.get("offset", 0)) for q in traffic] == list(range(0, rows, PAGE_SIZE))
    for query in traffic:
        assert int(query["limit"]) == PAGE_SIZE
        assert query["returnPropertyQuota"] is True
        assert query["dateRanges"] == [
            {"startDate": START_DATE.isoformat(), "endDate": FIRST_DAY.isoformat()}
        ]
    types = dict(
        raw(
            platform_env,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'google_analytics__traffic_daily'",
        )
    )
    assert types["report_date"] == "DATE"
    assert types["session_campaign_name"] == "VARCHAR"
    assert types["sessions"] == types["key_events"] == "BIGINT"
    assert types["total_revenue"] == "DOUBLE"
    assert types["fetched_at"] == "TIMESTAMP WITH TIME ZONE"


def test_lookback_rereads_recent_days_replacing_restated_values_without_duplicates(
    ga4: Any, platform_env: PlatformPaths
) -> None:
    traffic = DEFAULT_REPORTS[0]
    load_day(ga4, FIRST_DAY)
    first_load = loaded(platform_env, traffic, FIRST_DAY)
    ga4.set_clock(now=day_end(NEXT_DAY))
    ga4.clear_requests()

    load_day(ga4, NEXT_DAY)

    reread_from = FIRST_DAY - timedelta(days=2)  # the three days before NEXT_DAY, and NEXT_DAY
    assert {r["query"]["dateRanges"][0]["startDate"] for r in run_reports(ga4)} == {
        reread_from.isoformat()
    }
    again = loaded(platform_env, traffic, NEXT_DAY)
    assert again == truth(ga4, traffic, reread_from, NEXT_DAY)
    assert {row[0] for row in again} == {reread_from + timedelta(days=n) for n in range(4)}

    # FIRST_DAY was still being processed when first read: its numbers grew since
    def sessions_of(rows: list[tuple[Any, ...]], day: date) -> int:
        return sum(row[4] for row in rows if row[0] == day)

    assert sessions_of(again, FIRST_DAY) > sessions_of(first_load, FIRST_DAY)
    for day in (FIRST_DAY, NEXT_DAY):
        counts = raw(
            platform_env,
            "SELECT count(*), count(DISTINCT (report_date, session_source, session_medium, "
            "session_campaign_name)) FROM raw.google_analytics__traffic_daily "
            f"WHERE date = DATE '{day.isoformat()}'",
        )
        assert counts[0][0] == counts[0][1], day  # no duplicate (date x dimensions) in a partition

    # the newest version of each (date, dimensions) is what GA4 says now
    newest = raw(
        platform_env,
        f"SELECT {columns(traffic)} FROM raw.google_analytics__traffic_daily "
        "QUALIFY row_number() OVER (PARTITION BY report_date, session_source, session_medium, "
        "session_campaign_name ORDER BY fetched_at DESC) = 1 ORDER BY ALL",
    )
    assert newest == truth(ga4, traffic, START_DATE, NEXT_DAY)

    before = loaded(platform_env, traffic, NEXT_DAY)
    summary = load_day(ga4, NEXT_DAY)
    assert loaded(platform_env, traffic, NEXT_DAY) == before  # a reload reads the same window
    assert summary.replaced_files == len(DEFAULT_REPORTS)


def test_low_quota_stops_the_run_with_one_line_before_the_reserve_is_spent(
    ga4: Any, platform_env: PlatformPaths
) -> None:
    set_quota(ga4, tokens_per_hour_remaining=502)  # one page (>= 3 tokens) takes it below 500

    with pytest.raises(PipelineStepFailed) as stopped:
        load_day(ga4, FIRST_DAY, quota_reserve_tokens=500)

    line = one_line(stopped.value)
    assert re.match(
        rf"google_analytics\.(traffic|landing_pages)_daily: property {PROPERTY_ID} has 49\d "
        "hourly Data API tokens left, below the reserve of 500",
        line,
    ), line
    assert "sources.google_analytics.quota_reserve_tokens" in line
    assert len(run_reports(ga4)) == 1  # stopped before the second page
    assert not (platform_env.lake / "google_analytics" / "traffic_daily").exists()


def test_exhausted_tokens_stop_at_once_without_retries(
    ga4: Any, platform_env: PlatformPaths
) -> None:
    set_quota(ga4, tokens_per_hour_remaining=0)

    with pytest.raises(PipelineStepFailed) as stopped:
        load_day(ga4, FIRST_DAY)

    line = one_line(stopped.value)
    assert re.match(
        rf"google_analytics\.(traffic|landing_pages)_daily: property {PROPERTY_ID} is out of", line
    ), line
    assert "Exhausted property tokens per hour" in line
    assert [r["status"] for r in run_reports(ga4)] == [429]  # waiting would not refill it


def test_rate_limits_and_unavailable_are_retried_and_the_load_is_complete(
    ga4: Any, platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sources.google_analytics.client.RETRY_INITIAL_WAIT_SECONDS", 0.05)
    ga4.set_faults(path=RUN_REPORT, status=429, count=2)
    ga4.set_faults(path=RUN_REPORT, status=503, count=1)

    load_day(ga4, FIRST_DAY)

    statuses = [r["status"] for r in run_reports(ga4)]
    assert statuses[:3] == [429, 429, 503]
    assert set(statuses[3:]) == {200}
    for spec in DEFAULT_REPORTS:
        assert loaded(platform_env, spec, FIRST_DAY) == truth(ga4, spec, START_DATE, FIRST_DAY)


def test_unknown_metric_stops_with_one_line_naming_the_report_and_the_metric(
    ga4: Any, platform_env: PlatformPaths
) -> None:
    reports = [{"name": "channels", "dimensions": ["date"], "metrics": ["sessions", "bogusRate"]}]
    with pytest.raises(PipelineStepFailed) as stopped:
        load_day(ga4, FIRST_DAY, reports=reports)
    assert one_line(stopped.value) == (
        "google_analytics.channels: metric 'bogusRate' is not a valid metric of this property "
        "(not in its metadata); check setting sources.google_analytics.reports"
    )
    assert run_reports(ga4) == []  # refused before spending quota

    # and if the API itself refuses a metric (INVALID_ARGUMENT), its words name it
    reader = ReportReader(build_client(ga4.base_url), PROPERTY_ID, PAGE_SIZE, 500)
    with pytest.raises(SourceError) as refused:
        next(reader.pages(ReportSpec("channels", ("date",), ("bogusRate",)), FIRST_DAY, FIRST_DAY))
    assert str(refused.value).startswith(
        "google_analytics.channels: the API refused the report (400): "
        "Field bogusRate is not a valid metric."
    )


def test_a_property_without_access_stops_with_one_line_naming_it(
    ga4: Any, platform_env: PlatformPaths
) -> None:
    with pytest.raises(PipelineStepFailed) as stopped:
        load_day(ga4, FIRST_DAY, property_id="987654321")
    line = one_line(stopped.value)
    assert line.startswith("google_analytics: property 987654321 refused access (403)")
    assert "sources.google_analytics.property_id" in line
    assert "\n" not in line


def test_a_malformed_row_is_rejected_with_its_dimensions_and_the_rest_loads(
    ga4: Any, platform_env: PlatformPaths
) -> None:
    ga4.set_faults(path=RUN_REPORT, malformed=True, count=1)
    load_day(ga4, FIRST_DAY)

    rejected = raw(
        platform_env,
        "SELECT resource, record_id, error FROM raw.google_analytics__rejected_records",
    )
    assert len(rejected) == 1
    resource, record_id, error = rejected[0]
    assert resource == "traffic_daily"
    assert record_id.startswith(START_DATE.strftime("%Y%m%d") + "|")
    assert error.startswith("sessions: ")
    expected = truth(ga4, DEFAULT_REPORTS[0], START_DATE, FIRST_DAY)
    assert len(loaded(platform_env, DEFAULT_REPORTS[0], FIRST_DAY)) == len(expected) - 1


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_module("sources.google_analytics", *args, env=env)


def test_cli_loads_a_configured_report_with_float_metrics(
    ga4: Any, platform_env: PlatformPaths
) -> None:
    reports = [
        {
            "name": "channel_groups_daily",
            "dimensions": ["date", "sessionDefaultChannelGroup"],
            "metrics": ["sessions", "engagementRate"],
        }
    ]
    result = run_cli(
        "--date",
        FIRST_DAY.isoformat(),
        env={
            "SOURCES__USE_SANDBOX": "false",
            "SOURCES__GOOGLE_ANALYTICS__BASE_URL": ga4.base_url,
            "SOURCES__GOOGLE_ANALYTICS__PROPERTY_ID": PROPERTY_ID,
            "SOURCES__GOOGLE_ANALYTICS__START_DATE": FIRST_DAY.isoformat(),
            "SOURCES__GOOGLE_ANALYTICS__REPORTS": json.dumps(reports),
        },
    )
    assert result.returncode == 0, result.stderr
    assert "channel_groups_daily" in result.stdout
    assert "raw.google_analytics__channel_groups_daily" in result.stdout
    rows = raw(
        platform_env,
        "SELECT session_default_channel_group, engagement_rate "
        "FROM raw.google_analytics__channel_groups_daily",
    )
    assert {"Paid Search", "Organic Search", "Direct"} <= {row[0] for row in rows}
    assert all(isinstance(row[1], float) and 0 < row[1] < 1 for row in rows)


def test_cli_in_production_without_a_property_names_the_missing_setting(
    platform_env: PlatformPaths,
) -> None:
    result = run_cli("--quiet", env={"SOURCES__USE_SANDBOX": "false"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: missing setting sources.google_analytics.property_id "
        "(env SOURCES__GOOGLE_ANALYTICS__PROPERTY_ID)"
    )
