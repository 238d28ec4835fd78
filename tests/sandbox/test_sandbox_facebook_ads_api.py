"""The Facebook emulator with the real `facebook-business` SDK: paging, async jobs, errors, data."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

from sandbox.facebook_ads.account import DEFAULT_ACCOUNT_ID, build_account
from sandbox.facebook_ads.server import (
    DEFAULT_ACCESS_TOKEN,
    FacebookAdsEmulator,
    arm_report_jobs,
    report_jobs,
    serve_in_thread,
)
from sandbox.org import DAY, build_org, epoch

ORG_START = date(2026, 7, 1)
ORG_END = date(2026, 10, 31)
ACCOUNT = f"act_{DEFAULT_ACCOUNT_ID}"
FIELDS = ["ad_id", "campaign_id", "spend", "impressions", "clicks", "actions", "action_values"]


@pytest.fixture(scope="module")
def emulator() -> FacebookAdsEmulator:
    return FacebookAdsEmulator(seed=7, start=ORG_START, end=ORG_END, page_cap=4)


@pytest.fixture(scope="module")
def _server(emulator: FacebookAdsEmulator) -> Iterator[str]:
    with serve_in_thread(emulator) as server:
        yield server.base_url


@pytest.fixture
def base_url(_server: str, emulator: FacebookAdsEmulator) -> Iterator[str]:
    now = emulator.clock.now
    yield _server
    emulator.clock.now = now
    emulator.faults.clear()
    emulator.graph.runs.clear()
    emulator.requests.clear()


def sdk(base_url: str, token: str = DEFAULT_ACCESS_TOKEN) -> AdAccount:
    api = FacebookAdsApi.init(access_token=token, api_version="v26.0", crash_log=False)
    api._session.GRAPH = base_url
    return AdAccount(ACCOUNT, api=api)


def day_end(day: date) -> int:
    return epoch(day) + DAY


def sync_insights(account: AdAccount, since: date, until: date, **params: Any) -> list[dict]:
    query = {
        "level": "ad",
        "time_increment": 1,
        "time_range": {"since": since.isoformat(), "until": until.isoformat()},
        "limit": 500,
        **params,
    }
    return [row.export_all_data() for row in account.get_insights(fields=FIELDS, params=query)]


def purchases(row: dict[str, Any]) -> int:
    found = [a for a in row.get("actions", []) if a["action_type"] == "omni_purchase"]
    return int(found[0]["value"]) if found else 0


def test_edges_page_with_after_cursors_and_next_links(
    base_url: str, emulator: FacebookAdsEmulator
) -> None:
    ads = list(sdk(base_url).get_ads(fields=["id", "name", "adset_id"], params={"limit": 100}))

    assert len(ads) == len(emulator.graph.account.ads) > 8
    assert len({ad["id"] for ad in ads}) == len(ads)
    pages = [r for r in emulator.requests.entries() if r["path"].endswith("/ads")]
    assert len(pages) == -(-len(ads) // 4)  # the page cap of 4, whatever limit asks
    assert "after" not in pages[0]["query"]
    assert all("after" in page["query"] for page in pages[1:])
    assert pages[0]["query"]["fields"] == "id,name,adset_id"  # GET sends them comma-joined


def test_last_page_has_cursors_but_no_next(base_url: str) -> None:
    url = f"{base_url}/v26.0/{ACCOUNT}/campaigns?access_token={DEFAULT_ACCESS_TOKEN}&limit=100"
    with urllib.request.urlopen(url) as response:
        body = json.loads(response.read())
    assert body["paging"]["cursors"]["after"]
    assert "next" not in body["paging"]
    with urllib.request.urlopen(url.replace("limit=100", "limit=1")) as response:
        first = json.loads(response.read())
    assert first["paging"]["next"].startswith(f"{base_url}/v26.0/{ACCOUNT}/campaigns?")


def test_async_report_runs_move_through_their_statuses_and_serve_the_sync_rows(
    base_url: str, emulator: FacebookAdsEmulator
) -> None:
    account = sdk(base_url)
    since, until = date(2026, 9, 14), date(2026, 9, 20)
    run = account.get_insights(
        fields=FIELDS,
        params={
            "level": "ad",
            "time_increment": 1,
            "time_range": {"since": since.isoformat(), "until": until.isoformat()},
        },
        is_async=True,
    )
    post = emulator.requests.entries()[-1]
    assert post["method"] == "POST"
    assert json.loads(post["query"]["fields"]) == FIELDS  # the async POST sends a JSON array

    statuses = []
    while not statuses or statuses[-1] != "Job Completed":
        statuses.append(run.api_get()[AdReportRun.Field.async_status])
        assert len(statuses) < 10
    assert statuses == ["Job Not Started", "Job Started", "Job Completed"]
    assert any(r["path"] == f"/v26.0/{run.get_id()}/" for r in emulator.requests.entries())

    rows = [row.export_all_data() for row in run.get_result(params={"limit": 500})]
    assert rows == sync_insights(account, since, until)
    assert {row["date_start"] for row in rows} == {
        (since + timedelta(days=n)).isoformat() for n in range(7)
    }
    assert all(row["date_start"] == row["date_stop"] for row in rows)


def test_report_results_are_refused_until_the_job_completes(base_url: str) -> None:
    run = sdk(base_url).get_insights(params={"level": "ad"}, is_async=True)
    with pytest.raises(FacebookRequestError) as caught:
        list(run.get_result())
    assert caught.value.api_error_code() == 100


def test_armed_jobs_fail_or_stay_stuck(base_url: str) -> None:
    account = sdk(base_url)
    arm_report_jobs(base_url, "failed")
    arm_report_jobs(base_url, "stuck")
    failed = account.get_insights(params={"level": "ad"}, is_async=True)
    stuck = account.get_insights(params={"level": "ad"}, is_async=True)
    for _ in range(6):
        failed.api_get()
        stuck.api_get()
    assert failed[AdReportRun.Field.async_status] == "Job Failed"
    assert stuck[AdReportRun.Field.async_status] == "Job Running"
    assert stuck[AdReportRun.Field.async_percent_completion] < 100
    assert [run["outcome"] for run in report_jobs(base_url)["runs"][-2:]] == ["failed", "stuck"]


def test_a_wrong_token_gets_graph_error_190(base_url: str) -> None:
    with pytest.raises(FacebookRequestError) as caught:
        list(sdk(base_url, token="EAAwrong").get_campaigns(fields=["id"]))
    error = caught.value
    assert error.api_error_code() == 190
    assert error.api_error_type() == "OAuthException"
    assert set(error.body()["error"]) >= {"message", "type", "code", "fbtrace_id"}


def test_missing_token_gets_error_104(base_url: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{base_url}/v26.0/{ACCOUNT}/campaigns")
    assert json.loads(caught.value.read())["error"]["code"] == 104


def test_injected_rate_limits_use_graph_codes(base_url: str, emulator: FacebookAdsEmulator) -> None:
    emulator.faults.add({"path": f"/v26.0/{ACCOUNT}/campaigns", "status": 429})
    emulator.faults.add({"path": f"/v26.0/{ACCOUNT}/insights", "status": 429})
    account = sdk(base_url)
    with pytest.raises(FacebookRequestError) as objects:
        list(account.get_campaigns(fields=["id"]))
    with pytest.raises(FacebookRequestError) as insights:
        account.get_insights(params={"level": "ad"}, is_async=True)
    assert (objects.value.api_error_code(), objects.value.http_status()) == (17, 400)
    assert insights.value.api_error_code() == 80000
    assert list(account.get_campaigns(fields=["id"]))  # one request each, then normal again


def test_a_malformed_fault_corrupts_one_insights_row(
    base_url: str, emulator: FacebookAdsEmulator
) -> None:
    emulator.faults.add({"path": f"/v26.0/{ACCOUNT}/insights", "malformed": True})
    rows = sync_insights(sdk(base_url), date(2026, 9, 14), date(2026, 9, 14))
    assert [row["spend"] for row in rows].count("not-a-number") == 1


def test_conversions_are_the_organisations_purchases_from_facebook_campaigns() -> None:
    org = build_org(seed=7, start=ORG_START, end=ORG_END)
    account = build_account(org)
    utms = {c.utm_campaign for c in org.campaigns if c.channel == "facebook"}
    assert len(account.campaigns) == len(utms) == 3
    bought = [p for p in org.purchases if p.utm_campaign in utms and p.status == "paid"]
    reported = [
        c for day in account.days.values() for c in day.conversions if c.action == "purchase"
    ]
    # every purchase is reported once, unless it came after the campaign's last delivered day
    assert 0.9 * len(bought) <= len(reported) <= len(bought)
    spend = sum(day.spend_cents for day in account.days.values())
    budgets = sum(
        c.daily_budget * ((min(c.end, ORG_END) - c.start).days + 1) for c in account.campaigns
    )
    assert 0.8 * budgets <= spend <= budgets
    assert build_account(build_org(seed=7, start=ORG_START, end=ORG_END)) == account


def test_recent_days_are_restated_as_late_conversions_arrive(
    base_url: str, emulator: FacebookAdsEmulator
) -> None:
    account_data = emulator.graph.account
    late = next(
        (day, c.lag_days)
        for (_, day), ad_day in sorted(account_data.days.items(), key=lambda kv: kv[0][1])
        for c in ad_day.conversions
        if c.action == "purchase" and c.lag_days >= 2
    )
    day, lag = late
    account = sdk(base_url)
    seen = []
    for later in range(lag + 1):
        emulator.clock.now = day_end(day + timedelta(days=later))
        seen.append(sum(purchases(r) for r in sync_insights(account, day, day)))
    assert seen[0] < seen[-1]
    assert seen == sorted(seen)  # conversions only arrive, never vanish
