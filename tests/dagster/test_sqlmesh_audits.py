"""A SQLMesh audit that finds bad rows becomes a failed Dagster asset check naming it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from dagster import AssetCheckSeverity, AssetKey
from sqlmesh.core.config import Config, DuckDBConnectionConfig, GatewayConfig, ModelDefaultsConfig
from sqlmesh.utils.errors import SQLMeshError

from dagster_defs.sqlmesh_audits import (
    BlockingAuditsFailed,
    audit_check_result,
    audit_models,
    blocking_audits_fail_at_once,
)
from sources.errors import one_line, retryable
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


BROKEN = """MODEL (
  name marts.broken,
  kind FULL
);
SELECT order_id FROM marts.no_such_table
"""


def _context(tmp_path: Path, models: dict[str, str]) -> Context:
    (tmp_path / "models").mkdir()
    for name, text in models.items():
        (tmp_path / "models" / f"{name}.sql").write_text(text)
    config = Config(
        gateways={
            "local": GatewayConfig(
                connection=DuckDBConnectionConfig(database=str(tmp_path / "db.duckdb"))
            )
        },
        model_defaults=ModelDefaultsConfig(dialect="bigquery", start="2026-11-01"),
    )
    return Context(paths=str(tmp_path), config=config)


def test_a_failing_blocking_audit_fails_the_step_at_once_naming_it(tmp_path: Path) -> None:
    """Bad rows fail every retry the same way: the step fails once, with the audit's name,
    instead of being retried twice (150 s on the calendar's night) to say the same thing."""
    blocking = MODEL.replace(", blocking := false", "")
    context = _context(tmp_path, {"orders": blocking})
    try:
        with pytest.raises(BlockingAuditsFailed) as raised, blocking_audits_fail_at_once(context):
            context.plan(auto_apply=True, no_prompts=True)
    finally:
        context.close()
    assert retryable(raised.value) is False
    message = one_line(raised.value)
    assert "marts.orders: Audits failed: accepted_range" in message
    assert "\n" not in message


def test_a_failure_that_is_not_an_audit_stays_retryable(tmp_path: Path) -> None:
    context = _context(tmp_path, {"broken": BROKEN})
    try:
        with pytest.raises(SQLMeshError) as raised, blocking_audits_fail_at_once(context):
            context.plan(auto_apply=True, no_prompts=True)
    finally:
        context.close()
    assert not isinstance(raised.value, BlockingAuditsFailed)
    assert retryable(raised.value) is True
