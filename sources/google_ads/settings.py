"""Google Ads constants: API version and endpoints, the GAQL of each table, retry limits."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from sources.google_ads import models

API_VERSION = "v26"  # google-ads 34
API_BASE_URL = "https://googleads.googleapis.com"  # gRPC over TLS on port 443
TOKEN_URI = "https://oauth2.googleapis.com/token"
ADWORDS_SCOPE = "https://www.googleapis.com/auth/adwords"
LOOKBACK_DAYS = 14  # Google restates conversions for about two weeks (attribution delays)
TRANSIENT_RETRIES = 6  # attempts per stream for quota, UNAVAILABLE and INTERNAL errors
MAX_RETRY_DELAY_SECONDS = 60.0

DAILY_METRICS = (
    ("segments.date", "day"),
    ("metrics.impressions", "impressions"),
    ("metrics.clicks", "clicks"),
    ("metrics.cost_micros", "cost_micros"),
    ("metrics.conversions", "conversions"),
    ("metrics.conversions_value", "conversions_value"),
)


@dataclass(frozen=True)
class AdsResource:
    """One table: the GAQL that reads it, its columns, and the keys unique within a run."""

    name: str
    resource: str  # the GAQL FROM resource
    columns: tuple[tuple[str, str], ...]  # (GAQL field, column)
    model: type[BaseModel]
    keys: tuple[str, ...]
    daily: bool = False  # read by segments.date over the run's window, with the lookback

    def query(self, first_day: str | None = None, last_day: str | None = None) -> str:
        fields = ", ".join(field for field, _ in self.columns)
        query = f"SELECT {fields} FROM {self.resource}"
        if self.daily:
            query += f" WHERE segments.date BETWEEN '{first_day}' AND '{last_day}'"
        return query


RESOURCES: tuple[AdsResource, ...] = (
    AdsResource(
        "accounts",
        "customer",
        (
            ("customer.id", "customer_id"),
            ("customer.descriptive_name", "descriptive_name"),
            ("customer.currency_code", "currency_code"),
            ("customer.time_zone", "time_zone"),
            ("customer.manager", "manager"),
        ),
        models.Account,
        ("customer_id",),
    ),
    AdsResource(
        "campaigns",
        "campaign",
        (
            ("customer.id", "customer_id"),
            ("customer.currency_code", "currency_code"),
            ("campaign.id", "campaign_id"),
            ("campaign.name", "name"),
            ("campaign.status", "status"),
            ("campaign.advertising_channel_type", "advertising_channel_type"),
            ("campaign.start_date_time", "start_date"),
            ("campaign.end_date_time", "end_date"),
            ("campaign.final_url_suffix", "final_url_suffix"),
            ("campaign_budget.amount_micros", "budget_amount_micros"),
        ),
        models.Campaign,
        ("customer_id", "campaign_id"),
    ),
    AdsResource(
        "ad_groups",
        "ad_group",
        (
            ("customer.id", "customer_id"),
            ("campaign.id", "campaign_id"),
            ("ad_group.id", "ad_group_id"),
            ("ad_group.name", "name"),
            ("ad_group.status", "status"),
        ),
        models.AdGroup,
        ("customer_id", "ad_group_id"),
    ),
    AdsResource(
        "campaign_daily",
        "campaign",
        (
            ("customer.id", "customer_id"),
            ("customer.currency_code", "currency_code"),
            ("campaign.id", "campaign_id"),
            *DAILY_METRICS,
        ),
        models.CampaignDaily,
        ("customer_id", "campaign_id", "day"),
        daily=True,
    ),
    AdsResource(
        "ad_group_daily",
        "ad_group",
        (
            ("customer.id", "customer_id"),
            ("customer.currency_code", "currency_code"),
            ("campaign.id", "campaign_id"),
            ("ad_group.id", "ad_group_id"),
            *DAILY_METRICS,
        ),
        models.AdGroupDaily,
        ("customer_id", "ad_group_id", "day"),
        daily=True,
    ),
)
