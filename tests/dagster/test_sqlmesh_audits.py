"""A SQLMesh audit that finds bad rows becomes a failed Dagster asset check naming it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dagster import AssetCheckSeverity, AssetKey
from sqlmesh.core.config import Config, DuckDBConnectionConfig, GatewayConfig, ModelDefaultsConfig

from dagster_defs.sqlmesh_audits import audit_check_result, audit_models
from sqlmesh import Context

MODEL = """MODEL (
  name marts.orders,
  kind FULL,
  audits (
    not_null(columns := (order_id)),
    accepted_range(column := amount, min_v := 0, blocking := false)
  )
);
SELECT 1 AS order_id, 10 AS amount
UNION ALL SELECT 2, -5
UNION ALL SELECT 3, -1
"""


def test_a_failing_non_blocking_audit_is_a_failed_warning_check(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "orders.sql").write_text(MODEL)
    config = Config(
        gateways={
            "local": GatewayConfig(
                connection=DuckDBConnectionConfig(database=str(tmp_path / "db.duckdb"))
            )
        },
        model_defaults=ModelDefaultsConfig(dialect="bigquery", start="2026-11-01"),
    )
    context = Context(paths=str(tmp_path), config=config)
    try:
        context.plan(auto_apply=True, no_prompts=True)  # the non-blocking audit only warns
        outcomes = audit_models(context, ["marts.orders"], date(2026, 11, 2))["marts.orders"]
    finally:
        context.close()

    assert [(o.failing_rows, o.blocking) for o in outcomes] == [(0, True), (2, False)]
    result = audit_check_result(AssetKey(["marts", "orders"]), outcomes)
    assert not result.passed
    assert result.severity == AssetCheckSeverity.WARN
    assert "accepted_range(column := amount, min_v := 0" in result.metadata["failed"].value
    assert "2 rows" in result.metadata["failed"].value
