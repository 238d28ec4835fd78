"""The columns of every Google Ads table: one Pydantic model per resource.

Ids are Google's int64 ids. Money stays as the API gives it: `cost_micros` and
`budget_amount_micros` are integers in millionths of the account's `currency_code`;
`conversions` and `conversions_value` are floats (attribution credits fractions of a
conversion; the value is in the account's currency). Daily rows are keyed by
(`customer_id`, `campaign_id` or `ad_group_id`, `day`): the same keys in every run, so staging
can keep the newest partition's version of a restated day. `day` is `segments.date`, a day in
the account's time zone (named `day` because `date` is the lake's partition column).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class AdsRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    customer_id: int = Field(gt=0, description="Google Ads customer (account) id, no dashes")


class Account(AdsRecord):
    descriptive_name: str | None = None
    currency_code: str = Field(description="ISO 4217 code of the account's money fields")
    time_zone: str = Field(description="The account's time zone; `day` columns are days in it")
    manager: bool = Field(False, description="True for a manager (MCC) account")


class Campaign(AdsRecord):
    campaign_id: int = Field(gt=0)
    name: str
    status: str = Field(description="ENABLED, PAUSED or REMOVED")
    advertising_channel_type: str = Field(description="SEARCH, SHOPPING, DISPLAY, ...")
    start_date: date | None = Field(None, description="First day it serves (account time zone)")
    end_date: date | None = Field(
        None, description="Last day it serves; 2037-12-30 means no end date"
    )
    budget_amount_micros: int | None = Field(
        None, description="Daily budget, millionths of currency_code"
    )
    currency_code: str
    final_url_suffix: str | None = Field(None, description="Query string appended to ad URLs")
    utm_source: str | None = Field(None, description="From final_url_suffix")
    utm_medium: str | None = Field(None, description="From final_url_suffix")
    utm_campaign: str | None = Field(
        None, description="From final_url_suffix; joins ad spend to sessions and purchases"
    )


class AdGroup(AdsRecord):
    ad_group_id: int = Field(gt=0)
    campaign_id: int = Field(gt=0)
    name: str
    status: str = Field(description="ENABLED, PAUSED or REMOVED")


class CampaignDaily(AdsRecord):
    campaign_id: int = Field(gt=0)
    day: date = Field(description="segments.date: the day of the metrics (account time zone)")
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    cost_micros: int = Field(ge=0, description="Cost in millionths of currency_code")
    currency_code: str
    conversions: float = Field(ge=0, description="As reported on the read; restated for weeks")
    conversions_value: float = Field(ge=0, description="Value of conversions, in currency_code")


class AdGroupDaily(AdsRecord):
    campaign_id: int = Field(gt=0)
    ad_group_id: int = Field(gt=0)
    day: date = Field(description="segments.date: the day of the metrics (account time zone)")
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    cost_micros: int = Field(ge=0, description="Cost in millionths of currency_code")
    currency_code: str
    conversions: float = Field(ge=0, description="As reported on the read; restated for weeks")
    conversions_value: float = Field(ge=0, description="Value of conversions, in currency_code")
