"""Fixtures shared by the whole suite: every test gets its own lake, warehouse and dlt folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.org import LAST_DAY


@pytest.fixture(autouse=True, scope="session")
def sqlmesh_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """SQLMesh's render cache in this process's own folder: pytest-xdist runs tests in two
    processes at once, and the project's `sqlmesh/.cache` would be written by both."""
    cache = tmp_path_factory.mktemp("sqlmesh-cache")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("WAREHOUSE__SQLMESH_CACHE_DIR", str(cache))
        yield cache


@pytest.fixture(autouse=True, scope="session")
def sandbox_world_reaches_today() -> Iterator[None]:
    """Tests that load "yesterday" from the default world need it to reach today. The world is
    fixed by settings (sandbox.last_day); once the wall clock nears its end, the suite extends
    it for itself rather than read an ended world (tests that pin a clock are unaffected: they
    compute their truth from the same settings)."""
    today = datetime.now(UTC).date()
    with pytest.MonkeyPatch.context() as monkeypatch:
        if today + timedelta(days=1) > LAST_DAY:
            monkeypatch.setenv("SANDBOX__LAST_DAY", (today + timedelta(days=1)).isoformat())
        yield


@dataclass(frozen=True)
class PlatformPaths:
    lake: Path
    warehouse: Path
    pipelines: Path


def platform_settings(root: Path) -> tuple[PlatformPaths, dict[str, str]]:
    """A fresh platform under `root`: its paths, and the settings (environment variables) that
    point the lake, the warehouse and dlt's data folder at them."""
    paths = PlatformPaths(
        lake=root / "lake",
        warehouse=root / "warehouse.duckdb",
        pipelines=root / "dlt" / "pipelines",
    )
    settings = {
        "LAKE__BUCKET_URL": str(paths.lake),
        "WAREHOUSE__KIND": "duckdb",
        "WAREHOUSE__DUCKDB_PATH": str(paths.warehouse),
        "DLT_DATA_DIR": str(root / "dlt"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    return paths, settings


@pytest.fixture
def platform_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlatformPaths:
    """Point lake, warehouse and dlt's data folder at a fresh temporary directory."""
    paths, settings = platform_settings(tmp_path)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return paths
