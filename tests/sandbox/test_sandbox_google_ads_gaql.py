"""The Google Ads emulator's GAQL parser and query answering, without a server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sandbox.google_ads.account import RESTATEMENT_DAYS, build_ads, maturity
from sandbox.google_ads.gaql import Condition, Ordering, QueryError, parse
from sandbox.google_ads.rows import answer, to_message
from sandbox.org import build_org
from sources.google_ads.settings import RESOURCES

START, END = date(2026, 7, 1), date(2026, 10, 31)
SEARCH_ACCOUNT, SHOP_ACCOUNT = 5_550_001_001, 5_550_001_002


@pytest.fixture(scope="module")
def ads():  # type: ignore[no-untyped-def]
    return build_ads(build_org(seed=7, start=START, end=END))


def test_parses_select_from_where_order_limit_and_parameters() -> None:
    query = parse(
        "select campaign.id, segments.date FROM campaign WHERE segments.date BETWEEN "
        "'2026-07-01' AND '2026-07-31' AND campaign.status IN (ENABLED, 'PAUSED') "
        "AND metrics.clicks >= 3 ORDER BY segments.date DESC, campaign.id LIMIT 10 "
        "PARAMETERS include_drafts = true"
    )
    assert query.fields == ("campaign.id", "segments.date")
    assert query.resource == "campaign"
    assert query.conditions == (
        Condition("segments.date", "BETWEEN", ("2026-07-01", "2026-07-31")),
        Condition("campaign.status", "IN", ("ENABLED", "PAUSED")),
        Condition("metrics.clicks", ">=", (3,)),
    )
    assert query.order_by == (Ordering("segments.date", True), Ordering("campaign.id"))
    assert query.limit == 10
    assert query.parameters == {"include_drafts": "True"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("campaign.id FROM campaign", "EXPECTED_SELECT"),
        ("SELECT campaign.id campaign", "EXPECTED_FROM"),
        ("SELECT campaign.id FROM campaign WHERE campaign.name = 'open", "STRING_NOT_TERMINATED"),
        ("SELECT campaign.id FROM campaign WHERE segments.date BETWEEN 'a'", "EXPECTED_AND"),
        ("SELECT campaign.id FROM campaign LIMIT 0", "LIMIT_VALUE_TOO_LOW"),
        ("SELECT campaign.id FROM campaign WHERE", "UNEXPECTED_END_OF_QUERY"),
        ("SELECT campaign.id FROM campaign junk", "UNEXPECTED_INPUT"),
    ],
)
def test_malformed_queries_fail_with_the_apis_query_error(text: str, code: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse(text)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT campaign.colour FROM campaign", "UNRECOGNIZED_FIELD"),
        ("SELECT ad_group.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
        ("SELECT campaign.id FROM not_a_resource", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
        ("SELECT campaign.id, segments.date FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
        (
            "SELECT campaign.id FROM campaign WHERE segments.date >= '2026/07/01'",
            "INVALID_DATE_FORMAT",
        ),
        ("SELECT campaign.id FROM campaign WHERE campaign.status = 'LIVE'", "BAD_ENUM_CONSTANT"),
    ],
)
def test_queries_the_api_refuses_are_refused(ads, text: str, code: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError) as raised:
        answer(ads, parse(text), SEARCH_ACCOUNT, END)
    assert raised.value.code == code


def test_every_query_the_source_sends_is_answered(ads) -> None:  # type: ignore[no-untyped-def]
    for spec in RESOURCES:
        query = parse(spec.query("2026-07-01", "2026-07-31"))
        rows = answer(ads, query, SEARCH_ACCOUNT, END)
        assert rows, spec.name
        assert all(set(row) == set(query.fields) for row in rows)
        to_message(rows[0])  # builds the SDK's own GoogleAdsRow


def test_google_campaigns_are_the_organisations_google_ads_campaigns(ads) -> None:  # type: ignore[no-untyped-def]
    org = build_org(seed=7, start=START, end=END)
    google = [c for c in org.campaigns if c.channel == "google_ads"]
    assert [c.name for c in ads.campaigns] == [c.name for c in google]
    for ads_campaign, campaign in zip(ads.campaigns, google, strict=True):
        assert f"utm_campaign={campaign.utm_campaign}" in ads_campaign.final_url_suffix
        assert ads_campaign.start_date_time == f"{campaign.start} 00:00:00"


def test_campaign_days_are_the_sum_of_their_ad_groups(ads) -> None:  # type: ignore[no-untyped-def]
    between = "WHERE segments.date BETWEEN '2026-07-01' AND '2026-10-31'"
    metrics = "metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions"
    campaigns = answer(
        ads,
        parse(f"SELECT campaign.id, segments.date, {metrics} FROM campaign {between}"),
        SEARCH_ACCOUNT,
        END,
    )
    groups = answer(
        ads,
        parse(f"SELECT campaign.id, segments.date, {metrics} FROM ad_group {between}"),
        SEARCH_ACCOUNT,
        END,
    )
    totals: dict[tuple[int, str], list[float]] = {}
    for row in groups:
        total = totals.setdefault((row["campaign.id"], row["segments.date"]), [0, 0, 0, 0.0])
        for i, name in enumerate(metrics.split(", ")):
            total[i] += row[name]
    for row in campaigns:
        total = totals[(row["campaign.id"], row["segments.date"])]
        assert [row[n] for n in metrics.split(", ")[:3]] == total[:3]
        assert row["metrics.conversions"] == pytest.approx(total[3], abs=0.011)
        assert row["metrics.cost_micros"] % 10_000 == 0


def test_metrics_without_segments_are_summed_over_the_filtered_days(ads) -> None:  # type: ignore[no-untyped-def]
    where = "WHERE segments.date BETWEEN '2026-08-01' AND '2026-08-07'"
    daily = answer(
        ads,
        parse(f"SELECT campaign.id, segments.date, metrics.clicks FROM campaign {where}"),
        SEARCH_ACCOUNT,
        END,
    )
    summed = answer(
        ads, parse(f"SELECT campaign.id, metrics.clicks FROM campaign {where}"), SEARCH_ACCOUNT, END
    )
    by_campaign: dict[int, int] = {}
    for row in daily:
        by_campaign[row["campaign.id"]] = (
            by_campaign.get(row["campaign.id"], 0) + row["metrics.clicks"]
        )
    assert {row["campaign.id"]: row["metrics.clicks"] for row in summed} == by_campaign


def test_recent_days_conversions_are_restated_until_they_settle(ads) -> None:  # type: ignore[no-untyped-def]
    query = parse(
        "SELECT campaign.id, segments.date, metrics.clicks, metrics.conversions FROM campaign "
        "WHERE segments.date BETWEEN '2026-09-01' AND '2026-10-15'"
    )
    today = date(2026, 10, 16)
    before = {
        (r["campaign.id"], r["segments.date"]): r for r in answer(ads, query, SEARCH_ACCOUNT, today)
    }
    later = today + timedelta(days=3)
    after = {
        (r["campaign.id"], r["segments.date"]): r for r in answer(ads, query, SEARCH_ACCOUNT, later)
    }
    assert before.keys() == after.keys()
    recent = [
        k for k in before if date.fromisoformat(k[1]) > today - timedelta(days=RESTATEMENT_DAYS)
    ]
    settled = [
        k for k in before if date.fromisoformat(k[1]) < today - timedelta(days=RESTATEMENT_DAYS)
    ]
    assert any(after[k]["metrics.conversions"] > before[k]["metrics.conversions"] for k in recent)
    assert all(after[k] == before[k] for k in settled)
    assert all(after[k]["metrics.clicks"] == before[k]["metrics.clicks"] for k in recent)
    assert maturity(today, today) < maturity(today, later) < 1.0


def test_days_after_the_clock_do_not_exist_yet(ads) -> None:  # type: ignore[no-untyped-def]
    query = parse(
        "SELECT segments.date, metrics.clicks FROM customer "
        "WHERE segments.date BETWEEN '2026-07-01' AND '2026-10-31'"
    )
    rows = answer(ads, query, SEARCH_ACCOUNT, date(2026, 8, 10))
    assert max(row["segments.date"] for row in rows) == "2026-08-10"


def test_the_shop_account_reports_in_euros(ads) -> None:  # type: ignore[no-untyped-def]
    rows = answer(
        ads,
        parse("SELECT customer.currency_code, customer.time_zone FROM customer"),
        SHOP_ACCOUNT,
        END,
    )
    assert rows == [{"customer.currency_code": "EUR", "customer.time_zone": "Europe/Berlin"}]


def test_the_same_seed_gives_the_same_accounts() -> None:
    org = build_org(seed=3, start=START, end=END)
    assert build_ads(org) == build_ads(build_org(seed=3, start=START, end=END))
