"""The Stripe source: customers, catalogue, payments, billing and payouts through `StripeClient`.

The first run lists every object created since `start_date` (customers, products, prices and
subscriptions: all of them, whenever created, since newer payments refer to them). Later runs
read the Events API for the run's window: every object created, updated or deleted in it
arrives as the event's snapshot, newest version kept. Balance transactions have no events and
are immutable, so they are always listed by `created`. Each page is validated into the
resource's model and yielded as an Arrow table; records that do not fit go to
`rejected_records`. Fields Stripe sends that neither the model nor the SDK declares are noted as
drift (`sources.drift`), and the money records keep the object as received (`record_json`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import dlt
from dlt.sources import DltResource
from pydantic_core import to_json

from sources import drift
from sources.clock import run_now, yesterday
from sources.field_types import RECORD_JSON
from sources.registry import SourceSpec
from sources.rejects import REJECTED_TABLE, RejectedRecord, validate_records
from sources.stripe.client import build_client, expected_fields, list_pages
from sources.stripe.settings import API_BASE_URL, EVENTS_RETENTION_DAYS, RESOURCES, StripeResource
from sources.tables import to_table
from sources.windows import Window, window_for

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

SOURCE = "stripe"


@dlt.source(name=SOURCE, max_table_nesting=0)
def stripe_source(
    api_key: str = dlt.secrets.value,
    base_url: str = API_BASE_URL,
    start_date: str = dlt.config.value,
    run_date: date | None = None,
) -> list[DltResource]:
    """Stripe tables for the window ending with `run_date` (default: yesterday, UTC).

    `api_key` is a secret (`sources.stripe.api_key`); `start_date` (ISO date) is where the
    first run's backfill begins; `base_url` points the SDK at the sandbox in local runs.
    """
    client = build_client(api_key, base_url)
    first_day = date.fromisoformat(str(start_date))
    day = run_date or yesterday()
    return [
        dlt.resource(
            _read_resource,
            name=spec.name,
            # no primary_key hint: it would also bind rejected_records, which share the resource
            write_disposition="append",
            # dlt pages several resources at once (its extract workers, 5 by default): one's
            # wait for Stripe overlaps another's validation. Stripe allows 25 reads/s in test
            # mode, 100 live; a 429 is retried after its Retry-After.
            parallelized=True,
        )(client, spec, first_day, day)
        for spec in RESOURCES
    ]


SPEC = SourceSpec(
    name=SOURCE,
    build=stripe_source,
    resources=tuple(spec.name for spec in RESOURCES),
    sandbox_arguments=lambda base_url: {"base_url": base_url, "api_key": "sk_test_sandbox"},
    secret_settings=("SOURCES__STRIPE__API_KEY",),
    table_models=tuple((spec.name, spec.model) for spec in RESOURCES),
)


def _read_resource(
    client: Any, spec: StripeResource, start_date: date, run_date: date
) -> Iterator[pa.Table]:
    now = run_now()
    window = window_for(run_date, start_date, dlt.current.resource_state(), now=now)
    yielded = False
    for records in _changed_records(client, spec, window, now):
        drift.note(SOURCE, spec.name, records, expected_fields(spec))
        models, rejected = validate_records(records, spec.model, SOURCE, spec.name, now)
        yield to_table(models, spec.model)
        yielded = True
        if rejected:
            yield dlt.mark.with_table_name(to_table(rejected, RejectedRecord), REJECTED_TABLE)
    if not yielded:
        # An empty file still marks this date as loaded for the table, so a reload that finds
        # nothing replaces what an earlier load of the date wrote.
        yield to_table([], spec.model)


def _changed_records(
    client: Any, spec: StripeResource, window: Window, now: datetime
) -> Iterator[list[dict[str, Any]]]:
    """Pages of raw objects new or changed in `window`, each with `snapshot_at` and `deleted`."""
    events_kept_since = now - timedelta(days=EVENTS_RETENTION_DAYS)
    use_events = bool(spec.event_types) and not window.first
    if use_events and window.start < events_kept_since:
        log.warning(
            "stripe.%s: window starts %s, before the %d days Stripe keeps events; listing "
            "objects created since then instead (changes to older objects are missed)",
            spec.name,
            window.start.isoformat(),
            EVENTS_RETENTION_DAYS,
        )
        use_events = False
    if use_events:
        yield from _from_events(client, spec, window)
    else:
        yield from _from_list(client, spec, window, now)


def _created_filter(window: Window) -> dict[str, int]:
    return {"gte": window.start_epoch, "lt": window.end_epoch}


def _from_list(
    client: Any, spec: StripeResource, window: Window, now: datetime
) -> Iterator[list[dict[str, Any]]]:
    created = _created_filter(window)
    if window.first and spec.full_history:
        del created["gte"]
    params = {"created": created, **dict(spec.list_params)}
    snapshot_at = int(now.timestamp())
    keep_raw = RECORD_JSON in spec.model.model_fields
    for page in list_pages(client, spec.service, params, spec.name):
        yield [_record(item, snapshot_at, False, keep_raw) for item in page]


def _from_events(
    client: Any, spec: StripeResource, window: Window
) -> Iterator[list[dict[str, Any]]]:
    """The newest snapshot of each object that an event in `window` carried."""
    params = {"types": list(spec.event_types), "created": _created_filter(window)}
    seen: set[str] = set()  # ids only: events come newest first, so the first is the latest
    keep_raw = RECORD_JSON in spec.model.model_fields
    for page in list_pages(client, "events", params, spec.name):
        records = []
        for event in page:
            item = event["data"]["object"]
            if item.get("id") in seen:
                continue
            seen.add(item.get("id"))
            deleted = bool(item.get("deleted")) or event["type"].endswith(".deleted")
            records.append(_record(item, event["created"], deleted, keep_raw))
        yield records


def _record(
    item: dict[str, Any], snapshot_at: int, deleted: bool, keep_raw: bool
) -> dict[str, Any]:
    """`item` as its model reads it: with when this version was current, whether Stripe deleted
    the object, and (a money record's) the object as received."""
    record = {**item, "snapshot_at": snapshot_at, "deleted": deleted}
    if keep_raw:
        record[RECORD_JSON] = to_json(item).decode()
    return record
