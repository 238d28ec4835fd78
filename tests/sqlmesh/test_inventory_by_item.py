"""marts.inventory_by_item over real Stripe, PayPal and Google Sheets loads from the sandbox.

The expected rows are `sandbox.truth.Truth(org, now).inventory_by_item()`, computed from the
organisation the emulators serve, never from the warehouse: the stock sheet as it stood when
the nightly run read it, and the units sold in the 28 days before that same moment, as the
processors listed them then (PayPal lists a payment up to hours late). Earlier nights' sheets
are in the lake too; the mart describes the last one read.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from sandbox.truth import MART_COLUMNS, Truth, differences
from sqlmesh import Context
from tests.sqlmesh.conftest import PaymentsLoaded
from tests.sqlmesh.sandbox_org import load_sheets, sandbox_org

SQLMESH = PROJECT_ROOT / "sqlmesh"
DAY = timedelta(days=1)
MART = "marts.inventory_by_item"
MODELS = (
    "staging.stg_google_sheets__inventory",
    "staging.stg_stripe__charges",
    "staging.stg_paypal__transactions",
    MART,
)
KEYS, COLUMNS = MART_COLUMNS["inventory_by_item"]


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_inventory_by_item_matches_the_organisations_stock_and_sales(
    payments_loaded: PaymentsLoaded,
) -> None:
    org = sandbox_org()
    first, last = payments_loaded.first, payments_loaded.last  # Stripe, PayPal: loaded
    load_sheets(org, [first, first + DAY, last])

    context = Context(paths=str(SQLMESH), gateway="local")
    run_at = payments_loaded.now  # the nightly run of `last`
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
            tuple(row[: len(KEYS)]): tuple(row[len(KEYS) :])
            for row in connection.execute(
                f"SELECT {', '.join(KEYS + COLUMNS)} FROM {MART}"
            ).fetchall()
        }
        partitions, snapshots = connection.execute(
            "SELECT (SELECT count(DISTINCT date) FROM raw.google_sheets__inventory), "
            "(SELECT count(DISTINCT snapshot_at) FROM staging.stg_google_sheets__inventory)"
        ).fetchone() or (0, 0)
    assert (partitions, snapshots) == (3, 1)  # staging holds the last read only
    # exact: counts are integers, money exact decimals, and the two float columns are the same
    # IEEE divisions of the same integers on both sides
    mismatched = differences(found, Truth(org, int(run_at.timestamp())).inventory_by_item())
    assert not mismatched, "\n".join(mismatched)
    assert {row[-1] for row in found.values()} == {run_at}  # as of the moment of the read
    assert sum(row[5] for row in found.values()) > 0  # units sold through the processors
    assert any(row[7] is not None for row in found.values())
