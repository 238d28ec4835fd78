"""The PayPal source: the account's transactions and balances through `paypal-server-sdk`.

Transactions come from Transaction Search (`GET /v1/reporting/transactions`) for the run's
window: searches of at most 31 days, 500 rows a page, a search PayPal finds too large halved
until it fits. PayPal lists a transaction up to three hours after it happened, so each window
starts `reporting_delay_hours` before the previous one ended: a late transaction arrives with
the next run (in that run's partition); staging keeps one row per transaction. Balances
(`GET /v1/reporting/balances`) are read as of the end of the run's date, one row a currency.
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
from sources.clock import day_start, run_now, yesterday
from sources.field_types import RECORD_JSON
from sources.paypal.client import (
    balances_as_of,
    build_client,
    dispute_details,
    dispute_pages,
    expected_transaction_fields,
    transaction_pages,
)
from sources.paypal.models import Balance, Dispute, Transaction
from sources.paypal.settings import API_BASE_URL, REPORTING_DELAY_HOURS
from sources.registry import SourceSpec
from sources.rejects import REJECTED_TABLE, RejectedRecord, validate_records
from sources.tables import to_table
from sources.windows import window_for

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

SOURCE = "paypal"
# The credentials the emulator (sandbox/paypal) accepts by default; not a secret.
SANDBOX_CLIENT_ID = "sandbox-paypal-client"
SANDBOX_CLIENT_SECRET = "sandbox-paypal-secret"


@dlt.source(name=SOURCE, max_table_nesting=0)
def paypal_source(
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    start_date: str = dlt.config.value,
    base_url: str = API_BASE_URL,
    reporting_delay_hours: float = REPORTING_DELAY_HOURS,
    run_date: date | None = None,
) -> list[DltResource]:
    """PayPal tables for the window ending with `run_date` (default: yesterday, UTC).

    `client_id` and `client_secret` are the REST app's credentials (secrets
    `sources.paypal.client_id` / `client_secret`); `start_date` (ISO date) is where the first
    run's backfill begins; `reporting_delay_hours` is how much each run re-reads before where
    the previous one ended; `base_url` points the SDK at the sandbox in local runs.
    """
    client = build_client(client_id, client_secret, base_url)
    first_day = date.fromisoformat(str(start_date))
    day = run_date or yesterday()
    # Whole seconds: PayPal's dates have no fractions.
    lookback = timedelta(seconds=round(float(reporting_delay_hours) * 3600))
    return [
        # no primary_key hint: it would also bind rejected_records, which share the resource
        dlt.resource(_read_transactions, name="transactions", write_disposition="append")(
            client, first_day, day, lookback
        ),
        dlt.resource(_read_balances, name="balances", write_disposition="append")(client, day),
        dlt.resource(_read_disputes, name="disputes", write_disposition="append")(
            client, first_day, day
        ),
    ]


SPEC = SourceSpec(
    name=SOURCE,
    build=paypal_source,
    resources=("transactions", "balances", "disputes"),
    sandbox_arguments=lambda base_url: {
        "base_url": base_url,
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
    },
    secret_settings=("SOURCES__PAYPAL__CLIENT_ID", "SOURCES__PAYPAL__CLIENT_SECRET"),
    table_models=(("transactions", Transaction), ("balances", Balance), ("disputes", Dispute)),
)


def _read_transactions(
    client: Any, start_date: date, run_date: date, lookback: timedelta
) -> Iterator[pa.Table]:
    now = run_now()
    window = window_for(
        run_date, start_date, dlt.current.resource_state(), lookback=lookback, now=now
    )
    # A row can come twice in one run when transactions arriving between two page requests
    # shift the pages, or when a search turns too large half-way; keep the first.
    seen: set[str] = set()
    yielded = False
    for details in transaction_pages(client, window.start, window.end, "transactions"):
        records = []
        for detail in details:
            info = detail.get("transaction_info") if isinstance(detail, dict) else None
            transaction_id = info.get("transaction_id") if isinstance(info, dict) else None
            if transaction_id is not None:
                if transaction_id in seen:
                    continue
                seen.add(transaction_id)
            if not isinstance(detail, dict):
                detail = {}
            # `id` names the record in rejected_records and warnings
            records.append({"id": transaction_id, **detail, RECORD_JSON: to_json(detail).decode()})
        drift.note(SOURCE, "transactions", records, expected_transaction_fields())
        yield from _tables(records, Transaction, "transactions", now)
        yielded = True
    if not yielded:
        # An empty file still marks this date as loaded for the table, so a reload that finds
        # nothing replaces what an earlier load of the date wrote.
        yield to_table([], Transaction)


def _read_disputes(client: Any, start_date: date, run_date: date) -> Iterator[pa.Table]:
    """The disputes opened, answered or decided in the run's window, each in full: the list
    gives summaries, so each is shown (a few a day: disputes are rare)."""
    now = run_now()
    window = window_for(run_date, start_date, dlt.current.resource_state(), now=now)
    yielded = False
    for summaries in dispute_pages(client, window.start, window.end, "disputes"):
        records = []
        for summary in summaries:
            detail = dispute_details(client, str(summary.get("dispute_id")), "disputes")
            # HATEOAS links say where this request was answered from, not what the dispute is
            kept = {key: value for key, value in detail.items() if key != "links"}
            records.append(
                {"id": detail.get("dispute_id"), **detail, RECORD_JSON: to_json(kept).decode()}
            )
        yield from _tables(records, Dispute, "disputes", now)
        yielded = True
    if not yielded:
        yield to_table([], Dispute)


def _read_balances(client: Any, run_date: date) -> Iterator[pa.Table]:
    now = run_now()
    as_of = min(day_start(run_date + timedelta(days=1)), now)
    payload = balances_as_of(client, as_of, "balances")
    common = {
        "as_of_time": payload.get("as_of_time"),
        "last_refresh_time": payload.get("last_refresh_time"),
        "account_id": payload.get("account_id"),
    }
    records = [
        {"id": balance.get("currency"), **common, **balance}
        for balance in payload.get("balances") or []
        if isinstance(balance, dict)
    ]
    yield from _tables(records, Balance, "balances", now)


def _tables(
    records: list[dict[str, Any]],
    model: type[Transaction | Balance | Dispute],
    resource: str,
    now: datetime,
) -> Iterator[pa.Table]:
    models, rejected = validate_records(records, model, SOURCE, resource, now)
    yield to_table(models, model)
    if rejected:
        yield dlt.mark.with_table_name(to_table(rejected, RejectedRecord), REJECTED_TABLE)
