"""The Facebook Ads source: campaigns, ad sets, ads and daily ad insights through the Graph API.

Campaigns, ad sets and ads are small, so every run reads the whole current list of each account
and lands it in the run's date partition. Daily insights per ad come from asynchronous report
jobs over the run's window, which reaches `lookback_days` back before where the previous window
ended: Facebook restates recent days as late conversions arrive, and the re-read days land again
in this run's partition, where staging keeps the latest version of each ad-day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.sources import DltResource
from pydantic import BaseModel

from sources.clock import run_now, yesterday
from sources.errors import SourceError
from sources.facebook_ads import models
from sources.facebook_ads.client import SOURCE, account_node, ad_account, build_api, cursor_pages
from sources.facebook_ads.reports import RESOURCE as INSIGHTS
from sources.facebook_ads.reports import insight_pages, job_ranges
from sources.facebook_ads.settings import (
    AD_FIELDS,
    AD_SET_FIELDS,
    CAMPAIGN_FIELDS,
    DEFAULT_ATTRIBUTION_WINDOWS,
    DEFAULT_JOB_TIMEOUT_SECONDS,
    DEFAULT_LOOKBACK_DAYS,
    GRAPH_URL,
    LEAD_ACTION_TYPES,
    PAGE_SIZE,
    PURCHASE_ACTION_TYPES,
)
from sources.registry import SourceSpec
from sources.rejects import REJECTED_TABLE, RejectedRecord, validate_records
from sources.tables import to_table
from sources.windows import window_for

if TYPE_CHECKING:  # the SDK is imported where the client is built (client.py), never at load
    import pyarrow as pa
    from facebook_business.api import FacebookAdsApi

log = logging.getLogger(__name__)

# table -> (SDK edge method of AdAccount, fields, model)
OBJECT_RESOURCES: dict[str, tuple[str, tuple[str, ...], type[BaseModel]]] = {
    "campaigns": ("get_campaigns", CAMPAIGN_FIELDS, models.Campaign),
    "ad_sets": ("get_ad_sets", AD_SET_FIELDS, models.AdSet),
    "ads": ("get_ads", AD_FIELDS, models.Ad),
}
RESOURCES = (*OBJECT_RESOURCES, INSIGHTS)


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """A list setting given as a list, or as text: comma-separated or a JSON array."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip().strip("[]")
        return [part.strip().strip("'\"") for part in text.split(",") if part.strip()]
    return [str(item) for item in value]


@dlt.source(name=SOURCE, max_table_nesting=0)
def facebook_ads_source(
    access_token: str = dlt.secrets.value,
    account_ids: Any = dlt.config.value,
    start_date: str = dlt.config.value,
    app_id: str | None = None,
    app_secret: TSecretStrValue | None = None,
    attribution_windows: Any = DEFAULT_ATTRIBUTION_WINDOWS,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    job_timeout_seconds: float = DEFAULT_JOB_TIMEOUT_SECONDS,
    base_url: str = GRAPH_URL,
    run_date: date | None = None,
) -> list[DltResource]:
    """Facebook Ads tables for the window ending with `run_date` (default: yesterday, UTC).

    `access_token` (and the optional `app_secret`, which adds `appsecret_proof`) are secrets;
    `account_ids` lists ad accounts, `act_` prefix optional; `attribution_windows` are the
    `action_attribution_windows` the conversion columns count; `base_url` points the SDK at
    the sandbox in local runs.
    """
    accounts = [account_node(a) for a in as_list(account_ids)]
    if not accounts:
        raise SourceError(SOURCE, "no ad accounts: set sources.facebook_ads.account_ids")
    windows = tuple(as_list(attribution_windows)) or DEFAULT_ATTRIBUTION_WINDOWS
    api = build_api(str(access_token), base_url, app_id, app_secret)
    first_day = date.fromisoformat(str(start_date))
    day = run_date or yesterday()
    resources = [
        dlt.resource(
            _read_objects,
            name=name,
            # no primary_key hint: it would also bind rejected_records, which share the resource
            write_disposition="append",
        )(api, accounts, name)
        for name in OBJECT_RESOURCES
    ]
    resources.append(
        dlt.resource(_read_insights, name=INSIGHTS, write_disposition="append")(
            api,
            accounts,
            windows,
            first_day,
            day,
            timedelta(days=int(lookback_days)),
            float(job_timeout_seconds),
        )
    )
    return resources


SANDBOX_ACCESS_TOKEN = "EAAsandboxFacebookAdsToken"  # the emulator's defaults
SANDBOX_ACCOUNT_ID = "act_1029384756"

SPEC = SourceSpec(
    name=SOURCE,
    build=facebook_ads_source,
    resources=RESOURCES,
    sandbox_arguments=lambda base_url: {
        "base_url": base_url,
        "access_token": SANDBOX_ACCESS_TOKEN,
        "account_ids": [SANDBOX_ACCOUNT_ID],
    },
    secret_settings=("SOURCES__FACEBOOK_ADS__ACCESS_TOKEN", "SOURCES__FACEBOOK_ADS__APP_SECRET"),
    table_models=(
        *((name, model) for name, (_, _, model) in OBJECT_RESOURCES.items()),
        (INSIGHTS, models.AdInsight),
    ),
)


def _tables(
    pages: Iterable[list[dict[str, Any]]], model: type[BaseModel], resource: str, now: datetime
) -> Iterator[Any]:
    """Validate each page into `model` and yield it as Arrow; always at least one table."""
    yielded = False
    for records in pages:
        valid, rejected = validate_records(records, model, SOURCE, resource, now)
        yield to_table(valid, model)
        yielded = True
        if rejected:
            yield dlt.mark.with_table_name(to_table(rejected, RejectedRecord), REJECTED_TABLE)
    if not yielded:
        # An empty file still marks this date as loaded for the table, so a reload that finds
        # nothing replaces what an earlier load of the date wrote.
        yield to_table([], model)


def _read_objects(api: FacebookAdsApi, accounts: list[str], name: str) -> Iterator[pa.Table]:
    """The whole current list of campaigns, ad sets or ads of every account."""
    method, fields, model = OBJECT_RESOURCES[name]
    now = run_now()

    def pages() -> Iterator[list[dict[str, Any]]]:
        for account in accounts:
            first_page = partial(
                getattr(ad_account(api, account), method),
                fields=list(fields),
                params={"limit": PAGE_SIZE},
            )
            for page in cursor_pages(first_page, name, account):
                yield [{**record, "snapshot_at": now} for record in page]

    yield from _tables(pages(), model, name, now)


def _read_insights(
    api: FacebookAdsApi,
    accounts: list[str],
    windows: tuple[str, ...],
    start_date: date,
    run_date: date,
    lookback: timedelta,
    job_timeout: float,
) -> Iterator[pa.Table]:
    """Daily insights per ad over the run's window, lookback included, for every account."""
    window = window_for(run_date, start_date, dlt.current.resource_state(), lookback=lookback)
    since, until = window.start.date(), (window.end - timedelta(microseconds=1)).date()
    now = run_now()
    label = ",".join(windows)

    def pages() -> Iterator[list[dict[str, Any]]]:
        if window.start >= window.end:
            return
        reports = [report for account in accounts for report in job_ranges(account, since, until)]
        for page in insight_pages(api, reports, windows, job_timeout):
            yield [flatten_insight(row, label, now) for row in page]

    yield from _tables(pages(), models.AdInsight, INSIGHTS, now)


def _first_action(entries: Any, action_types: Sequence[str]) -> str | None:
    """The `value` of the first of `action_types` present: they overlap, so never summed."""
    by_type = {
        entry.get("action_type"): entry.get("value")
        for entry in entries or ()
        if isinstance(entry, dict)
    }
    return next((by_type[t] for t in action_types if t in by_type), None)


def flatten_insight(row: dict[str, Any], windows: str, now: datetime) -> dict[str, Any]:
    """Graph's insights row with purchases and leads lifted out of `actions` into columns."""
    actions, values = row.get("actions"), row.get("action_values")
    return {
        **row,
        "purchases": _first_action(actions, PURCHASE_ACTION_TYPES) or 0,
        "purchase_value": _first_action(values, PURCHASE_ACTION_TYPES) or 0,
        "leads": _first_action(actions, LEAD_ACTION_TYPES) or 0,
        "attribution_windows": windows,
        "snapshot_at": now,
        # record id for rejected-record lines: the ad and the day
        "id": f"{row.get('ad_id')}:{row.get('date_start')}",
    }
