"""Where the lake lives and which warehouse holds the raw tables, read from dlt's config providers.

Every setting has one home: `.dlt/config.toml` for the local defaults, environment variables
(`LAKE__BUCKET_URL`, `WAREHOUSE__KIND`, ...) or `.env` on the VM for production.
"""

from __future__ import annotations

import os
from pathlib import Path

from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.specs import BaseConfiguration

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@configspec
class LakeSettings(BaseConfiguration):
    """`[lake]`: a local folder (relative paths are taken from the project root) or `gs://bucket`."""

    bucket_url: str = ".local/lake"
    # How long a run waits for another on the same lake and warehouse (destinations/run_lock.py)
    lock_wait_seconds: float = 900.0

    def resolved_url(self) -> str:
        """The lake as dlt's filesystem destination wants it: `gs://...` or absolute `file://`."""
        if "://" in self.bucket_url:
            return self.bucket_url.rstrip("/")
        path = Path(self.bucket_url).expanduser()
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        return path.resolve().as_uri()

    @property
    def is_local(self) -> bool:
        return self.resolved_url().startswith("file://")


@configspec
class WarehouseSettings(BaseConfiguration):
    """`[warehouse]`: DuckDB locally, BigQuery in production; raw tables go to `raw_dataset`.

    `kind = "none"` writes the lake only and registers no raw tables.
    """

    kind: str = "duckdb"
    duckdb_path: str = ".local/warehouse.duckdb"
    raw_dataset: str = "raw"
    bigquery_project: str | None = None
    bigquery_location: str = "EU"
    sqlmesh_state_path: str = "/var/dagster/sqlmesh/state.duckdb"  # with bigquery only
    # What SQLMesh's DuckDB may hold while it builds models; past the limit it spills to a
    # `.tmp` folder beside the database. DuckDB's own defaults (80% of RAM, a thread per core)
    # let a daily run's peak grow with the data: at 10x sandbox volume, ~30 MiB more, per-thread
    # working memory mostly (benchmarks/dagster_memory.py). One thread cost no time there.
    duckdb_memory_limit: str = "128MB"
    duckdb_threads: int = 1

    def duckdb_settings(self) -> dict[str, str | int]:
        """DuckDB connection settings for the warehouse and SQLMesh's state file."""
        return {"memory_limit": self.duckdb_memory_limit, "threads": self.duckdb_threads}

    def resolved_duckdb_path(self) -> Path:
        path = Path(self.duckdb_path).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path

    def sqlmesh_state_file(self) -> Path | None:
        """SQLMesh's own state file; None when state lives in the DuckDB warehouse itself."""
        if self.kind != "bigquery":
            return None
        path = Path(self.sqlmesh_state_path).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path


def keep_state_in_checkout() -> None:
    """dlt's working folders under the checkout's `.local/dlt` unless DLT_DATA_DIR says otherwise:
    dlt's own default (`~/.dlt`, `/var/dlt` as root) is shared by every clone on the machine, so
    one clone's `dlt pipeline stripe info` showed another's state. The VM sets its own path."""
    os.environ.setdefault("DLT_DATA_DIR", str(PROJECT_ROOT / ".local" / "dlt"))


class SettingError(ValueError):
    """A setting is missing or unusable; the one-line message names the setting."""


def lake_settings() -> LakeSettings:
    return resolve_configuration(LakeSettings(), sections=("lake",))


def warehouse_settings() -> WarehouseSettings:
    settings = resolve_configuration(WarehouseSettings(), sections=("warehouse",))
    if settings.kind not in ("duckdb", "bigquery", "none"):
        raise SettingError(
            f"warehouse.kind is {settings.kind!r}; expected 'duckdb', 'bigquery' or 'none' "
            "(env WAREHOUSE__KIND)"
        )
    if settings.kind == "bigquery" and not settings.bigquery_project:
        raise SettingError(
            "warehouse.bigquery_project is not set but warehouse.kind is 'bigquery' "
            "(env WAREHOUSE__BIGQUERY_PROJECT)"
        )
    return settings
