"""`python -m sources`: the README's local run, end to end, and its guards."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT, keep_state_in_checkout
from sources.registry import SOURCE_NAMES
from tests.cli_runs import run_module
from tests.conftest import PlatformPaths


def run_sources(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_module("sources", *args, env=env, timeout=600)


@pytest.mark.slow
@pytest.mark.version_agnostic  # each source's own tests run on every Python
def test_local_run_starts_the_sandbox_and_fills_lake_and_raw_tables(
    platform_env: PlatformPaths,
) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    result = run_sources("--quiet", env={"SOURCES__USE_SANDBOX": "true"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("done: " + ", ".join(SOURCE_NAMES))
    for name in SOURCE_NAMES:
        assert (platform_env.lake / name).is_dir()
        assert f"{name} {yesterday.isoformat()}: load" in result.stdout
    with duckdb.connect(str(platform_env.warehouse), read_only=True) as connection:
        views = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
            ).fetchall()
        }
        charges = connection.execute("SELECT count(*) FROM raw.stripe__charges").fetchone()
    assert {"stripe__charges", "stripe__customers", "stripe__payouts"} <= views
    assert charges is not None
    assert charges[0] > 100


def test_sandbox_is_refused_when_the_warehouse_is_bigquery(platform_env: PlatformPaths) -> None:
    result = run_sources(
        "--quiet",
        env={
            "SOURCES__USE_SANDBOX": "true",
            "WAREHOUSE__KIND": "bigquery",
            "WAREHOUSE__BIGQUERY_PROJECT": "acme-data",
        },
    )
    assert result.returncode == 1
    assert "error: sources.use_sandbox is true but warehouse.kind is 'bigquery'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_source_is_a_usage_error(platform_env: PlatformPaths) -> None:
    result = run_sources("--sources", "stripe,myspace", env={})
    assert result.returncode == 2
    assert "unknown: myspace" in result.stderr


def test_dlt_state_stays_with_the_checkout_unless_dlt_data_dir_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DLT_DATA_DIR", raising=False)
    keep_state_in_checkout()
    assert os.environ["DLT_DATA_DIR"] == str(PROJECT_ROOT / ".local" / "dlt")
    monkeypatch.setenv("DLT_DATA_DIR", "/var/dagster/dlt")
    keep_state_in_checkout()
    assert os.environ["DLT_DATA_DIR"] == "/var/dagster/dlt"
