"""The Facebook Ads source with the real `facebook-business` SDK against the sandbox emulator."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.api import FacebookAdsApi
from facebook_business.session import FacebookSession

from destinations.load import LoadSummary, load_source
from sandbox.facebook_ads.account import build_account
from sandbox.facebook_ads.server import arm_report_jobs, report_jobs
from sandbox.org import build_org
from sandbox.process import run_emulator
from sources.errors import one_line
from sources.facebook_ads import RESOURCES, facebook_ads_source
from sources.facebook_ads.client import build_api
from sources.facebook_ads.reports import job_ranges
from sources.facebook_ads.settings import INSIGHT_FIELDS, JOB_ATTEMPTS, JOBS_IN_FLIGHT
from tests.cli_runs import assert_nowhere_on_disk, run_module
from tests.conftest import PlatformPaths

TOKEN = "EAAtestFacebookAdsToken0123456789"
ACCOUNT_ID = "1029384756"  # the setting may leave out the act_ prefix
ACCOUNT = f"act_{ACCOUNT_ID}"
SEED = 5
PAGE_CAP = 5  # the emulator serves at most 5 rows a page, so every list spans pages
TODAY = datetime.now(UTC).date()
ORG_START = TODAY - timedelta(days=120)
ORG_END = TODAY - timedelta(days=1)
WINDOWS = ["7d_click", "1d_view"]


def _restated_day() -> tuple[date, int]:
    """A day with a purchase that Facebook reports only `lag` days later (picked from the
    sandbox's own model, so the test knows where to look; what is loaded is checked via the SDK)."""
    account = build_account(build_org(seed=SEED, start=ORG_START, end=ORG_END))
    return min(
        (day, conversion.lag_days)
        for (_, day), ad_day in account.days.items()
        for conversion in ad_day.conversions
        if conversion.action == "purchase"
        and 2 <= conversion.lag_days <= 5
        and day - timedelta(days=3) > ORG_START
    )


FIRST_DAY, LAG = _restated_day()
LATER_DAY = FIRST_DAY + timedelta(days=LAG)  # the late purchase has happened by its end
START_DATE = FIRST_DAY - timedelta(days=2)  # first run backfills three days: one report job


def day_end(day: date) -> int:
    return int(datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with run_emulator(
        "facebook_ads",
        seed=SEED,
        start=ORG_START.isoformat(),
        end=ORG_END.isoformat(),
        access_token=TOKEN,
        page_cap=PAGE_CAP,
        job_polls=3,
    ) as emulator:
        yield emulator


@pytest.fixture
def graph(sandbox: Any) -> Iterator[Any]:
    """The sandbox with no faults or armed jobs, an empty log, its clock at FIRST_DAY's end."""
    sandbox.clear_faults()
    sandbox.set_clock(now=day_end(FIRST_DAY))
    sandbox.clear_requests()
    yield sandbox
    sandbox.clear_faults()


def load_day(emulator: Any, day: date, **settings: Any) -> LoadSummary:
    source = facebook_ads_source(
        access_token=TOKEN,
        account_ids=[ACCOUNT_ID],
        base_url=emulator.base_url,
        run_date=day,
        **{"start_date": START_DATE.isoformat(), **settings},
    )
    return load_source(source, day)


def raw(paths: PlatformPaths, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def sdk_account(emulator: Any) -> AdAccount:
    api = FacebookAdsApi.init(access_token=TOKEN, api_version="v26.0", crash_log=False)
    api._session.GRAPH = emulator.base_url
    return AdAccount(ACCOUNT, api=api)


INSIGHT_COLUMNS = "ad_id, date_start, spend, impressions, clicks, reach, purchases, purchase_value"


def sdk_insights(emulator: Any, since: date, until: date) -> list[tuple[Any, ...]]:
    """Ground truth: the same days read synchronously through the SDK, flattened alike."""
    params = {
        "level": "ad",
        "time_increment": 1,
        "time_range": {"since": since.isoformat(), "until": until.isoformat()},
        "action_attribution_windows": WINDOWS,
        "limit": 500,
    }
    rows = []
    for row in sdk_account(emulator).get_insights(fields=list(INSIGHT_FIELDS), params=params):
        actions = {a["action_type"]: a["value"] for a in row.get("actions", [])}
        values = {a["action_type"]: a["value"] for a in row.get("action_values", [])}
        rows.append(
            (
                row["ad_id"],
                date.fromisoformat(row["date_start"]),
                Decimal(row["spend"]),
                int(row["impressions"]),
                int(row["clicks"]),
                int(row["reach"]),
                int(actions.get("omni_purchase", 0)),
                Decimal(values.get("omni_purchase", 0)),
            )
        )
    return sorted(rows)


def loaded_insights(paths: PlatformPaths, day: date) -> list[tuple[Any, ...]]:
    return sorted(
        raw(
            paths,
            f"SELECT {INSIGHT_COLUMNS} FROM raw.facebook_ads__ad_insights "
            f"WHERE date = DATE '{day.isoformat()}'",
        )
    )


def insight_jobs(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["path"] == f"/v26.0/{ACCOUNT}/insights"]


@pytest.mark.slow
def test_campaigns_ad_sets_and_ads_are_listed_in_full_across_cursor_pages(
    graph: Any, platform_env: PlatformPaths
) -> None:
    summary = load_day(graph, FIRST_DAY)

    account = sdk_account(graph)
    edges = (("campaigns", "get_campaigns", "campaigns"), ("ad_sets", "get_ad_sets", "adsets"))
    for table, method, edge in (*edges, ("ads", "get_ads", "ads")):
        expected = sorted(o["id"] for o in getattr(account, method)(fields=["id"]))
        loaded = sorted(
            r[0] for r in raw(platform_env, f"SELECT id FROM raw.facebook_ads__{table}")
        )
        assert loaded == expected, table
        assert summary.rows[table] == len(expected)
        pages = [r for r in graph.requests() if r["path"] == f"/v26.0/{ACCOUNT}/{edge}"]
        if len(expected) > PAGE_CAP:
            assert any("after" in page["query"] for page in pages), table
    assert summary.rows["ads"] > 2 * PAGE_CAP
    ads = raw(platform_env, "SELECT campaign_id, adset_id, creative_id FROM raw.facebook_ads__ads")
    assert all(all(column for column in row) for row in ads)


@pytest.mark.slow
def test_insights_come_from_polled_async_report_jobs_and_match_the_api(
    graph: Any, platform_env: PlatformPaths
) -> None:
    load_day(graph, FIRST_DAY)

    [job] = [r for r in insight_jobs(graph) if r["method"] == "POST"]
    assert job["query"]["level"] == "ad"
    assert job["query"]["time_increment"] == "1"
    assert job["query"]["time_range"] == (
        f'{{"since":"{START_DATE.isoformat()}","until":"{FIRST_DAY.isoformat()}"}}'
    )
    assert job["query"]["action_attribution_windows"] == '["7d_click","1d_view"]'
    run = report_jobs(graph.base_url)["runs"][-1]
    polls = [r for r in graph.requests() if r["path"] == f"/v26.0/{run['id']}/"]
    assert len(polls) == run["polls"] >= 3  # polled until the job completed
    assert loaded_insights(platform_env, FIRST_DAY) == sdk_insights(graph, START_DATE, FIRST_DAY)
    currencies = raw(
        platform_env, "SELECT DISTINCT account_currency FROM raw.facebook_ads__ad_insights"
    )
    assert currencies == [("USD",)]


@pytest.mark.slow
def test_a_backfills_report_jobs_run_side_by_side_and_give_every_day(
    graph: Any, platform_env: PlatformPaths
) -> None:
    since = ORG_START + timedelta(days=1)  # 118 days: four 31-day ranges, four jobs
    graph.set_clock(now=day_end(ORG_END))
    load_day(graph, ORG_END, start_date=since.isoformat())

    log = graph.requests()
    submits = [n for n, r in enumerate(log) if r["path"] == f"/v26.0/{ACCOUNT}/insights"]
    runs = report_jobs(graph.base_url)["runs"][-len(submits) :]
    assert len(submits) == len(job_ranges(ACCOUNT, since, ORG_END)) >= 3
    first_done = max(n for n, r in enumerate(log) if r["path"] == f"/v26.0/{runs[0]['id']}/")
    # several jobs were submitted before the first one completed: Graph ran them together
    before_first_done = sum(n < first_done for n in submits)
    assert before_first_done == min(JOBS_IN_FLIGHT, len(submits)) > 1
    assert loaded_insights(platform_env, ORG_END) == sdk_insights(graph, since, ORG_END)


def test_second_run_rereads_the_lookback_and_picks_up_a_restated_day(
    graph: Any, platform_env: PlatformPaths
) -> None:
    load_day(graph, FIRST_DAY)
    graph.set_clock(now=day_end(LATER_DAY))
    graph.clear_requests()

    load_day(graph, LATER_DAY)

    [job] = [r for r in insight_jobs(graph) if r["method"] == "POST"]
    # where the previous window ended, less the 7-day lookback, but not before the start date
    since = max(FIRST_DAY + timedelta(days=1) - timedelta(days=7), START_DATE)
    assert job["query"]["time_range"] == (
        f'{{"since":"{since.isoformat()}","until":"{LATER_DAY.isoformat()}"}}'
    )
    purchases_of_first_day = (
        "SELECT date, sum(purchases) FROM raw.facebook_ads__ad_insights "
        f"WHERE date_start = DATE '{FIRST_DAY.isoformat()}' GROUP BY date ORDER BY date"
    )
    (_, before), (_, after) = raw(platform_env, purchases_of_first_day)
    assert after > before  # the late purchase landed in the later run's partition
    assert loaded_insights(platform_env, LATER_DAY) == sdk_insights(graph, since, LATER_DAY)


@pytest.mark.slow
def test_reloading_a_date_gives_the_same_rows(graph: Any, platform_env: PlatformPaths) -> None:
    load_day(graph, FIRST_DAY)
    graph.set_clock(now=day_end(LATER_DAY))
    load_day(graph, LATER_DAY)
    query = (
        f"SELECT date, {INSIGHT_COLUMNS}, leads, actions FROM raw.facebook_ads__ad_insights "
        "ORDER BY ALL"
    )
    before = raw(platform_env, query)

    again = load_day(graph, LATER_DAY)

    assert raw(platform_env, query) == before
    assert again.replaced_files == len(RESOURCES)


@pytest.mark.slow
def test_a_failed_report_job_is_submitted_again_and_the_load_is_complete(
    graph: Any, platform_env: PlatformPaths
) -> None:
    arm_report_jobs(graph.base_url, "failed")

    load_day(graph, FIRST_DAY)

    runs = report_jobs(graph.base_url)["runs"]
    assert [(r["outcome"], r["status"]) for r in runs[-2:]] == [
        ("failed", "Job Failed"),
        ("completed", "Job Completed"),
    ]
    assert loaded_insights(platform_env, FIRST_DAY) == sdk_insights(graph, START_DATE, FIRST_DAY)


@pytest.mark.slow
def test_a_stuck_report_job_times_out_and_is_submitted_again(
    graph: Any, platform_env: PlatformPaths
) -> None:
    arm_report_jobs(graph.base_url, "stuck")

    load_day(graph, FIRST_DAY, job_timeout_seconds=1.0)

    runs = report_jobs(graph.base_url)["runs"]
    assert [(r["outcome"], r["status"]) for r in runs[-2:]] == [
        ("stuck", "Job Running"),
        ("completed", "Job Completed"),
    ]
    assert loaded_insights(platform_env, FIRST_DAY) == sdk_insights(graph, START_DATE, FIRST_DAY)


@pytest.mark.slow
def test_a_range_whose_jobs_keep_failing_stops_the_run_with_one_line_and_loads_nothing(
    graph: Any, platform_env: PlatformPaths
) -> None:
    load_day(graph, FIRST_DAY)
    good = loaded_insights(platform_env, FIRST_DAY)
    next_day = FIRST_DAY + timedelta(days=1)
    graph.set_clock(now=day_end(next_day))
    arm_report_jobs(graph.base_url, "stuck", count=1)
    arm_report_jobs(graph.base_url, "failed", count=JOB_ATTEMPTS - 1)

    with pytest.raises(PipelineStepFailed) as caught:
        load_day(graph, next_day, job_timeout_seconds=1.0)

    since = FIRST_DAY + timedelta(days=1) - timedelta(days=7)
    message = one_line(caught.value)
    assert message == (
        f"facebook_ads.ad_insights: no insights for {ACCOUNT} "
        f"{max(since, START_DATE).isoformat()}..{next_day.isoformat()}: the report job ended "
        f"'Job Failed' on all {JOB_ATTEMPTS} attempts; nothing of this run was loaded, "
        "run the date again"
    )
    # nothing of the failed run is visible, the earlier date is intact ...
    assert loaded_insights(platform_env, next_day) == []
    assert raw(
        platform_env, f"SELECT count(*) FROM raw.facebook_ads__ads WHERE date = DATE '{next_day}'"
    ) == [(0,)]
    assert loaded_insights(platform_env, FIRST_DAY) == good
    # ... and running the date again reads the same window and loads it
    graph.clear_requests()
    load_day(graph, next_day)
    [job] = [r for r in insight_jobs(graph) if r["method"] == "POST"]
    assert f'"since":"{max(since, START_DATE).isoformat()}"' in job["query"]["time_range"]
    assert loaded_insights(platform_env, next_day) == sdk_insights(
        graph, max(since, START_DATE), next_day
    )


@pytest.mark.slow
def test_rate_limit_error_codes_are_backed_off_and_retried(
    graph: Any, platform_env: PlatformPaths
) -> None:
    graph.set_faults(path=f"/v26.0/{ACCOUNT}/adsets", status=429, count=2)  # code 17
    graph.set_faults(path=f"/v26.0/{ACCOUNT}/insights", status=429, count=1)  # code 80000
    graph.set_faults(path=f"/v26.0/{ACCOUNT}/campaigns", status=500, count=1)  # transient

    summary = load_day(graph, FIRST_DAY)

    statuses = [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in graph.requests()]
    assert statuses.count(("adsets", 400)) == 2
    assert statuses.count(("insights", 400)) == 1
    assert statuses.count(("campaigns", 500)) == 1
    expected = sorted(o["id"] for o in sdk_account(graph).get_ad_sets(fields=["id"]))
    loaded = raw(platform_env, "SELECT id FROM raw.facebook_ads__ad_sets")
    assert sorted(row[0] for row in loaded) == expected
    assert summary.rows["campaigns"] > 0
    assert loaded_insights(platform_env, FIRST_DAY) == sdk_insights(graph, START_DATE, FIRST_DAY)


@pytest.mark.slow
def test_a_malformed_insights_row_is_rejected_and_the_rest_loads(
    graph: Any, platform_env: PlatformPaths
) -> None:
    graph.set_faults(path="/v26.0/", malformed=True, count=1)  # the first list page read
    load_day(graph, FIRST_DAY)
    rejected = raw(
        platform_env,
        "SELECT resource, record_id, error FROM raw.facebook_ads__rejected_records",
    )
    assert len(rejected) == 1
    assert rejected[0][0] in RESOURCES


def run_cli(emulator: Any, token: str) -> subprocess.CompletedProcess[str]:
    return run_module(
        "sources.facebook_ads",
        "--date",
        FIRST_DAY.isoformat(),
        "--quiet",
        env={
            "SOURCES__USE_SANDBOX": "false",
            "SOURCES__FACEBOOK_ADS__BASE_URL": emulator.base_url,
            "SOURCES__FACEBOOK_ADS__ACCESS_TOKEN": token,
            "SOURCES__FACEBOOK_ADS__ACCOUNT_IDS": ACCOUNT_ID,  # text, without act_
            "SOURCES__FACEBOOK_ADS__START_DATE": START_DATE.isoformat(),
        },
    )


@pytest.mark.slow
def test_cli_loads_a_day_from_settings_without_leaking_the_token(
    graph: Any, platform_env: PlatformPaths
) -> None:
    result = run_cli(graph, TOKEN)

    assert result.returncode == 0, result.stderr
    assert "raw.facebook_ads__ad_insights" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    assert_nowhere_on_disk(TOKEN, platform_env)


@pytest.mark.slow
def test_cli_with_a_bad_token_fails_with_one_clear_line_without_the_token(
    graph: Any, platform_env: PlatformPaths
) -> None:
    wrong = "EAAwrongTokenThatMustNotLeak987654321"
    result = run_cli(graph, wrong)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: facebook_ads.")
    assert last.endswith(
        "the access token was refused (OAuthException 190): check setting "
        "sources.facebook_ads.access_token (env SOURCES__FACEBOOK_ADS__ACCESS_TOKEN)"
    )
    assert wrong not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_building_the_client_leaves_the_excepthook_and_the_sdk_defaults_alone() -> None:
    hook, graph_url = sys.excepthook, FacebookSession.GRAPH

    api = build_api("EAAanything", "http://127.0.0.1:9", app_id="123", app_secret="s3cret")

    assert sys.excepthook is hook  # crash_log=False: no crash reporter hooked in
    assert FacebookSession.GRAPH == graph_url == "https://graph.facebook.com"
    assert api._session.GRAPH == "http://127.0.0.1:9"
    assert api._session.appsecret_proof  # the app secret signs every request
