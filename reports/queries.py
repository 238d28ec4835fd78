"""The SQL the report runs on the marts: per section, the rows to chart and the key figures.

Every statement reads one mart. A mart that does not exist (its sources are not enabled, or
the pipeline has not built it yet) or holds no rows is reported as such, not as an error:
an organisation may enable only some sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import duckdb

MartState = Literal["ok", "missing", "empty"]

REVENUE = "marts.revenue_daily"
ENROLLMENT = "marts.enrollment_by_program"
INVENTORY = "marts.inventory_by_item"
ADS = "marts.ad_attribution_daily"

# Net revenue per day, processor and currency (the mart is also split by product).
REVENUE_ROWS = """
SELECT currency, processor, day, SUM(net) AS net
FROM marts.revenue_daily
GROUP BY currency, processor, day
ORDER BY currency, processor, day
"""
REVENUE_FIGURES = """
SELECT
    currency,
    SUM(gross) AS gross,
    SUM(refunds) AS refunds,
    SUM(fees) AS fees,
    SUM(net) AS net,
    SUM(transactions) AS sales,
    MIN(day) AS first_day,
    MAX(day) AS last_day
FROM marts.revenue_daily
GROUP BY currency
ORDER BY currency
"""

# One bar per program and term that has a capacity; the others are named in a note.
ENROLLMENT_ROWS = """
SELECT program, term, capacity, enrolled, fill_rate
FROM marts.enrollment_by_program
ORDER BY program, term
"""
ENROLLMENT_FIGURES = """
SELECT
    SUM(enrolled) FILTER (WHERE fill_rate IS NOT NULL)
        / NULLIF(SUM(capacity) FILTER (WHERE fill_rate IS NOT NULL), 0) AS overall_fill_rate,
    SUM(enrolled) AS enrolled,
    SUM(capacity) FILTER (WHERE fill_rate IS NOT NULL) AS capacity,
    COUNT(*) FILTER (WHERE fill_rate >= 1) AS full_programs,
    COUNT(*) AS program_terms,
    MAX(as_of_date) AS as_of_date
FROM marts.enrollment_by_program
"""

# Items that sell run out first: shortest cover on top; unsold items (no cover) last.
INVENTORY_ROWS = """
SELECT sku, item_name, on_hand, reorder_point, days_of_cover, below_reorder_point
FROM marts.inventory_by_item
ORDER BY days_of_cover NULLS LAST, sku
"""
INVENTORY_FIGURES = """
SELECT
    COUNT(*) FILTER (WHERE below_reorder_point) AS below_reorder_point,
    COUNT(*) AS items,
    COUNT(*) FILTER (WHERE days_of_cover IS NULL) AS items_without_sales,
    MIN(days_of_cover) AS shortest_cover,
    MAX(as_of_date) AS as_of_date
FROM marts.inventory_by_item
"""

# Per campaign over the whole period; the name is the campaign's latest.
ADS_ROWS = """
SELECT
    reporting_currency AS currency,
    channel,
    campaign_id,
    ARG_MAX(campaign_name, day) AS campaign_name,
    SUM(spend) AS spend,
    SUM(attributed_revenue) AS attributed_revenue,
    SUM(attributed_revenue) / NULLIF(SUM(spend), 0) AS roas
FROM marts.ad_attribution_daily
GROUP BY reporting_currency, channel, campaign_id
ORDER BY currency, spend DESC, channel, campaign_id
"""
ADS_FIGURES = """
SELECT
    reporting_currency AS currency,
    SUM(spend) AS spend,
    SUM(attributed_revenue) AS attributed_revenue,
    SUM(attributed_revenue) / NULLIF(SUM(spend), 0) AS roas,
    SUM(clicks) AS clicks,
    SUM(orders) AS orders,
    MIN(day) AS first_day,
    MAX(day) AS last_day
FROM marts.ad_attribution_daily
GROUP BY reporting_currency
ORDER BY currency
"""


@dataclass(frozen=True)
class MartData:
    """What one mart gives a section: rows to chart and figure rows, or why there are none."""

    mart: str
    state: MartState
    rows: list[dict[str, Any]]
    figures: list[dict[str, Any]]


def mart_exists(connection: duckdb.DuckDBPyConnection, mart: str) -> bool:
    # Not information_schema.tables, which binds every view first (the raw views glob the whole
    # lake), and no `?` parameters: DuckDB imports pandas to look at them (2-5 s here).
    schema, name = mart.split(".")
    if not (schema.isidentifier() and name.isidentifier()):
        raise ValueError(f"not a mart name: {mart!r}")
    found = connection.execute(
        f"""
        SELECT count(*) FROM (
            SELECT schema_name, table_name AS name FROM duckdb_tables()
            UNION ALL
            SELECT schema_name, view_name FROM duckdb_views()
        ) WHERE schema_name = '{schema}' AND name = '{name}'
        """
    ).fetchone()
    return bool(found and found[0])


def records(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = connection.execute(sql)
    columns = [column[0] for column in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def read_mart(
    connection: duckdb.DuckDBPyConnection, mart: str, rows_sql: str, figures_sql: str
) -> MartData:
    """Run a section's two statements, or say that the mart is missing or empty."""
    if not mart_exists(connection, mart):
        return MartData(mart, "missing", [], [])
    has_rows = connection.execute(f"SELECT EXISTS (FROM {mart})").fetchone()
    if not has_rows or not has_rows[0]:
        return MartData(mart, "empty", [], [])
    return MartData(mart, "ok", records(connection, rows_sql), records(connection, figures_sql))


def read_revenue(connection: duckdb.DuckDBPyConnection) -> MartData:
    return read_mart(connection, REVENUE, REVENUE_ROWS, REVENUE_FIGURES)


def read_enrollment(connection: duckdb.DuckDBPyConnection) -> MartData:
    return read_mart(connection, ENROLLMENT, ENROLLMENT_ROWS, ENROLLMENT_FIGURES)


def read_inventory(connection: duckdb.DuckDBPyConnection) -> MartData:
    return read_mart(connection, INVENTORY, INVENTORY_ROWS, INVENTORY_FIGURES)


def read_ads(connection: duckdb.DuckDBPyConnection) -> MartData:
    return read_mart(connection, ADS, ADS_ROWS, ADS_FIGURES)
