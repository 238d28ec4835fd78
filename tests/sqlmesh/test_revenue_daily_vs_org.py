"""marts.revenue_daily against the demo organisation itself, not against the warehouse.

Stripe and PayPal are loaded from the sandbox for three days, with its clock at the last one's
nightly run (the first load backfills the organisation's whole history, so the mart holds every
day up to the last), and every row of the mart is compared with `sandbox.truth.Truth`'s figures,
computed from the organisation the emulators serve: per (day UTC, processor, product, currency) the
paid purchases (`transactions`, `gross`), the refunds (`refund_transactions`, `refunds`), the
chargebacks opened (`disputes`, `disputed`) and won (`disputes_won`, `dispute_reversals`), and
the set of rows itself. Fees are the emulators' own and are reconciled in test_revenue_daily.py.

What the organisation's numbers become on each processor:

- Stripe settles in USD: a EUR charge or refund appears as its balance transaction does,
  converted at the organisation's USD/EUR rate of its own moment and rounded to the cent
  (`round(amount * rate)`, as Stripe's emulator does); the day is the moment's UTC date.
- PayPal keeps each transaction's own currency. Its emulator writes dates in the account's
  time zone (UTC-7) and lists a transaction up to three hours late; the mart's day is still the
  UTC date of the moment the transaction was made. A transaction of the last evening that PayPal
  had not listed by the nightly run is not in the mart yet, nor in the truth at that moment.
- Failed purchases (Stripe failed charges, PayPal denied payments) are not sales.

Amounts are compared as exact decimals, to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import dlt
import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from sandbox.org import utc_date
from sandbox.truth import Truth, differences, mart_query
from sqlmesh import Context
from tests.sqlmesh.conftest import PaymentsLoaded
from tests.sqlmesh.sandbox_org import sandbox_org

SQLMESH = PROJECT_ROOT / "sqlmesh"
MART = "marts.revenue_daily"

Key = tuple[date, str, str, str]  # day, processor, product, currency
# transactions, gross, refund_transactions, refunds, disputes, disputed, disputes_won,
# dispute_reversals
Figures = tuple[int, Decimal, int, Decimal, int, Decimal, int, Decimal]


def mart_rows(warehouse: str) -> dict[Key, Figures]:
    with duckdb.connect(warehouse, read_only=True) as connection:
        found = connection.execute(mart_query("revenue_daily")[1]).fetchall()
    rows = {(row[0], row[1], row[2], row[3]): tuple(row[4:]) for row in found}
    assert len(rows) == len(found)  # one row per key
    return rows


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_revenue_daily_matches_the_organisations_purchases_and_refunds(
    payments_loaded: PaymentsLoaded,
) -> None:
    first, last = payments_loaded.first, payments_loaded.last  # the last three days

    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        # only this mart and what it reads; a failing blocking audit fails the plan
        context.plan(
            auto_apply=True,
            no_prompts=True,
            execution_time=payments_loaded.now,  # the nightly run of the last day loaded
            select_models=[f"+{MART}"],
        )
    finally:
        context.close()

    org = sandbox_org()
    for source in ("stripe", "paypal"):  # the first load's backfill reaches back to org.start
        backfill_from = date.fromisoformat(str(dlt.config[f"sources.{source}.start_date"]))
        assert backfill_from <= org.start, f"sources.{source}.start_date is after {org.start}"
    now = int(payments_loaded.now.timestamp())
    expected = Truth(org, now).revenue_daily(last)
    found = mart_rows(str(payments_loaded.paths.warehouse))
    mismatched = differences(found, expected)
    assert not mismatched, f"{len(mismatched)} rows differ:\n" + "\n".join(mismatched[:40])

    # not vacuous: rows of both processors, sales in EUR, refunds, and the days loaded one by one
    assert found
    assert {key[1] for key in found} == {"stripe", "paypal"}
    assert any(key[3] == "eur" and row[0] > 0 for key, row in found.items())  # PayPal's EUR
    assert any(  # and Stripe's EUR charges, converted: the settlement path is exercised
        p.processor == "stripe"
        and p.currency == "eur"
        and p.status == "paid"
        and utc_date(p.at) <= last
        for p in org.purchases
    )
    assert sum(row[2] for row in found.values()) > 0
    assert sum(row[3] for row in found.values()) > 0
    # chargebacks lost and won, weeks after their charges, each on its own day
    assert sum(row[4] for row in found.values()) > sum(row[6] for row in found.values()) > 0
    assert any(
        d.kind == "chargeback" and d.outcome == "lost" and d.closed_at and d.closed_at < now
        for d in org.disputes
    )
    recent = {key for key in found if first <= key[0] <= last}
    assert {key[1] for key in recent} == {"stripe", "paypal"}
    assert max(key[0] for key in found) == last
