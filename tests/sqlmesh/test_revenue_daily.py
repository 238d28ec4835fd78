"""marts.revenue_daily over real Stripe and PayPal loads from the sandbox, on DuckDB.

Stripe's rows are in the settlement currency of its balance transactions (a EUR charge is
settled in USD at Stripe's rate, and the fee exists only in USD), so the mart's Stripe totals
equal the balance transactions of charges, refunds, disputes and their reversals to the cent,
currency by currency: every reporting category but payouts, which move money to the bank.
PayPal's rows are in each transaction's own currency; conversions between PayPal balances
are not revenue.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from sqlmesh import Context
from tests.sqlmesh.conftest import PaymentsLoaded

SQLMESH = PROJECT_ROOT / "sqlmesh"
CENT = Decimal("0.01")


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_revenue_daily_reconciles_to_the_processors_balance_transactions(
    payments_loaded: PaymentsLoaded,
) -> None:
    last = payments_loaded.last  # Stripe and PayPal loaded for three days up to it

    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        # a failing blocking audit fails the plan; the loads' own nightly run builds it
        context.plan(auto_apply=True, no_prompts=True, execution_time=payments_loaded.now)
        # and every audit of every model, blocking or not, over all that the plan built, passes
        audited = context.audit(
            start=str(context.config.model_defaults.start),
            end=str(last),
            execution_time=payments_loaded.now,
        )
    finally:
        context.close()
    assert audited, "an audit failed (SQLMesh printed which above)"

    with duckdb.connect(str(payments_loaded.paths.warehouse), read_only=True) as connection:

        def rows(sql: str, *params: object) -> dict[str, tuple[object, ...]]:
            """Currency -> the five money sums of `sql`."""
            return {row[0]: tuple(row[1:]) for row in connection.execute(sql, params).fetchall()}

        # every money column of the mart, Stripe's rows, per currency
        mart_stripe = rows(
            """
            SELECT currency, SUM(gross), SUM(refunds), SUM(fees), SUM(fees_returned),
                   SUM(disputed), SUM(dispute_reversals), SUM(dispute_fees),
                   SUM(dispute_fees_returned), SUM(net)
            FROM marts.revenue_daily WHERE processor = 'stripe' GROUP BY currency
            """
        )
        balance = rows(
            """
            SELECT
                currency,
                SUM(CASE WHEN reporting_category = 'charge' THEN amount_minor ELSE 0 END),
                -SUM(CASE WHEN reporting_category = 'refund' THEN amount_minor ELSE 0 END),
                SUM(CASE WHEN reporting_category = 'charge' THEN fee_minor ELSE 0 END),
                -SUM(CASE WHEN reporting_category = 'refund' THEN fee_minor ELSE 0 END),
                -SUM(CASE WHEN reporting_category = 'dispute' THEN amount_minor ELSE 0 END),
                SUM(CASE WHEN reporting_category = 'dispute_reversal' THEN amount_minor ELSE 0 END),
                SUM(CASE WHEN reporting_category = 'dispute' THEN fee_minor ELSE 0 END),
                -SUM(CASE WHEN reporting_category = 'dispute_reversal' THEN fee_minor ELSE 0 END),
                SUM(net_minor)
            FROM staging.stg_stripe__balance_transactions
            WHERE reporting_category <> 'payout'
              AND CAST(timezone('UTC', created_at) AS DATE) <= ?
            GROUP BY currency
            """,
            last,
        )
        # what the mart leaves out only moves money to the bank
        categories = {
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT reporting_category FROM staging.stg_stripe__balance_transactions"
            ).fetchall()
        }
        assert categories == {"charge", "refund", "dispute", "dispute_reversal", "payout"}
        assert mart_stripe
        assert mart_stripe.keys() == balance.keys()
        for currency, minor in balance.items():
            major = tuple(Decimal(int(value)) * CENT for value in minor)
            assert mart_stripe[currency] == major, currency  # to the cent: exact decimals
        # the sandbox refunds some charges, and disputes some: lost and won, fees and all
        # (Stripe keeps its fee on a refund: fees_returned, column 3, is 0)
        for column in (0, 1, 2, 4, 5, 6, 7):
            assert sum(v[column] for v in mart_stripe.values()) > 0, column

        mart_paypal = rows(
            """
            SELECT currency, SUM(gross), SUM(refunds), SUM(fees), SUM(fees_returned), SUM(net)
            FROM marts.revenue_daily WHERE processor = 'paypal' GROUP BY currency
            """
        )
        paypal = rows(
            """
            SELECT
                currency,
                SUM(CASE WHEN transaction_type = 'payment' THEN gross_minor ELSE 0 END),
                -SUM(CASE WHEN transaction_type <> 'payment' THEN gross_minor ELSE 0 END),
                -SUM(CASE WHEN transaction_type = 'payment' THEN fee_minor ELSE 0 END),
                SUM(CASE WHEN transaction_type <> 'payment' THEN fee_minor ELSE 0 END),
                SUM(net_minor)
            FROM staging.stg_paypal__transactions
            WHERE status = 'S' AND transaction_type IN ('payment', 'refund', 'reversal')
              AND transaction_date <= ?
            GROUP BY currency
            """,
            last,
        )
        assert mart_paypal
        assert mart_paypal.keys() == paypal.keys()
        assert len(paypal) > 1  # USD and EUR: the multi-currency path is exercised
        for currency, minor in paypal.items():
            assert mart_paypal[currency] == tuple(Decimal(int(v)) * CENT for v in minor), currency

        # one row per transaction in PayPal staging, the latest version of each
        staged, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT transaction_id) FROM staging.stg_paypal__transactions"
        ).fetchone() or (0, -1)
        assert staged == distinct > 0
        # every paying customer in a row is either new or returning, and some of each exist
        new, returning, customers = connection.execute(
            "SELECT SUM(new_customers), SUM(returning_customers), SUM(customers) "
            "FROM marts.revenue_daily"
        ).fetchone() or (0, 0, -1)
        assert new + returning == customers
        assert new > 0
        assert returning > 0
