"""The columns of every Facebook Ads table: one Pydantic model per resource.

Graph sends numbers as strings; they are parsed here. Money is a Decimal with declared precision
(`decimal(18, 4)`) beside the account currency, never a float. Budgets stay in the account
currency's minor units, as Graph sends them. Every row carries `snapshot_at` (when it was read)
so staging can keep the latest version of each object or ad-day.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from sources.field_types import JsonText

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]


class GraphObject(BaseModel):
    """Fields common to campaigns, ad sets and ads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(description="Graph id of the object")
    account_id: str = Field(description="Ad account id, without the act_ prefix")
    name: str
    status: str = Field(description="ACTIVE, PAUSED, DELETED or ARCHIVED, as configured")
    configured_status: str | None = None
    effective_status: str | None = Field(
        None, description="Status including its parents', e.g. CAMPAIGN_PAUSED"
    )
    created_time: datetime
    updated_time: datetime | None = None
    snapshot_at: datetime = Field(description="When this version was read (UTC)")


class Campaign(GraphObject):
    objective: str | None = None
    buying_type: str | None = None
    daily_budget: int | None = Field(None, description="Minor units of the account currency")
    lifetime_budget: int | None = Field(None, description="Minor units of the account currency")
    start_time: datetime | None = None
    stop_time: datetime | None = None


class AdSet(GraphObject):
    campaign_id: str
    daily_budget: int | None = Field(None, description="Minor units of the account currency")
    lifetime_budget: int | None = Field(None, description="Minor units of the account currency")
    optimization_goal: str | None = None
    billing_event: str | None = None
    bid_strategy: str | None = None
    targeting: JsonText | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None


class Ad(GraphObject):
    campaign_id: str
    adset_id: str
    creative_id: str | None = Field(None, validation_alias=AliasPath("creative", "id"))


class AdInsight(BaseModel):
    """One ad's delivery and conversions on one day (`level=ad`, `time_increment=1`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # `date` is the lake's partition key (the run's date), so the day reported keeps Graph's name.
    date_start: date = Field(description="The day reported, in the ad account's time zone")
    date_stop: date
    account_id: str
    account_name: str | None = None
    account_currency: str = Field(description="Currency of spend and values")
    campaign_id: str
    campaign_name: str | None = None
    adset_id: str
    adset_name: str | None = None
    ad_id: str
    ad_name: str | None = None
    spend: Money = Field(description="Amount spent, account currency")
    impressions: int
    clicks: int = 0
    reach: int | None = None
    purchases: int = Field(0, description="Purchase actions in the attribution windows")
    purchase_value: Money = Field(Decimal(0), description="Their value, account currency")
    leads: int = Field(0, description="Lead actions in the attribution windows")
    attribution_windows: str = Field(description="The windows the actions count, e.g. 7d_click")
    actions: JsonText | None = Field(None, description="Every action type and window, as sent")
    action_values: JsonText | None = None
    snapshot_at: datetime = Field(description="When this version of the day was read (UTC)")
