"""The Google Ads source: accounts, campaigns, ad groups and their daily metrics, through GAQL.

Every table is one GAQL query per customer id, read with `GoogleAdsService.search_stream`;
each streamed batch (up to 10,000 rows) is validated into the table's model and yielded as
an Arrow table, records that do not fit going to `rejected_records`. Accounts, campaigns and
ad groups are read whole each run (a snapshot of the current settings). The daily tables read
`segments.date` over the run's window from `window_for`, reaching `lookback_days` before where
the previous window ended, because Google restates recent days' conversions: the re-read days
land in this run's partition again, newest values, and staging keeps the newest partition's
row of each (customer, campaign or ad group, day). Within one run no key appears twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import dlt
from dlt.sources import DltResource

from sources.clock import run_now, yesterday
from sources.errors import SourceError
from sources.google_ads.client import AdsReader, Connection
from sources.google_ads.settings import (
    API_BASE_URL,
    LOOKBACK_DAYS,
    RESOURCES,
    TOKEN_URI,
    AdsResource,
)
from sources.registry import SourceSpec
from sources.rejects import REJECTED_TABLE, RejectedRecord, validate_records
from sources.tables import to_table
from sources.windows import window_for

if TYPE_CHECKING:
    import pyarrow as pa
    from google.protobuf.descriptor import FieldDescriptor

log = logging.getLogger(__name__)

SOURCE = "google_ads"


@dlt.source(name=SOURCE, max_table_nesting=0)
def google_ads_source(
    customer_ids: list[str] = dlt.config.value,
    developer_token: str = dlt.secrets.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    refresh_token: str = dlt.secrets.value,
    start_date: str = dlt.config.value,
    login_customer_id: str | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    base_url: str = API_BASE_URL,
    token_uri: str = TOKEN_URI,
    run_date: date | None = None,
) -> list[DltResource]:
    """Google Ads tables for the window ending with `run_date` (default: yesterday, UTC).

    `customer_ids` are the accounts to read (digits, dashes allowed); `login_customer_id` is
    the manager account they are reached through, if any. The developer token and the OAuth
    client and refresh token are secrets. `start_date` (ISO date) is where the first run's
    backfill begins; `lookback_days` how far each later run re-reads daily metrics. `base_url`
    (the API) and `token_uri` (OAuth) point the client at the sandbox in local runs.
    """
    customers = normalized_customer_ids(customer_ids)
    connection = Connection(
        developer_token=developer_token,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        login_customer_id=normalized_customer_ids([login_customer_id], "login_customer_id")[0]
        if login_customer_id
        else None,
        base_url=base_url,
        token_uri=token_uri,
    )
    reader = AdsReader(connection)
    first_day = date.fromisoformat(str(start_date))
    day = run_date or yesterday()
    lookback = timedelta(days=int(lookback_days))
    return [
        dlt.resource(
            _read_resource,
            name=spec.name,
            # no primary_key hint: it would also bind rejected_records, which share the resource
            write_disposition="append",
        )(reader, spec, customers, first_day, day, lookback)
        for spec in RESOURCES
    ]


def _sandbox_arguments(base_url: str) -> dict[str, Any]:
    """Point the source at the emulator at `base_url` (gRPC and its OAuth endpoint share it)."""
    from sandbox.google_ads.account import CUSTOMER_IDS, MANAGER_ID
    from sandbox.google_ads.server import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_DEVELOPER_TOKEN,
        DEFAULT_REFRESH_TOKEN,
    )

    return {
        "base_url": base_url,
        "token_uri": f"{base_url}/token",
        "customer_ids": [str(customer_id) for customer_id in CUSTOMER_IDS],
        "login_customer_id": str(MANAGER_ID),
        "developer_token": DEFAULT_DEVELOPER_TOKEN,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": DEFAULT_REFRESH_TOKEN,
    }


SPEC = SourceSpec(
    name=SOURCE,
    build=google_ads_source,
    resources=tuple(spec.name for spec in RESOURCES),
    sandbox_arguments=_sandbox_arguments,
    secret_settings=(
        "SOURCES__GOOGLE_ADS__DEVELOPER_TOKEN",
        "SOURCES__GOOGLE_ADS__CLIENT_ID",
        "SOURCES__GOOGLE_ADS__CLIENT_SECRET",
        "SOURCES__GOOGLE_ADS__REFRESH_TOKEN",
    ),
    table_models=tuple((spec.name, spec.model) for spec in RESOURCES),
)


def normalized_customer_ids(
    values: Sequence[Any] | str, setting: str = "customer_ids"
) -> list[str]:
    """Ten-digit ids without dashes, in order, each once; a bad one stops with its setting."""
    if isinstance(values, str):
        values = [part for part in values.replace(";", ",").split(",")]
    ids: list[str] = []
    for value in values:
        digits = str(value).strip().replace("-", "")
        if not (digits.isdigit() and len(digits) == 10):
            raise SourceError(
                SOURCE,
                f"{value!r} is not a customer id (ten digits, dashes allowed): check setting "
                f"sources.google_ads.{setting} (env SOURCES__GOOGLE_ADS__{setting.upper()})",
            )
        if digits not in ids:
            ids.append(digits)
    if not ids:
        raise SourceError(
            SOURCE,
            f"no customer ids: set sources.google_ads.{setting} "
            f"(env SOURCES__GOOGLE_ADS__{setting.upper()})",
        )
    return ids


def _read_resource(
    reader: AdsReader,
    spec: AdsResource,
    customer_ids: list[str],
    start_date: date,
    run_date: date,
    lookback: timedelta,
) -> Iterator[pa.Table]:
    query = spec.query()
    if spec.daily:
        window = window_for(run_date, start_date, dlt.current.resource_state(), lookback=lookback)
        first, last = window.start.date(), (window.end - timedelta(days=1)).date()
        if first > last:
            yield to_table([], spec.model)
            return
        query = spec.query(first.isoformat(), last.isoformat())
    now = run_now()
    seen: set[tuple[Any, ...]] = set()
    yielded = False
    for customer_id in customer_ids:
        for batch in reader.stream(customer_id, query, spec.name):
            records = _new_records(batch, spec, seen)
            models, rejected = validate_records(records, spec.model, SOURCE, spec.name, now)
            yield to_table(models, spec.model)
            yielded = True
            if rejected:
                yield dlt.mark.with_table_name(to_table(rejected, RejectedRecord), REJECTED_TABLE)
    if not yielded:
        # An empty file still marks this date as loaded for the table, so a reload that finds
        # nothing replaces what an earlier load of the date wrote.
        yield to_table([], spec.model)


def _new_records(
    batch: list[Any], spec: AdsResource, seen: set[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """The batch's rows as records, without keys already read in this run (a restarted stream
    sends its first rows again)."""
    records = []
    for row in batch:
        record = {column: _field(row, path) for path, column in spec.columns}
        key = tuple(record[name] for name in spec.keys)
        if key in seen:
            continue
        seen.add(key)
        records.append(_derived(record, key))
    return records


def _derived(record: dict[str, Any], key: tuple[Any, ...]) -> dict[str, Any]:
    for name in ("start_date", "end_date"):
        if record.get(name):  # "yyyy-MM-dd HH:mm:ss" in the account's time zone
            record[name] = record[name][:10]
    if "final_url_suffix" in record:
        tags = parse_qs(record["final_url_suffix"] or "")
        for tag in ("utm_source", "utm_medium", "utm_campaign"):
            record[tag] = tags[tag][0] if tag in tags else None
    # `id` names the record in rejected_records: its key, as customer/entity/day
    record["id"] = "/".join(str(part) for part in key)
    return record


def _field(row: Any, path: str) -> Any:
    """A GAQL field's value from a protobuf `GoogleAdsRow`: enums by name, unset as None."""
    message = row
    *parents, leaf = path.split(".")
    for part in parents:
        message = getattr(message, part)
    descriptor: FieldDescriptor = message.DESCRIPTOR.fields_by_name[leaf]
    if descriptor.has_presence and not message.HasField(leaf):
        return None
    value = getattr(message, leaf)
    # the class constant read through the instance: no protobuf import when the module loads
    if descriptor.type == descriptor.TYPE_ENUM:
        return descriptor.enum_type.values_by_number[value].name
    return value
