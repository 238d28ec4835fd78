"""The demo organisation's Facebook ad account: campaigns, ad sets, ads and their daily delivery.

Facebook campaigns are the organisation's campaigns whose channel is `facebook`. Each gets a few
ad sets and ads. Spend follows the campaign's daily budget; the conversions are the
organisation's own: purchases tagged with the campaign's `utm_campaign` become `purchase`
actions, customers acquired through it become `lead` actions. Facebook reports a conversion on
the day of the ad interaction (impression or click), which can be up to a week before the
purchase itself, and only once the purchase has happened: so a recent day's conversions keep
growing over the following days (restatement), which is why extractors re-read a lookback.

Everything derives from `random.Random(f"{seed}-facebook_ads")`, drawn in a fixed order at
build time, so the same organisation always gives the same account.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from sandbox.org import DAY, Campaign, Organisation, epoch, utc_date

DEFAULT_ACCOUNT_ID = "1029384756"
ACCOUNT_NAME = "Northwind Data Academy Ads"
ACCOUNT_CURRENCY = "USD"

# How many days after the ad interaction a conversion happens; 0 = the same day.
_LAG_WEIGHTS = (40, 20, 12, 9, 7, 6, 6)
_OBJECTIVES = {"program": "OUTCOME_LEADS", "good": "OUTCOME_SALES", "brand": "OUTCOME_AWARENESS"}
_AUDIENCES = ("Lookalike 1%", "Interest: data & analytics", "Retargeting 30d", "Broad 25-54")
_CREATIVES = ("Video 15s", "Carousel", "Single image", "Testimonial")

ConversionKind = Literal["click", "view"]
Action = Literal["purchase", "lead"]


@dataclass(frozen=True, slots=True)
class FbCampaign:
    id: str
    name: str
    objective: str
    daily_budget: int  # minor units of the account currency
    created_time: int
    start: date
    end: date
    utm_campaign: str


@dataclass(frozen=True, slots=True)
class FbAdSet:
    id: str
    campaign_id: str
    name: str
    daily_budget: int
    optimization_goal: str
    billing_event: str
    bid_strategy: str
    targeting: dict[str, object]
    created_time: int


@dataclass(frozen=True, slots=True)
class FbAd:
    id: str
    adset_id: str
    campaign_id: str
    name: str
    creative_id: str
    created_time: int


@dataclass(frozen=True, slots=True)
class Conversion:
    """One purchase or lead, reported on the day of the ad interaction it is attributed to."""

    action: Action
    kind: ConversionKind  # click-through or view-through
    lag_days: int  # days from the ad interaction to the conversion
    happened_at: int  # when it happened; Facebook reports it only from then on
    value: Decimal  # in the account currency


@dataclass(slots=True)
class AdDay:
    """One ad's delivery on one day."""

    ad_id: str
    day: date
    spend_cents: int
    impressions: int
    clicks: int
    reach: int
    conversions: list[Conversion] = field(default_factory=list)


@dataclass
class AdAccount:
    id: str  # digits only; the API's node id is "act_<id>"
    name: str
    currency: str
    campaigns: list[FbCampaign]
    ad_sets: list[FbAdSet]
    ads: list[FbAd]
    days: dict[tuple[str, date], AdDay]

    @property
    def node_id(self) -> str:
        return f"act_{self.id}"

    def campaign_of(self, ad: FbAd) -> FbCampaign:
        return next(c for c in self.campaigns if c.id == ad.campaign_id)


def build_account(org: Organisation, account_id: str = DEFAULT_ACCOUNT_ID) -> AdAccount:
    """The organisation's Facebook ad account, deterministic from its seed."""
    rng = random.Random(f"{org.seed}-facebook_ads")
    serial = iter(range(1, 1_000_000))

    def graph_id() -> str:
        # Graph ids are long decimal strings; the serial keeps them unique.
        return f"1202{rng.randrange(10**6):06d}{next(serial):08d}"

    campaigns, ad_sets, ads = [], [], []
    days: dict[tuple[str, date], AdDay] = {}
    for source in (c for c in org.campaigns if c.channel == "facebook"):
        campaign = FbCampaign(
            id=graph_id(),
            name=source.name,
            objective=_OBJECTIVES[source.target],
            daily_budget=source.daily_budget,
            created_time=epoch(source.start) - 3 * DAY + rng.randrange(8 * 3600, 18 * 3600),
            start=source.start,
            end=source.end,
            utm_campaign=source.utm_campaign,
        )
        campaigns.append(campaign)
        campaign_ads: list[FbAd] = []
        n_sets = rng.randint(2, 3)
        for audience in rng.sample(_AUDIENCES, k=n_sets):
            ad_set = FbAdSet(
                id=graph_id(),
                campaign_id=campaign.id,
                name=f"{source.name} - {audience}",
                daily_budget=source.daily_budget // n_sets,
                optimization_goal="OFFSITE_CONVERSIONS",
                billing_event="IMPRESSIONS",
                bid_strategy="LOWEST_COST_WITHOUT_CAP",
                targeting={"age_min": 25, "age_max": 54, "geo_locations": {"countries": ["US"]}},
                created_time=campaign.created_time + rng.randrange(60, 3600),
            )
            ad_sets.append(ad_set)
            for creative in rng.sample(_CREATIVES, k=rng.randint(2, 3)):
                ad = FbAd(
                    id=graph_id(),
                    adset_id=ad_set.id,
                    campaign_id=campaign.id,
                    name=f"{source.name} - {audience} - {creative}",
                    creative_id=graph_id(),
                    created_time=ad_set.created_time + rng.randrange(60, 3600),
                )
                campaign_ads.append(ad)
        ads.extend(campaign_ads)
        _deliver(rng, org, source, campaign_ads, days)
        _convert(rng, org, source, campaign_ads, days)
    return AdAccount(account_id, ACCOUNT_NAME, ACCOUNT_CURRENCY, campaigns, ad_sets, ads, days)


def _deliver(
    rng: random.Random,
    org: Organisation,
    source: Campaign,
    ads: list[FbAd],
    days: dict[tuple[str, date], AdDay],
) -> None:
    """Daily spend, impressions, clicks and reach of each ad while its campaign runs."""
    weights = [rng.uniform(0.5, 1.5) for _ in ads]
    day = source.start
    while day <= min(source.end, org.end):
        budget = source.daily_budget * rng.uniform(0.82, 1.0)
        for ad, weight in zip(ads, weights, strict=True):
            spend = round(budget * weight / sum(weights))
            clicks = round(spend / 100 / rng.uniform(0.45, 1.6))
            impressions = max(clicks, round(clicks / rng.uniform(0.008, 0.025)))
            reach = round(impressions / rng.uniform(1.05, 1.6))
            days[(ad.id, day)] = AdDay(ad.id, day, spend, impressions, clicks, reach)
        day += timedelta(days=1)


def _convert(
    rng: random.Random,
    org: Organisation,
    source: Campaign,
    ads: list[FbAd],
    days: dict[tuple[str, date], AdDay],
) -> None:
    """Attach the organisation's purchases and sign-ups from this campaign to ad-days."""
    events: list[tuple[int, Action, Decimal]] = [
        (p.at, "purchase", _in_usd(org, p.amount, p.currency, p.at))
        for p in org.purchases
        if p.utm_campaign == source.utm_campaign and p.status == "paid"
    ]
    events += [
        (c.signed_up_at, "lead", Decimal(0))
        for c in org.customers
        if c.utm_campaign == source.utm_campaign
    ]
    events.sort(key=lambda event: (event[0], event[1]))
    for at, action, value in events:
        kind: ConversionKind = "click" if rng.random() < 0.8 else "view"
        lag = (
            rng.choices(range(len(_LAG_WEIGHTS)), weights=_LAG_WEIGHTS)[0] if kind == "click" else 0
        )
        reported = min(max(utc_date(at) - timedelta(days=lag), source.start), source.end)
        ad = rng.choice(ads)
        ad_day = days.get((ad.id, reported))
        if ad_day is None:
            continue  # the ad delivered nothing that day (after the organisation's range)
        lag_days = (utc_date(at) - reported).days
        ad_day.conversions.append(Conversion(action, kind, lag_days, at, value))
        if kind == "click":
            ad_day.clicks = max(ad_day.clicks, sum(c.kind == "click" for c in ad_day.conversions))


def _in_usd(org: Organisation, amount: int, currency: str, at: int) -> Decimal:
    units = Decimal(amount) / 100
    if currency == "eur":
        units *= Decimal(str(org.fx_usd_per_eur(at)))
    return units.quantize(Decimal("0.01"))
