"""The daily digest: after a successful night, rows per source and what the marts say of the day.

`python -m alerts.digest DAY ROWS_JSON` sends it; the daemon's success sensor starts it in a
process of its own when `alerts.digest` is true, so the resident code server never imports a
warehouse client (the BigQuery one costs tens of MB) and is never held up by a query.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from alerts.send import Alert, send
from alerts.settings import alert_settings
from destinations.settings import WarehouseSettings, warehouse_settings

Query = Callable[[str, date | None], list[tuple[Any, ...]]]

REVENUE = (
    "SELECT currency, SUM(gross), SUM(refunds), SUM(transactions), SUM(disputes), "
    "SUM(disputed) FROM {marts}.revenue_daily WHERE day = {day} GROUP BY currency "
    "ORDER BY currency"
)
ADS = (
    "SELECT reporting_currency, SUM(spend), SUM(attributed_revenue), SUM(orders) "
    "FROM {marts}.ad_attribution_daily WHERE day = {day} GROUP BY reporting_currency "
    "ORDER BY reporting_currency"
)
STOCK = (
    "SELECT COUNT(*), SUM(CASE WHEN below_reorder_point THEN 1 ELSE 0 END), MAX(as_of_date) "
    "FROM {marts}.inventory_by_item"
)
ENROLMENT = (
    "SELECT SUM(enrolled), SUM(capacity), SUM(outstanding_students), MAX(as_of_date) "
    "FROM {marts}.enrollment_by_program"
)


def _money(value: Any) -> str:
    return f"{Decimal(value or 0):,.2f}"


def _chargebacks(count: int) -> str:
    return f"{count} chargeback" if count == 1 else f"{count} chargebacks"


def mart_lines(query: Query, day: date) -> list[str]:
    """One line per mart about `day` (the snapshot marts: as of their newest read)."""
    lines = []
    parts = [
        f"{currency.upper()} {_money(gross)} gross, {_money(refunds)} refunded, {count} sales"
        # a chargeback takes money back weeks after the sale: worth a word on its day
        + (f", {_money(disputed)} disputed ({_chargebacks(disputes)})" if disputes else "")
        for currency, gross, refunds, count, disputes, disputed in query(REVENUE, day)
    ]
    lines.append("revenue: " + ("; ".join(parts) or "no sales"))
    parts = [
        f"{(currency or '?').upper()} {_money(spend)} spent, {_money(revenue)} attributed, "
        f"{orders} orders"
        for currency, spend, revenue, orders in query(ADS, day)
    ]
    lines.append("ads: " + ("; ".join(parts) or "no spend or attributed sales"))
    ((items, below, stock_day),) = query(STOCK, None)
    lines.append(
        f"stock: {below or 0} of {items} items at or below reorder point (as of {stock_day})"
    )
    ((enrolled, capacity, outstanding, seats_day),) = query(ENROLMENT, None)
    lines.append(
        f"enrolment: {enrolled or 0} of {capacity or 0} seats taken, {outstanding or 0} "
        f"students yet to pay (as of {seats_day})"
    )
    return lines


def warehouse_query(warehouse: WarehouseSettings) -> Query:
    """Run a digest query on the warehouse: DuckDB read-only locally, BigQuery in production."""
    if warehouse.kind == "bigquery":
        from google.cloud import bigquery

        client = bigquery.Client(
            project=warehouse.bigquery_project, location=warehouse.bigquery_location
        )
        marts = f"`{warehouse.bigquery_project}.marts`"

        def on_bigquery(sql: str, day: date | None) -> list[tuple[Any, ...]]:
            parameters = [bigquery.ScalarQueryParameter("day", "DATE", day)] if day else []
            job = client.query(
                sql.format(marts=marts, day="@day"),
                job_config=bigquery.QueryJobConfig(query_parameters=parameters),
            )
            return [tuple(row.values()) for row in job.result()]

        return on_bigquery
    import duckdb

    path = str(warehouse.resolved_duckdb_path())

    def on_duckdb(sql: str, day: date | None) -> list[tuple[Any, ...]]:
        with duckdb.connect(path, read_only=True) as connection:
            return connection.execute(
                sql.format(marts="marts", day="?"), [day] if day else []
            ).fetchall()

    return on_duckdb


def digest_alert(day: date, rows: dict[str, int], query: Query) -> Alert:
    loaded = ", ".join(f"{source} {count:,}" for source, count in sorted(rows.items()))
    lines = [f"rows loaded: {loaded or 'none'}"]
    try:
        lines += mart_lines(query, day)
    except Exception as error:  # the digest says so rather than not coming at all
        lines.append(f"marts: not readable ({str(error).splitlines()[0]})")
    return Alert(f"platform: digest for {day.isoformat()}: the night succeeded", tuple(lines))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    day, rows = date.fromisoformat(args[0]), json.loads(args[1])
    send(digest_alert(day, rows, warehouse_query(warehouse_settings())), alert_settings())
    return 0


if __name__ == "__main__":
    sys.exit(main())
