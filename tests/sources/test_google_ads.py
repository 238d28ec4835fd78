"""The Google Ads source with the real `google-ads` SDK against the sandbox emulator (gRPC)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from destinations.load import LoadSummary, load_source
from sandbox.org import build_org
from sandbox.process import run_emulator
from sources.errors import one_line
from sources.google_ads import SPEC, google_ads_source
from sources.google_ads.client import AdsReader, Connection
from sources.google_ads.settings import RESOURCES
from tests.cli_runs import run_module, stderr_lines
from tests.conftest import PlatformPaths

pytestmark = pytest.mark.slow

SEED = 11
BATCH_SIZE = 25  # small, so every customer's stream arrives in several batches
# Relative to today, like the real API, whose restatement window is measured from today.
TODAY = datetime.now(UTC).date()
ORG_START = TODAY - timedelta(days=60)
ORG_END = TODAY - timedelta(days=1)
FIRST_DAY = TODAY - timedelta(days=20)  # the first run backfills ORG_START .. FIRST_DAY
NEXT_DAY = FIRST_DAY + timedelta(days=1)
METRICS = "impressions, clicks, cost_micros, conversions, conversions_value"
DAILY_GAQL = (
    "SELECT customer.id, campaign.id, segments.date, metrics.impressions, metrics.clicks, "
    "metrics.cost_micros, metrics.conversions, metrics.conversions_value FROM campaign "
    "WHERE segments.date BETWEEN '{first}' AND '{last}'"
)


def day_end(day: date) -> int:
    return int(datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with run_emulator(
        "google_ads",
        seed=SEED,
        start=ORG_START.isoformat(),
        end=ORG_END.isoformat(),
        batch_size=BATCH_SIZE,
    ) as emulator:
        yield emulator


@pytest.fixture
def ads_api(sandbox: Any) -> Iterator[Any]:
    """The sandbox with no faults, an empty request log, and its clock at the end of FIRST_DAY."""
    sandbox.clear_faults()
    sandbox.set_clock(now=day_end(FIRST_DAY))
    sandbox.clear_requests()
    yield sandbox
    sandbox.clear_faults()


def arguments(emulator: Any) -> dict[str, Any]:
    return SPEC.sandbox_arguments(emulator.base_url)


def source(emulator: Any, day: date, **overrides: Any) -> DltSource:
    settings = {**arguments(emulator), "start_date": ORG_START.isoformat(), **overrides}
    return google_ads_source(run_date=day, **settings)


def load_day(emulator: Any, day: date, **overrides: Any) -> LoadSummary:
    return load_source(source(emulator, day, **overrides), day)


def sdk_batches(emulator: Any, customer_id: str, query: str) -> list[list[Any]]:
    """Ground truth: what the SDK's `search_stream` returns, batch by batch."""
    settings = arguments(emulator)
    reader = AdsReader(
        Connection(
            developer_token=settings["developer_token"],
            client_id=settings["client_id"],
            client_secret=settings["client_secret"],
            refresh_token=settings["refresh_token"],
            login_customer_id=settings["login_customer_id"],
            base_url=settings["base_url"],
            token_uri=settings["token_uri"],
        )
    )
    reader.ensure_token()
    stream = reader.service.search_stream(customer_id=customer_id, query=query)
    return [list(batch.results) for batch in stream]


def truth_daily(emulator: Any, first: date, last: date) -> list[tuple[Any, ...]]:
    rows = []
    for customer_id in arguments(emulator)["customer_ids"]:
        query = DAILY_GAQL.format(first=first.isoformat(), last=last.isoformat())
        for batch in sdk_batches(emulator, customer_id, query):
            for row in batch:
                m = row.metrics
                rows.append(
                    (
                        row.customer.id,
                        row.campaign.id,
                        date.fromisoformat(row.segments.date),
                        m.impressions,
                        m.clicks,
                        m.cost_micros,
                        m.conversions,
                        m.conversions_value,
                    )
                )
    return sorted(rows)


def raw(paths: PlatformPaths, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def raw_daily(paths: PlatformPaths, partition: date) -> list[tuple[Any, ...]]:
    return raw(
        paths,
        f"SELECT customer_id, campaign_id, day, {METRICS} FROM raw.google_ads__campaign_daily "
        f"WHERE date = DATE '{partition}' ORDER BY ALL",
    )


def daily_queries(emulator: Any) -> list[str]:
    return [
        r["query"]["query"]
        for r in emulator.requests()
        if r["path"].endswith("googleAds:searchStream") and "segments.date" in r["query"]["query"]
    ]


def test_first_run_backfills_every_customer_from_the_start_date_in_streamed_batches(
    ads_api: Any, platform_env: PlatformPaths
) -> None:
    summary = load_day(ads_api, FIRST_DAY)

    expected = truth_daily(ads_api, ORG_START, FIRST_DAY)
    assert raw_daily(platform_env, FIRST_DAY) == expected
    assert summary.rows["campaign_daily"] == len(expected)
    customers = arguments(ads_api)["customer_ids"]
    assert len(customers) == 2
    assert {row[0] for row in expected} == {int(c) for c in customers}
    first_customer = DAILY_GAQL.format(first=ORG_START, last=FIRST_DAY)
    assert len(sdk_batches(ads_api, customers[0], first_customer)) >= 3  # several batches
    for query in daily_queries(ads_api):
        assert f"BETWEEN '{ORG_START}' AND '{FIRST_DAY}'" in query

    accounts = raw(
        platform_env,
        "SELECT customer_id, currency_code, time_zone FROM raw.google_ads__accounts ORDER BY 1",
    )
    assert [a[0] for a in accounts] == [int(c) for c in customers]
    assert {a[1] for a in accounts} == {"USD", "EUR"}
    # every daily row carries its account's currency; cost stays integer micros
    mismatched = raw(
        platform_env,
        "SELECT count(*) FROM raw.google_ads__campaign_daily d JOIN raw.google_ads__accounts a "
        "USING (customer_id) WHERE d.currency_code <> a.currency_code",
    )
    assert mismatched == [(0,)]
    # ad groups add up to their campaign, day by day
    unequal = raw(
        platform_env,
        "WITH g AS (SELECT customer_id, campaign_id, day, sum(impressions) i, sum(clicks) c, "
        "sum(cost_micros) m FROM raw.google_ads__ad_group_daily GROUP BY ALL) "
        "SELECT count(*) FROM raw.google_ads__campaign_daily d JOIN g "
        "USING (customer_id, campaign_id, day) "
        "WHERE d.impressions <> g.i OR d.clicks <> g.c OR d.cost_micros <> g.m",
    )
    assert unequal == [(0,)]


def test_campaigns_carry_the_organisations_names_and_utm_tags(
    ads_api: Any, platform_env: PlatformPaths
) -> None:
    load_day(ads_api, FIRST_DAY, customer_ids=arguments(ads_api)["customer_ids"])
    org = build_org(seed=SEED, start=ORG_START, end=ORG_END)
    expected = sorted(
        (c.name, c.utm_source, c.utm_medium, c.utm_campaign)
        for c in org.campaigns
        if c.channel == "google_ads"
    )
    loaded = raw(
        platform_env,
        "SELECT name, utm_source, utm_medium, utm_campaign FROM raw.google_ads__campaigns "
        "ORDER BY ALL",
    )
    assert loaded == expected
    budgets = raw(platform_env, "SELECT budget_amount_micros FROM raw.google_ads__campaigns")
    assert all(isinstance(b[0], int) and b[0] > 0 for b in budgets)


def test_second_run_rereads_the_lookback_and_picks_up_restated_days_without_duplicates(
    ads_api: Any, platform_env: PlatformPaths
) -> None:
    load_day(ads_api, FIRST_DAY)
    ads_api.set_clock(now=day_end(NEXT_DAY))
    ads_api.clear_requests()

    load_day(ads_api, NEXT_DAY)

    lookback_start = NEXT_DAY - timedelta(days=14)
    queries = daily_queries(ads_api)
    assert len(queries) == 4  # two daily tables x two customers
    for query in queries:
        assert f"BETWEEN '{lookback_start}' AND '{NEXT_DAY}'" in query
    second = raw_daily(platform_env, NEXT_DAY)
    assert second == truth_daily(ads_api, lookback_start, NEXT_DAY)
    keys = [row[:3] for row in second]
    assert len(keys) == len(set(keys))  # no (customer, campaign, day) twice in the partition
    assert min(row[2] for row in second) == lookback_start  # nothing older is re-read
    assert max(row[2] for row in second) == NEXT_DAY

    first = {row[:3]: row for row in raw_daily(platform_env, FIRST_DAY)}
    restated = [row for row in second if row[:3] in first and row != first[row[:3]]]
    assert restated  # Google changed recent days' conversions since the first run
    for row in restated:
        before = first[row[:3]]
        assert row[3:6] == before[3:6]  # impressions, clicks, cost unchanged
        assert row[6] >= before[6]  # conversions only grew as attribution caught up


def test_reloading_a_date_gives_the_same_rows(ads_api: Any, platform_env: PlatformPaths) -> None:
    load_day(ads_api, FIRST_DAY)
    ads_api.set_clock(now=day_end(NEXT_DAY))
    load_day(ads_api, NEXT_DAY)
    tables = [spec.name for spec in RESOURCES]
    query = "SELECT * EXCLUDE (_dlt_load_id) FROM raw.google_ads__{table} ORDER BY ALL"
    before = {table: raw(platform_env, query.format(table=table)) for table in tables}

    again = load_day(ads_api, NEXT_DAY)

    for table in tables:
        assert raw(platform_env, query.format(table=table)) == before[table], table
    assert again.replaced_files == len(tables)


def test_quota_and_unavailable_errors_are_retried_and_the_load_is_complete(
    ads_api: Any, platform_env: PlatformPaths
) -> None:
    ads_api.set_faults(path="/v26/customers/", status=429, retry_after=1, count=2)
    ads_api.set_faults(path="/v26/customers/", status=503, count=1)

    load_day(ads_api, FIRST_DAY)

    statuses = [r["status"] for r in ads_api.requests() if r["path"].startswith("/v26/")]
    assert statuses.count(429) == 2
    assert statuses.count(503) == 1
    assert raw_daily(platform_env, FIRST_DAY) == truth_daily(ads_api, ORG_START, FIRST_DAY)


def test_an_unknown_customer_id_fails_with_one_line_naming_it(
    ads_api: Any, platform_env: PlatformPaths
) -> None:
    customers = [*arguments(ads_api)["customer_ids"], "999-999-9999"]
    with pytest.raises(PipelineStepFailed) as raised:
        load_day(ads_api, FIRST_DAY, customer_ids=customers)
    line = one_line(raised.value)
    assert "customer 9999999999 cannot be read (USER_PERMISSION_DENIED)" in line
    assert "sources.google_ads.customer_ids" in line
    assert "\n" not in line


def test_a_refused_oauth_refresh_fails_with_one_line_without_the_token(
    ads_api: Any, platform_env: PlatformPaths
) -> None:
    wrong = "1//wrong-refresh-token-0123456789"
    with pytest.raises(PipelineStepFailed) as raised:
        load_day(ads_api, FIRST_DAY, refresh_token=wrong)
    line = one_line(raised.value)
    assert line.startswith("google_ads")
    assert "OAuth refresh was refused (invalid_grant)" in line
    assert "sources.google_ads.client_id" in line
    assert "refresh_token" in line
    assert wrong not in line


def test_a_malformed_row_is_rejected_with_its_key_and_the_rest_load(
    ads_api: Any, platform_env: PlatformPaths
) -> None:
    customer = arguments(ads_api)["customer_ids"][0]
    ads_api.set_faults(path=f"/v26/customers/{customer}/", malformed=True, count=1)

    load_source(source(ads_api, FIRST_DAY).with_resources("campaign_daily"), FIRST_DAY)

    rejected = raw(
        platform_env,
        "SELECT resource, record_id, error, record_json FROM raw.google_ads__rejected_records",
    )
    assert len(rejected) == 1
    resource, record_id, error, record_json = rejected[0]
    assert resource == "campaign_daily"
    assert record_id.startswith(f"{customer}/")
    assert "day" in error
    assert json.loads(record_json)["day"] == "2026-02-30"
    expected = truth_daily(ads_api, ORG_START, FIRST_DAY)
    loaded = raw_daily(platform_env, FIRST_DAY)
    assert len(loaded) == len(expected) - 1
    assert set(loaded) < set(expected)


def test_cli_with_a_wrong_developer_token_fails_with_one_clear_line_without_secrets(
    ads_api: Any, platform_env: PlatformPaths
) -> None:
    settings = arguments(ads_api)
    wrong = "wrong-developer-token-4242"
    result = run_module(
        "sources.google_ads",
        "--date",
        FIRST_DAY.isoformat(),
        "--quiet",
        env={
            "SOURCES__USE_SANDBOX": "false",
            "SOURCES__GOOGLE_ADS__BASE_URL": settings["base_url"],
            "SOURCES__GOOGLE_ADS__TOKEN_URI": settings["token_uri"],
            "SOURCES__GOOGLE_ADS__CUSTOMER_IDS": json.dumps(settings["customer_ids"]),
            "SOURCES__GOOGLE_ADS__LOGIN_CUSTOMER_ID": settings["login_customer_id"],
            "SOURCES__GOOGLE_ADS__DEVELOPER_TOKEN": wrong,
            "SOURCES__GOOGLE_ADS__CLIENT_ID": settings["client_id"],
            "SOURCES__GOOGLE_ADS__CLIENT_SECRET": settings["client_secret"],
            "SOURCES__GOOGLE_ADS__REFRESH_TOKEN": settings["refresh_token"],
        },
    )
    assert result.returncode == 1
    lines = stderr_lines(result)
    assert lines[-1].startswith("error: google_ads.")
    assert "developer token was refused (DEVELOPER_TOKEN_INVALID)" in lines[-1]
    assert "sources.google_ads.developer_token" in lines[-1]
    output = result.stdout + result.stderr
    for secret in (wrong, settings["client_secret"], settings["refresh_token"]):
        assert secret not in output
    assert "Traceback" not in result.stderr


def test_grpc_and_the_controls_share_the_emulators_one_address(ads_api: Any) -> None:
    with urllib.request.urlopen(f"{ads_api.base_url}/_sandbox/endpoints") as response:
        endpoints = json.load(response)
    settings = arguments(ads_api)
    assert settings["base_url"] == ads_api.base_url == f"http://{endpoints['grpc']}"
    assert settings["token_uri"] == f"{ads_api.base_url}/token"
    assert settings["customer_ids"] == endpoints["customer_ids"]
