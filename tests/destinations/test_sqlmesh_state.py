"""SQLMesh's state file survives a rebuilt VM: backed up to the bucket, restored when missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmesh.core.config import Config, DuckDBConnectionConfig, GatewayConfig, ModelDefaultsConfig

from destinations.sqlmesh_state import backup_state, backup_url, restore_state
from sqlmesh import Context
from tests.gcs_emulator import OFFLINE_GOOGLE_AUTH, gcs_emulator

BUCKET = "acme-lake"
MODEL = """MODEL (name marts.days, kind INCREMENTAL_BY_TIME_RANGE (time_column day), cron '@daily');
SELECT CAST(@start_ds AS DATE) AS day
"""


@pytest.fixture
def gcs_bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with gcs_emulator(tmp_path / "gcs", BUCKET) as address:
        for name, value in OFFLINE_GOOGLE_AUTH.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", address)
        yield f"gs://{BUCKET}"


def project(root: Path, state: Path) -> Context:
    """A one-model project on DuckDB with its state in its own file, as on the VM."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "models" / "days.sql").write_text(MODEL)
    config = Config(
        gateways={
            "vm": GatewayConfig(
                connection=DuckDBConnectionConfig(database=str(root / "warehouse.duckdb")),
                state_connection=DuckDBConnectionConfig(database=str(state)),
            )
        },
        default_gateway="vm",
        model_defaults=ModelDefaultsConfig(dialect="bigquery", start="2026-11-01"),
    )
    return Context(paths=str(root), config=config)


def test_a_rebuilt_vm_continues_from_the_backed_up_state(tmp_path: Path, gcs_bucket: str) -> None:
    state = tmp_path / "disk" / "state.duckdb"
    state.parent.mkdir()
    context = project(tmp_path / "project", state)
    try:
        context.plan(auto_apply=True, no_prompts=True)
    finally:
        context.close()
    assert backup_state(state, gcs_bucket) == backup_url(gcs_bucket)

    state.unlink()  # the VM's disk is gone; the warehouse (BigQuery) is not
    assert restore_state(state, gcs_bucket)
    context = project(tmp_path / "project", state)
    try:
        snapshot = next(iter(context.snapshots.values()))
        intervals = context.state_sync.get_snapshots([snapshot.snapshot_id])[
            snapshot.snapshot_id
        ].intervals
        plan = context.plan(no_prompts=True)
    finally:
        context.close()
    assert intervals, "the restored state knows which days are done"
    assert not plan.has_changes
    assert not plan.missing_intervals


def test_restore_keeps_a_state_the_disk_already_has(tmp_path: Path, gcs_bucket: str) -> None:
    state = tmp_path / "state.duckdb"
    assert not restore_state(state, gcs_bucket)  # no backup yet: SQLMesh starts afresh
    state.write_bytes(b"older")
    backup_state(state, gcs_bucket)
    state.write_bytes(b"newer, written by the last run on this disk")
    assert not restore_state(state, gcs_bucket)
    assert state.read_bytes() == b"newer, written by the last run on this disk"


def test_backup_and_restore_on_a_local_lake(tmp_path: Path) -> None:
    state, lake = tmp_path / "state.duckdb", tmp_path / "lake"
    state.write_bytes(b"state")
    assert backup_state(state, f"file://{lake}") == f"file://{lake}/_sqlmesh/state.duckdb"
    restored = tmp_path / "new-vm" / "state.duckdb"
    assert restore_state(restored, f"file://{lake}")
    assert restored.read_bytes() == b"state"
