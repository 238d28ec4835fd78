"""The SQLMesh project: models render as BigQuery SQL, and staging runs on DuckDB over the lake."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from destinations.settings import PROJECT_ROOT
from sqlmesh import Context
from tests.conftest import PlatformPaths
from tests.sqlmesh.conftest import PaymentsLoaded

SQLMESH = PROJECT_ROOT / "sqlmesh"


def test_every_model_renders_as_valid_bigquery_sql(platform_env: PlatformPaths) -> None:
    context = Context(paths=str(SQLMESH), gateway="local")
    models = [model for model in context.models.values() if model.kind.is_materialized]
    assert models
    for model in models:
        rendered = model.render_query_or_raise(start="2026-11-01", end="2026-11-02")
        sql = rendered.sql(dialect="bigquery")
        parsed = sqlglot.parse_one(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        assert isinstance(parsed, sqlglot.exp.Query), model.name


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_staging_keeps_the_latest_version_of_each_stripe_object(
    payments_loaded: PaymentsLoaded,
) -> None:
    # Stripe and PayPal are loaded for three days (PayPal too: a plan needs every model's inputs)
    context = Context(paths=str(SQLMESH), gateway="local")
    context.plan(auto_apply=True, no_prompts=True, execution_time=payments_loaded.now)
    context.close()

    with duckdb.connect(str(payments_loaded.paths.warehouse), read_only=True) as connection:

        def one(sql: str) -> tuple[object, ...]:
            row = connection.execute(sql).fetchone()
            assert row is not None
            return row

        raw_ids, raw_rows = one("SELECT count(DISTINCT id), count(*) FROM raw.stripe__charges")
        staged, staged_ids = one(
            "SELECT count(*), count(DISTINCT charge_id) FROM staging.stg_stripe__charges"
        )
        assert raw_rows > raw_ids  # changed charges came back on the second day
        assert staged == staged_ids == raw_ids  # one row per charge
        stale = one(
            """
            SELECT count(*) FROM staging.stg_stripe__charges AS s
            JOIN (
                SELECT id, max(snapshot_at) AS newest FROM raw.stripe__charges GROUP BY id
            ) AS r ON r.id = s.charge_id
            WHERE s.snapshot_at <> r.newest
            """
        )
        assert stale == (0,)
        exact = one(
            "SELECT count(*) FROM staging.stg_stripe__charges "
            "WHERE amount * 100 <> amount_minor AND currency = 'usd'"
        )
        assert exact == (0,)
