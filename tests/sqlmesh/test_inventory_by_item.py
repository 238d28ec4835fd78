"""marts.inventory_by_item over real Stripe, PayPal and Google Sheets loads from the sandbox.

The expected rows are computed from `sandbox.org.build_org(...)`, the organisation the emulators
serve, never from the warehouse: stock on hand from the goods' initial stock, paid purchases and
restocks at the moment the sheet was read; units sold from the paid purchases of goods in the 28
days up to the snapshot's date. Each day's sheet snapshot is read at the end of the day after it
(the daily run reads it the next day), so on hand already reflects that day's sales while units
sold count only the days up to the snapshot date, as the mart defines them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from sandbox.org import Organisation, utc_date
from sqlmesh import Context
from tests.sqlmesh.conftest import PaymentsLoaded
from tests.sqlmesh.sandbox_org import end_of, load_sheets, sandbox_org

SQLMESH = PROJECT_ROOT / "sqlmesh"
DAY = timedelta(days=1)
MART = "marts.inventory_by_item"
MODELS = (
    "staging.stg_google_sheets__inventory",
    "staging.stg_stripe__charges",
    "staging.stg_paypal__transactions",
    MART,
)
COLUMNS = (
    "item_name, on_hand, reorder_point, unit_cost, stock_value, units_sold_28d, "
    "avg_daily_units_sold, days_of_cover, below_reorder_point, as_of_date"
)
Row = tuple[Any, ...]


def expected_rows(org: Organisation, as_of: date) -> dict[str, Row]:
    """The mart's rows from the organisation, for the sheet read at the end of `as_of` + 1."""
    sheet_read_at = end_of(as_of + DAY)
    first_sales_day = as_of - 27 * DAY
    rows = {}
    for good in org.goods:
        paid = [p for p in org.purchases if p.item_id == good.id and p.status == "paid"]
        restocked = [r for r in org.restocks if r.good_id == good.id]
        on_hand = (
            good.initial_stock
            - sum(p.quantity for p in paid if p.at <= sheet_read_at)
            + sum(r.quantity for r in restocked if r.at <= sheet_read_at)
        )
        sold = sum(p.quantity for p in paid if first_sales_day <= utc_date(p.at) <= as_of)
        # the stock sheet's convention (sandbox/google_sheets/workbook.py): a unit costs the
        # organisation 40% of its USD list price, rounded to the cent
        unit_cost = Decimal(round(good.prices["usd"] * 0.4)) / 100
        rows[good.sku] = (
            good.name,
            on_hand,
            good.reorder_point,
            unit_cost,
            on_hand * unit_cost,
            sold,
            sold / 28,
            on_hand * 28 / sold if sold else None,
            on_hand <= good.reorder_point,
            as_of,
        )
    return rows


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_inventory_by_item_matches_the_organisations_stock_and_sales(
    payments_loaded: PaymentsLoaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    org = sandbox_org()
    first, last = payments_loaded.first, payments_loaded.last  # Stripe, PayPal: loaded
    load_sheets(org, [first, first + DAY, last])

    context = Context(paths=str(SQLMESH), gateway="local")
    run_at = datetime.combine(last + DAY, time(2), UTC)  # the daily run for `last`
    try:
        # only this mart and what it reads: other marts are not this test's business
        context.plan(
            auto_apply=True, no_prompts=True, execution_time=run_at, select_models=[f"+{MART}"]
        )
        audited = context.audit(
            start=str(context.config.model_defaults.start),
            end=last,
            models=iter(MODELS),
            execution_time=run_at,
        )
    finally:
        context.close()
    assert audited, "an audit failed (SQLMesh printed which above)"

    with duckdb.connect(str(payments_loaded.paths.warehouse), read_only=True) as connection:
        found = {
            row[0]: tuple(row[1:])
            for row in connection.execute(f"SELECT sku, {COLUMNS} FROM {MART}").fetchall()
        }
        partitions, snapshot_dates = connection.execute(
            "SELECT (SELECT count(DISTINCT date) FROM raw.google_sheets__inventory), "
            "(SELECT count(DISTINCT snapshot_date) FROM staging.stg_google_sheets__inventory)"
        ).fetchone() or (0, 0)
    assert (partitions, snapshot_dates) == (3, 1)  # staging holds the newest snapshot only
    # exact: counts are integers, money exact decimals, and the two float columns are the same
    # IEEE divisions of the same integers on both sides
    assert found == expected_rows(org, last)
    assert sum(row[5] for row in found.values()) > 0  # units sold through the processors
    assert any(row[7] is not None for row in found.values())
