"""marts.ad_attribution_daily over real loads of the five sources it reads, against the sandbox.

The expected numbers are computed here from the demo organisation (`sandbox.org.build_org`, with
the arguments the emulators use) and the emulators' own generators of ad delivery and traffic,
never from the warehouse. What each emulator serves as of its clock (the end of today) is
reproduced: Google Ads reports every day up to today; Facebook leaves out today and ad-days
without impressions; GA4 shows recent days partly processed (`completeness`), each cell rounded.

Tolerance: only where money is converted between currencies. Rates are applied in billionths
and each converted amount is rounded to NUMERIC's 9 decimals, so a converted total may differ
from the exact product by at most 1e-9 per row; everything else is compared exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from sandbox.facebook_ads.account import build_account
from sandbox.google_ads.account import build_ads
from sandbox.google_analytics.traffic import build_traffic, completeness
from sandbox.org import Organisation, epoch, utc_date
from sources.cli import main as load_cli
from sources.facebook_ads import SPEC as FACEBOOK_ADS
from sources.google_ads import SPEC as GOOGLE_ADS
from sources.google_analytics import SPEC as GOOGLE_ANALYTICS
from sources.registry import SourceSpec
from sqlmesh import Context
from tests.sqlmesh.conftest import PaymentsLoaded
from tests.sqlmesh.sandbox_org import sandbox_org

SQLMESH = PROJECT_ROOT / "sqlmesh"
MART = "marts.ad_attribution_daily"
MODELS = [
    "staging.stg_google_ads__campaigns",
    "staging.stg_google_ads__campaign_daily",
    "staging.stg_facebook_ads__campaigns",
    "staging.stg_facebook_ads__ad_insights",
    "staging.stg_google_analytics__traffic_daily",
    "staging.stg_fx__rates_daily",
    MART,
]
PER_CONVERTED_ROW = Decimal("1e-9")


@dataclass
class ChannelTotals:
    """What the mart should hold for one channel, summed over every day up to `last`."""

    spend: Decimal = Decimal(0)
    converted_rows: int = 0  # rows whose spend or revenue went through an exchange rate
    impressions: int = 0
    clicks: int = 0
    sessions: int = 0
    conversions: int = 0
    orders: int = 0
    new_customers: int = 0
    revenue: Decimal = Decimal(0)
    campaigns: set[str] = field(default_factory=set)


class StripeRates:
    """USD per EUR as Stripe records it: on each day with a converted EUR charge or refund."""

    def __init__(self, org: Organisation, last: date) -> None:
        stripe_eur = [p for p in org.purchases if p.processor == "stripe" and p.currency == "eur"]
        days = {utc_date(p.at) for p in stripe_eur if p.status == "paid"}
        refunded = {p.id for p in stripe_eur if p.status == "paid"}
        days |= {utc_date(r.at) for r in org.refunds if r.purchase_id in refunded}
        self.days = sorted(day for day in days if day <= last)
        self.org = org

    def usd_per(self, currency: str, day: date) -> Decimal | None:
        """The latest rate on or before `day`, as the mart takes it; None before the first."""
        if currency.lower() == "usd":
            return Decimal(1)
        seen = [d for d in self.days if d <= day]
        if not seen:
            return None
        return Decimal(str(self.org.fx_usd_per_eur(epoch(seen[-1]))))


def expected_totals(org: Organisation, last: date) -> dict[str, ChannelTotals]:
    """Channel -> totals over days up to `last`, from the organisation and the emulators."""
    rates = StripeRates(org, last)
    totals = {"google_ads": ChannelTotals(), "facebook_ads": ChannelTotals()}
    channel_of_utm = {
        c.utm_campaign: "google_ads" if c.channel == "google_ads" else "facebook_ads"
        for c in org.campaigns
    }

    ads = build_ads(org)
    currency_of = {account.id: account.currency_code for account in ads.accounts}
    campaign_of_group = {group.id: group.campaign_id for group in ads.ad_groups}
    account_of_campaign = {c.id: c.customer_id for c in ads.campaigns}
    google_days: dict[tuple[int, date], int] = defaultdict(int)  # cost micros per campaign-day
    for (group_id, day), metrics in ads.daily.items():
        if day <= last:
            google_days[(campaign_of_group[group_id], day)] += metrics.cost_micros
            totals["google_ads"].impressions += metrics.impressions
            totals["google_ads"].clicks += metrics.clicks
    for (campaign_id, day), micros in google_days.items():
        currency = currency_of[account_of_campaign[campaign_id]]
        rate = rates.usd_per(currency, day)
        assert rate is not None, f"no EUR rate on or before {day}"
        totals["google_ads"].spend += Decimal(micros) / 1_000_000 * rate
        totals["google_ads"].converted_rows += currency != "USD"
    totals["google_ads"].campaigns.update(campaign.name for campaign in ads.campaigns)

    account = build_account(org)
    for (_ad_id, day), ad_day in account.days.items():
        # Graph serves completed days only, and no row for an ad-day without impressions
        if day <= last and ad_day.impressions:
            totals["facebook_ads"].spend += Decimal(ad_day.spend_cents) / 100
            totals["facebook_ads"].impressions += ad_day.impressions
            totals["facebook_ads"].clicks += ad_day.clicks
    totals["facebook_ads"].campaigns.update(campaign.name for campaign in account.campaigns)

    now = org.end_epoch - 1  # the emulators' clock: the last second of today
    for cell in build_traffic(org):
        channel = channel_of_utm.get(cell.campaign)
        if channel and cell.day <= last:
            share = completeness(cell.day, now)
            totals[channel].sessions += round(cell.sessions * share)
            totals[channel].conversions += round(cell.key_events * share)

    add_attributed_purchases(org, last, rates, channel_of_utm, totals)
    return totals


def add_attributed_purchases(
    org: Organisation,
    last: date,
    rates: StripeRates,
    channel_of_utm: dict[str, str],
    totals: dict[str, ChannelTotals],
) -> None:
    """Paid Stripe purchases tagged with a campaign's UTM: orders, revenue, new customers."""
    paid = [p for p in org.purchases if p.status == "paid" and utc_date(p.at) <= last]
    first_day: dict[str, date] = {}
    for purchase in paid:  # either processor: a customer's first purchase ever
        day = utc_date(purchase.at)
        first_day[purchase.customer_id] = min(first_day.get(purchase.customer_id, day), day)
    new: dict[tuple[str, date], set[str]] = defaultdict(set)
    for purchase in paid:
        channel = channel_of_utm.get(purchase.utm_campaign or "")
        if purchase.processor != "stripe" or channel is None:
            continue
        day = utc_date(purchase.at)
        rate = rates.usd_per(purchase.currency, day)
        assert rate is not None
        totals[channel].orders += 1
        totals[channel].revenue += Decimal(purchase.amount) / 100 * rate
        totals[channel].converted_rows += purchase.currency != "usd"
        if first_day[purchase.customer_id] == day:
            new[(str(purchase.utm_campaign), day)].add(purchase.customer_id)
    for (utm, _day), customers in new.items():
        totals[channel_of_utm[utm]].new_customers += len(customers)


def close_enough(mart: Decimal, expected: Decimal, converted_rows: int) -> bool:
    return abs(mart - expected) <= PER_CONVERTED_ROW * converted_rows


def mart_totals(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[object, ...]]:
    rows = connection.execute(
        f"""
        SELECT channel, SUM(spend), SUM(impressions), SUM(clicks), SUM(sessions),
               SUM(conversions), SUM(orders), SUM(new_customers), SUM(attributed_revenue),
               LIST(DISTINCT campaign_name ORDER BY campaign_name)
        FROM {MART} GROUP BY channel
        """
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def one(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...]:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row


def load(specs: Sequence[SourceSpec], first: date, last: date) -> None:
    assert load_cli(specs, ["--start", str(first), "--end", str(last), "--quiet"]) == 0


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_ad_attribution_daily_matches_the_organisation(
    payments_loaded: PaymentsLoaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    first, last = payments_loaded.first, payments_loaded.last  # Stripe, PayPal: loaded
    # each source's first day backfills from its start_date; the next days re-read lookbacks,
    # so restated ad days and GA4 days land in several partitions and staging must dedupe them
    load([GOOGLE_ADS, FACEBOOK_ADS, GOOGLE_ANALYTICS], first, last)

    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        # only this mart and what it reads: other marts may read sources not loaded here
        context.plan(auto_apply=True, no_prompts=True, select_models=[f"+{MART}"])
        start = str(context.config.model_defaults.start)
        audited = context.audit(start=start, end=str(last), models=iter(MODELS))
    finally:
        context.close()
    assert audited, "an audit failed (SQLMesh printed which above)"

    expected = expected_totals(sandbox_org(), last)
    with duckdb.connect(str(payments_loaded.paths.warehouse), read_only=True) as connection:
        mart = mart_totals(connection)
        assert mart.keys() == expected.keys()
        for channel, want in expected.items():
            spend, impressions, clicks, sessions, conversions, orders, new, revenue, names = mart[
                channel
            ]
            assert isinstance(spend, Decimal)
            assert isinstance(revenue, Decimal)
            assert close_enough(spend, want.spend, want.converted_rows), (channel, spend, want)
            assert (impressions, clicks) == (want.impressions, want.clicks), channel
            assert (sessions, conversions) == (want.sessions, want.conversions), channel
            assert (orders, new) == (want.orders, want.new_customers), channel
            assert close_enough(revenue, want.revenue, want.converted_rows), (channel, revenue)
            assert names == sorted(want.campaigns), channel

        # the EUR account's spend went through a rate: the multi-currency path ran
        eur_rows, eur_spend, eur_in_usd = one(
            connection,
            f"SELECT COUNT(*), SUM(spend_account_currency), SUM(spend) FROM {MART} "
            "WHERE account_currency = 'eur'",
        )
        assert isinstance(eur_rows, int)
        assert eur_rows > 0
        assert isinstance(eur_spend, Decimal)
        assert isinstance(eur_in_usd, Decimal)
        assert eur_in_usd > eur_spend  # USD per EUR stayed above 1 in the sandbox

        # one row per restated ad day in staging although the lookbacks re-read days
        raw_rows, staged, distinct = one(
            connection,
            """
            SELECT
                (SELECT COUNT(*) FROM raw.google_ads__campaign_daily),
                COUNT(*), COUNT(DISTINCT (customer_id, campaign_id, day))
            FROM staging.stg_google_ads__campaign_daily
            """,
        )
        assert isinstance(raw_rows, int)
        assert isinstance(staged, int)
        assert raw_rows > staged == distinct
