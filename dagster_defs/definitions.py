"""Everything Dagster runs: the raw-table assets of every source, their checks, the daily job."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
)

from dagster_defs.alert_sensors import alert_sensors, stale_source_sensor
from dagster_defs.checks import raw_table_checks
from dagster_defs.heap import release_free_heap
from dagster_defs.lake_assets import source_assets
from dagster_defs.retries import RETRY_POLICY
from dagster_defs.sqlmesh_assets import sqlmesh_assets
from sources.clock import NIGHTLY_RUN
from sources.registry import enabled_source_names, source_spec

lake_assets = [source_assets(source_spec(name)) for name in enabled_source_names()]
raw_keys = [key for assets in lake_assets for key in assets.keys]
checks = raw_table_checks(raw_keys)
transform_assets = sqlmesh_assets()

daily_job = define_asset_job(
    "daily",
    selection=AssetSelection.all(),
    # transient API or network failures: retry the failed source, not the whole day
    op_retry_policy=RETRY_POLICY,
    # one op at a time in the run's process: the VM has 1 GB, and DuckDB takes one writer
    executor_def=in_process_executor,
    description="Load every source for one day, then transform it.",
)

# Ticks at 02:00 UTC and runs the partition of the day before.
daily_schedule = build_schedule_from_partitioned_job(
    daily_job, hour_of_day=NIGHTLY_RUN.hour, minute_of_hour=NIGHTLY_RUN.minute
)

defs = Definitions(
    assets=[*lake_assets, *transform_assets],
    asset_checks=checks,
    jobs=[daily_job],
    schedules=[daily_schedule],
    sensors=[*alert_sensors(daily_job), stale_source_sensor(raw_keys)],
)

release_free_heap()  # what building all this dropped: the code server idles on it all day
