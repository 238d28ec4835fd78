"""The Dagster definitions: raw-table assets per source, the daily job and schedule, in process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import DagsterInstance, build_schedule_context

from dagster_defs.definitions import defs
from destinations.settings import PROJECT_ROOT
from sources.clock import nightly_run_at
from sources.registry import enabled_source_names, source_spec
from tests.conftest import PlatformPaths

TODAY = datetime.now(UTC).date()


@pytest.fixture
def instance(platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def test_every_source_resource_is_a_raw_asset_grouped_by_source() -> None:
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    expected = {
        f"raw/{name}__{table}"
        for name in enabled_source_names()
        for table in source_spec(name).resources
    }
    assert {key for key in keys if key.startswith("raw/")} == expected
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.path[0] != "raw":
            continue
        assert node.group_name == key.path[-1].split("__")[0]
        assert node.partitions_def is not None
        assert node.freshness_policy is not None


def test_schedule_runs_yesterdays_partition() -> None:
    schedule = defs.resolve_schedule_def("daily_schedule")
    tick = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    with build_schedule_context(scheduled_execution_time=tick) as context:
        requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert [request.partition_key for request in requests] == ["2026-11-19"]


@pytest.mark.slow
@pytest.mark.version_agnostic  # the README command below runs the job on each Python
def test_second_daily_run_loads_only_the_new_day(
    instance: Any, platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = defs.resolve_job_def("daily")
    # two nights of the sandbox's fixed world, each run at its schedule time, as the daemon would
    first_day, second_day = date(2026, 12, 2), date(2026, 12, 3)
    monkeypatch.setenv("SANDBOX__NOW", nightly_run_at(first_day).isoformat())
    first = job.execute_in_process(instance=instance, partition_key=first_day.isoformat())
    assert first.success
    monkeypatch.setenv("SANDBOX__NOW", nightly_run_at(second_day).isoformat())
    second = job.execute_in_process(instance=instance, partition_key=second_day.isoformat())
    assert second.success

    with duckdb.connect(str(platform_env.warehouse), read_only=True) as connection:
        backfilled = connection.execute(
            "SELECT count(*) FROM raw.stripe__charges WHERE date = ?", [first_day]
        ).fetchone()
        outside = connection.execute(
            "SELECT count(*) FROM raw.stripe__charges WHERE date = ? "
            "AND (snapshot_at < ? OR snapshot_at >= ?)",
            # the nightly run reads on to its own clock, 02:00 the next day
            [second_day, nightly_run_at(first_day), nightly_run_at(second_day)],
        ).fetchone()
        new = connection.execute(
            "SELECT count(*) FROM raw.stripe__charges WHERE date = ?", [second_day]
        ).fetchone()
        sheet_reads = connection.execute(
            "SELECT DISTINCT date, snapshot_at FROM raw.google_sheets__inventory ORDER BY date"
        ).fetchall()
    assert backfilled[0] > 500  # the first run backfilled history
    assert 0 < new[0] < backfilled[0] / 10  # the second read one day
    assert outside[0] == 0  # and only changes of that day
    # each night read the sheets once, stamped with its own clock
    assert sheet_reads == [(d, nightly_run_at(d)) for d in (first_day, second_day)]

    checks = second.get_asset_check_evaluations()
    asset_keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert {check.check_name for check in checks} == {"rows_landed", "sqlmesh_audits"}
    landed = {c.asset_key for c in checks if c.check_name == "rows_landed"}
    assert landed == {key for key in asset_keys if key.path[0] == "raw"}
    audited = [c for c in checks if c.check_name == "sqlmesh_audits"]
    assert {c.asset_key for c in audited} == {k for k in asset_keys if k.path[0] != "raw"}
    assert all(check.metadata["audits"].value > 0 for check in audited)  # type: ignore[operator]
    assert all(check.passed for check in checks)

    # SQLMesh ran after the loads: staging holds one row per charge, in its latest version
    with duckdb.connect(str(platform_env.warehouse), read_only=True) as connection:
        staged = connection.execute(
            "SELECT count(*), count(DISTINCT charge_id) FROM staging.stg_stripe__charges"
        ).fetchone()
        distinct_raw = connection.execute(
            "SELECT count(DISTINCT id) FROM raw.stripe__charges"
        ).fetchone()
    assert staged == (distinct_raw[0], distinct_raw[0])


@pytest.mark.slow
def test_readme_pipeline_command_runs_the_day_and_prints_a_summary(
    platform_env: PlatformPaths, tmp_path: Path
) -> None:
    day = TODAY - timedelta(days=1)
    result = subprocess.run(
        [sys.executable, "-m", "dagster_defs", "--date", day.isoformat()],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "SOURCES__USE_SANDBOX": "true",
            "DAGSTER_HOME": str(tmp_path / "dagster"),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{day.isoformat()}: run ")
    assert lines[0].endswith(" ok")
    assert any(line.split()[0] == "raw/stripe__charges" for line in lines[1:])
    assert any(line.split()[0] == "staging/stg_stripe__charges" for line in lines[1:])
    assert lines[-1].startswith("done in ")
    # as it goes: a line per load (source, day, rows, seconds, what it read), a line per model
    progress = result.stderr.splitlines()
    assert progress[0] == f"{day.isoformat()} (1 of 1): loading, then SQLMesh"
    stripe = [line for line in progress if line.startswith(f"  stripe {day.isoformat()}: ")]
    assert len(stripe) == 1
    assert " rows in " in stripe[0]
    assert "(first load: the history from sources.stripe.start_date)" in stripe[0]
    assert any(
        line.startswith(f"  marts.revenue_daily {day.isoformat()}: built") for line in progress
    )
    assert " - dagster - " not in result.stderr  # Dagster's own lines only with --verbose
    # and a summary of what the run covered, the first loads' backfill, time per phase
    assert f"covered: {day.isoformat()} (1 day(s), 0 failed)" in lines
    assert any(
        line.startswith("  first load of stripe: its history from 2026-07-01") for line in lines
    )
    [times] = [line for line in lines if line.startswith("time: load ")]
    # each phase with its seconds: the loads by source, SQLMesh, start-up, Dagster, report
    for phase in (
        "stripe",
        "raw tables",
        "transform",
        "start-up",
        "emulators",
        "Dagster",
        "report",
    ):
        assert re.search(rf"\b{phase} \d+\.\d", times), (phase, times)
    report = platform_env.warehouse.parent / "report.html"
    assert f"report: {report}" in lines
    assert 'data-section="revenue" data-state="ok"' in report.read_text()
    assert (tmp_path / "dagster" / "dagster.yaml").exists()  # runs recorded, telemetry off


def test_partitions_reach_the_day_before_a_sandbox_clock_ahead_of_the_wall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster_defs.partitions import daily_partitions

    wall_yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    assert daily_partitions().get_partition_keys()[-1] == wall_yesterday
    ahead = datetime.now(UTC) + timedelta(days=10)  # a simulated night, as the calendar runs it
    monkeypatch.setenv("SANDBOX__NOW", ahead.isoformat())
    expected = (ahead - timedelta(days=1)).date().isoformat()
    assert daily_partitions().get_partition_keys()[-1] == expected
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "false")  # production counts to the wall's
    assert daily_partitions().get_partition_keys()[-1] == wall_yesterday
