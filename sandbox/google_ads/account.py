"""The demo organisation's Google Ads accounts: campaigns, ad groups and daily metrics.

Google campaigns are the organisation's campaigns whose channel is Google Ads; their names and
final URL suffixes carry the organisation's UTM tags, so ad spend joins to the sessions and
purchases they brought. Daily clicks follow the customers each campaign acquired and the
purchases attributed to it; cost follows clicks. Conversions are restated: a day's reported
conversions grow towards their final value for `RESTATEMENT_DAYS` after the day, as Google's
attribution does, so re-reading recent days gives new values. All randomness comes from
`random.Random(f"{seed}-google_ads")`, drawn in a fixed order, so the same organisation always
gives the same accounts whatever the emulator's clock says.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sandbox.org import Campaign, Organisation, epoch, utc_date

RESTATEMENT_DAYS = 14  # a day's conversions keep changing this long after the day
MICROS = 1_000_000
COST_STEP_MICROS = 10_000  # Google reports cost in whole hundredths of a currency unit

MANAGER_ID = 4_000_000_001
MANAGER_NAME = "Northwind Data Academy (manager)"

ChannelType = Literal["SEARCH", "SHOPPING"]


@dataclass(frozen=True, slots=True)
class AdsAccount:
    """A client account (a Google Ads "customer") under the organisation's manager account."""

    id: int
    descriptive_name: str
    currency_code: str
    time_zone: str
    manager: bool = False

    @property
    def resource_name(self) -> str:
        return f"customers/{self.id}"


# (id, name, currency, time zone, which org campaign targets it serves)
_ACCOUNTS: tuple[tuple[int, str, str, str, tuple[str, ...]], ...] = (
    (
        5_550_001_001,
        "Northwind Data Academy - Search",
        "USD",
        "America/New_York",
        ("brand", "program"),
    ),
    (5_550_001_002, "Northwind Data Academy - Shop EU", "EUR", "Europe/Berlin", ("good",)),
)
CUSTOMER_IDS: tuple[int, ...] = tuple(account[0] for account in _ACCOUNTS)

# Ad group names per campaign target, with the Google channel type of such campaigns.
_AD_GROUPS: dict[str, tuple[ChannelType, tuple[str, ...]]] = {
    "brand": ("SEARCH", ("Brand - Exact", "Brand - Phrase")),
    "program": ("SEARCH", ("Programs - Data", "Programs - Python", "Programs - Careers")),
    "good": ("SHOPPING", ("Shop - Books", "Shop - Tech")),
}

# target -> (click-through rate range, cost per click range in usd)
_AUCTION: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "brand": ((0.12, 0.22), (0.35, 0.90)),
    "program": ((0.03, 0.08), (1.50, 3.50)),
    "good": ((0.006, 0.015), (0.25, 0.80)),
}


@dataclass(frozen=True, slots=True)
class AdsCampaign:
    id: int
    customer_id: int
    name: str
    status: str  # CampaignStatusEnum name
    advertising_channel_type: ChannelType
    start_date_time: str  # "yyyy-MM-dd HH:mm:ss" in the account's time zone, as the API gives
    end_date_time: str
    budget_id: int
    budget_amount_micros: int  # daily budget in the account's currency
    final_url_suffix: str
    org_campaign_id: str

    @property
    def resource_name(self) -> str:
        return f"customers/{self.customer_id}/campaigns/{self.id}"

    @property
    def budget_resource_name(self) -> str:
        return f"customers/{self.customer_id}/campaignBudgets/{self.budget_id}"


@dataclass(frozen=True, slots=True)
class AdsAdGroup:
    id: int
    campaign_id: int
    customer_id: int
    name: str
    status: str  # AdGroupStatusEnum name

    @property
    def resource_name(self) -> str:
        return f"customers/{self.customer_id}/adGroups/{self.id}"


@dataclass(frozen=True, slots=True)
class DailyMetrics:
    """One ad group's day, with conversions at their final (fully attributed) value."""

    impressions: int
    clicks: int
    cost_micros: int
    conversions: float
    conversions_value: float


@dataclass(frozen=True, slots=True)
class AdsData:
    accounts: tuple[AdsAccount, ...]
    campaigns: tuple[AdsCampaign, ...]
    ad_groups: tuple[AdsAdGroup, ...]
    # (ad group id, day) -> final metrics; only days a campaign ran
    daily: dict[tuple[int, date], DailyMetrics]

    def account(self, customer_id: int) -> AdsAccount | None:
        return next((a for a in self.accounts if a.id == customer_id), None)

    def daily_by_group(
        self, ad_group_ids: Iterable[int]
    ) -> Iterator[tuple[tuple[int, date], DailyMetrics]]:
        wanted = set(ad_group_ids)
        return ((key, final) for key, final in self.daily.items() if key[0] in wanted)


def maturity(day: date, today: date) -> float:
    """The share of a day's final conversions reported by `today` (1.0 once settled)."""
    age = (today - day).days
    if age >= RESTATEMENT_DAYS:
        return 1.0
    return 0.55 + 0.45 * max(age, 0) / RESTATEMENT_DAYS


def reported_conversions(final: DailyMetrics, day: date, today: date) -> tuple[float, float]:
    """(conversions, conversions_value) as the API reports `day` on `today`."""
    share = maturity(day, today)
    return round(final.conversions * share, 2), round(final.conversions_value * share, 2)


def build_ads(org: Organisation) -> AdsData:
    rng = random.Random(f"{org.seed}-google_ads")
    accounts = tuple(
        AdsAccount(id_, name, currency, zone) for id_, name, currency, zone, _ in _ACCOUNTS
    )
    signups: dict[tuple[str, date], int] = defaultdict(int)
    for customer in org.customers:
        if customer.utm_campaign:
            signups[(customer.utm_campaign, utc_date(customer.signed_up_at))] += 1
    sales: dict[tuple[str, date], list[float]] = defaultdict(list)  # usd values of paid purchases
    for purchase in org.purchases:
        if purchase.utm_campaign and purchase.status == "paid":
            usd = purchase.amount / 100
            if purchase.currency == "eur":
                usd *= org.fx_usd_per_eur(purchase.at)
            sales[(purchase.utm_campaign, utc_date(purchase.at))].append(usd)

    campaigns: list[AdsCampaign] = []
    ad_groups: list[AdsAdGroup] = []
    daily: dict[tuple[int, date], DailyMetrics] = {}
    for campaign in org.campaigns:
        if campaign.channel != "google_ads":
            continue
        number = int(campaign.id.removeprefix("CMP"))
        account = next(
            AdsAccount(id_, name, currency, zone)
            for id_, name, currency, zone, targets in _ACCOUNTS
            if campaign.target in targets
        )
        channel, group_names = _AD_GROUPS[campaign.target]
        ads_campaign = _campaign(org, campaign, account, number, channel)
        campaigns.append(ads_campaign)
        groups = [
            AdsAdGroup(
                id=150_000_000_000 + number * 100 + k,
                campaign_id=ads_campaign.id,
                customer_id=account.id,
                name=name,
                status="ENABLED",
            )
            for k, name in enumerate(group_names, 1)
        ]
        ad_groups.extend(groups)
        weights = [rng.uniform(0.5, 1.5) for _ in groups]
        (ctr_low, ctr_high), (cpc_low, cpc_high) = _AUCTION[campaign.target]
        day = max(campaign.start, org.start)
        while day <= min(campaign.end, org.end):
            joined = signups.get((campaign.utm_campaign, day), 0)
            values = sales.get((campaign.utm_campaign, day), [])
            clicks = round(
                (joined + 0.5 * len(values) + rng.uniform(1, 4)) / rng.uniform(0.05, 0.12)
            )
            impressions = max(clicks, round(clicks / rng.uniform(ctr_low, ctr_high)))
            to_account = (
                1.0 if account.currency_code == "USD" else 1 / org.fx_usd_per_eur(epoch(day))
            )
            cpc = rng.uniform(cpc_low, cpc_high) * to_account
            cost_steps = round(clicks * cpc * MICROS / COST_STEP_MICROS)
            # Attribution credits fractions of conversions (data-driven attribution).
            credit = rng.uniform(0.85, 1.1)
            conversions = len(values) * credit
            value = sum(values) * to_account * credit
            parts = zip(
                _split(impressions, weights),
                _split(clicks, weights),
                _split(cost_steps, weights),
                _split_float(conversions, weights),
                _split_float(value, weights),
                strict=True,
            )
            for group, (imp, clk, steps, conv, val) in zip(groups, parts, strict=True):
                daily[(group.id, day)] = DailyMetrics(imp, clk, steps * COST_STEP_MICROS, conv, val)
            day += timedelta(days=1)
    return AdsData(accounts, tuple(campaigns), tuple(ad_groups), daily)


def _campaign(
    org: Organisation, campaign: Campaign, account: AdsAccount, number: int, channel: ChannelType
) -> AdsCampaign:
    budget = campaign.daily_budget * 10_000  # usd cents -> micros
    if account.currency_code == "EUR":
        budget = round(budget / org.fx_usd_per_eur(org.start_epoch) / 10_000) * 10_000
    # Brand search runs without an end date: the API reports the far-future sentinel.
    end = (
        "2037-12-30 23:59:59"
        if campaign.target == "brand"
        else f"{campaign.end.isoformat()} 23:59:59"
    )
    return AdsCampaign(
        id=21_000_000_000 + number,
        customer_id=account.id,
        name=campaign.name,
        status="ENABLED",
        advertising_channel_type=channel,
        start_date_time=f"{campaign.start.isoformat()} 00:00:00",
        end_date_time=end,
        budget_id=9_000_000_000 + number,
        budget_amount_micros=int(budget),
        final_url_suffix=(
            f"utm_source={campaign.utm_source}&utm_medium={campaign.utm_medium}"
            f"&utm_campaign={campaign.utm_campaign}"
        ),
        org_campaign_id=campaign.id,
    )


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` in whole units over `weights`, summing exactly (largest remainder)."""
    scale = sum(weights)
    shares = [total * w / scale for w in weights]
    parts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: shares[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _split_float(total: float, weights: list[float]) -> list[float]:
    """`total` in hundredths over `weights`, so the parts add up to the rounded total."""
    return [cents / 100 for cents in _split(round(total * 100), weights)]
