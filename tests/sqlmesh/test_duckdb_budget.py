"""SQLMesh's local DuckDB runs inside the memory budget the warehouse settings give it."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from dagster_defs.sqlmesh_assets import run_models
from destinations.settings import PROJECT_ROOT
from sqlmesh import Context
from tests.conftest import PlatformPaths


def duckdb_reads(memory_limit: str) -> str:
    """How DuckDB itself reports `memory_limit` once set (e.g. 96MB -> 91.5 MiB)."""
    with duckdb.connect(config={"memory_limit": memory_limit}) as connection:
        row = connection.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize(("memory_limit", "threads"), [("96MB", 1), ("200MB", 2)])
def test_sqlmesh_connects_to_the_warehouse_with_the_configured_budget(
    platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch, memory_limit: str, threads: int
) -> None:
    monkeypatch.setenv("WAREHOUSE__DUCKDB_MEMORY_LIMIT", memory_limit)
    monkeypatch.setenv("WAREHOUSE__DUCKDB_THREADS", str(threads))
    context = Context(paths=str(PROJECT_ROOT / "sqlmesh"), gateway="local")
    try:
        row = context.engine_adapter.fetchone(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        )
    finally:
        context.close()
    assert row == (duckdb_reads(memory_limit), threads)


def test_running_out_of_the_budget_names_the_setting_to_raise(
    platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    # far too little for SQLMesh to even write its state: DuckDB fails its first allocations
    monkeypatch.setenv("WAREHOUSE__DUCKDB_MEMORY_LIMIT", "256KB")
    with pytest.raises(RuntimeError) as raised:
        run_models(["staging.stg_fx__rates_daily"], date(2026, 12, 6))
    message = str(raised.value)
    assert "\n" not in message
    assert "staging.stg_fx__rates_daily" in message
    assert "warehouse.duckdb_memory_limit = '256KB'" in message
    assert "WAREHOUSE__DUCKDB_MEMORY_LIMIT" in message
    assert isinstance(raised.value.__cause__, duckdb.OutOfMemoryException)
