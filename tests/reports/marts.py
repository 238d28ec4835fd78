"""A small warehouse for the report's tests: the four marts with their contracted columns and a
few hand-picked rows, whose totals the tests state by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb

REVENUE_DAILY = """
CREATE TABLE marts.revenue_daily (
    day DATE, processor VARCHAR, product VARCHAR, currency VARCHAR,
    gross DECIMAL(38, 9), refunds DECIMAL(38, 9), fees DECIMAL(38, 9),
    fees_returned DECIMAL(38, 9), net DECIMAL(38, 9), transactions BIGINT,
    refund_transactions BIGINT, customers BIGINT, new_customers BIGINT,
    returning_customers BIGINT
);
INSERT INTO marts.revenue_daily VALUES
    ('2026-11-01', 'stripe', 'PRG-DATA101', 'usd', 100.00, 0, 3.20, 0, 96.80, 1, 0, 1, 1, 0),
    ('2026-11-01', 'stripe', 'BK-WORKBOOK', 'usd', 29.00, 0, 1.14, 0, 27.86, 1, 0, 1, 0, 1),
    ('2026-11-02', 'stripe', 'PRG-DATA101', 'usd', 200.00, 50.00, 6.10, 0, 143.90, 2, 1, 2, 2, 0),
    ('2026-11-01', 'paypal', 'PRG-DATA101', 'usd', 490.00, 0, 17.40, 0, 472.60, 3, 0, 3, 3, 0),
    ('2026-11-02', 'paypal', 'PRG-SQL201', 'eur', 390.00, 0, 13.50, 0, 376.50, 1, 0, 1, 1, 0),
    ('2026-11-03', 'paypal', 'PRG-SQL201', 'eur', 0, 390.00, 0, 13.50, -376.50, 0, 1, 0, 0, 0);
"""

ENROLLMENT_BY_PROGRAM = """
CREATE TABLE marts.enrollment_by_program (
    program VARCHAR, term VARCHAR, sku VARCHAR, capacity BIGINT, enrolled BIGINT,
    withdrawn BIGINT, fill_rate DOUBLE, paid_students BIGINT, outstanding_students BIGINT,
    new_students BIGINT, returning_students BIGINT, as_of_date DATE
);
INSERT INTO marts.enrollment_by_program VALUES
    ('Intro to Data Analysis', 'Fall 2026', 'PRG-DATA101', 40, 30, 2, 0.75, 28, 2, 25, 5,
     '2026-11-03'),
    ('SQL for Analysts', 'Fall 2026', 'PRG-SQL201', 35, 35, 0, 1.0, 35, 0, 30, 5, '2026-11-03'),
    ('Career Mentorship', 'Fall 2026', 'PRG-MENTOR', NULL, 5, 0, NULL, 5, 0, 5, 0, '2026-11-03');
"""

INVENTORY_BY_ITEM = """
CREATE TABLE marts.inventory_by_item (
    sku VARCHAR, item_name VARCHAR, on_hand BIGINT, reorder_point BIGINT,
    unit_cost DECIMAL(38, 9), units_sold_28d BIGINT, avg_daily_units_sold DOUBLE,
    days_of_cover DOUBLE, below_reorder_point BOOLEAN, as_of_date DATE
);
INSERT INTO marts.inventory_by_item VALUES
    ('BK-WORKBOOK', 'Course Workbook', 12, 20, 9.50, 56, 2.0, 6.0, true, '2026-11-03'),
    ('HM-MUG', 'Coffee Mug', 80, 10, 4.00, 14, 0.5, 160.0, false, '2026-11-03'),
    ('TK-BOARD', 'Desk Whiteboard', 45, 5, 12.00, 0, 0.0, NULL, false, '2026-11-03');
"""

AD_ATTRIBUTION_DAILY = """
CREATE TABLE marts.ad_attribution_daily (
    day DATE, channel VARCHAR, campaign_id VARCHAR, campaign_name VARCHAR,
    utm_campaign VARCHAR, reporting_currency VARCHAR, spend DECIMAL(38, 9),
    impressions BIGINT, clicks BIGINT, sessions BIGINT, conversions DOUBLE, orders BIGINT,
    new_customers BIGINT, attributed_revenue DECIMAL(38, 9), cpc DECIMAL(38, 9), ctr DOUBLE,
    cac DECIMAL(38, 9), roas DOUBLE
);
INSERT INTO marts.ad_attribution_daily VALUES
    ('2026-11-01', 'google_ads', 'c1', 'Brand Search', 'brand_search', 'usd', 100.00,
     1000, 50, 45, 3, 3, 2, 400.00, 2.00, 0.05, 50.00, 4.0),
    ('2026-11-02', 'google_ads', 'c1', 'Brand Search', 'brand_search', 'usd', 50.00,
     500, 20, 18, 0, 0, 0, 0.00, 2.50, 0.04, NULL, 0.0),
    ('2026-11-01', 'facebook_ads', 'c2', 'Shop Retargeting', 'shop_retargeting', 'usd', 80.00,
     4000, 40, 30, 1, 1, 1, 40.00, 2.00, 0.01, 80.00, 0.5),
    ('2026-11-01', 'facebook_ads', 'c3', 'Term Launch </script> Video', 'term_launch_video',
     'usd', 0.00, 0, 0, 0, 0, 0, 0, 0.00, NULL, NULL, NULL, NULL);
"""

ALL_MARTS = (REVENUE_DAILY, ENROLLMENT_BY_PROGRAM, INVENTORY_BY_ITEM, AD_ATTRIBUTION_DAILY)


def make_warehouse(path: Path, *marts: str) -> Path:
    """A DuckDB file at `path` holding the given marts (DDL + rows above)."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for mart in marts:
            connection.execute(mart)
    return path
