"""One Dagster asset per dlt resource: `raw/<source>__<table>`, grouped by source, daily.

`dagster-dlt` describes the assets (one multi-asset per source, from the dlt source's
resources); the body runs our own `load_source()` rather than `DagsterDltResource.run()`,
because a partition must land in its own `date=` folder and the incremental windows must be
restored from the lake, which our load does (see destinations/load.py). A source failing does
not stop the others: each source is its own op. Each load runs in its own step process
(step_process.py), so one source's SDK and buffers are gone before the next source starts.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as dt_time

import dlt
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    FreshnessPolicy,
    MaterializeResult,
)
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.common.schema import Schema
from dlt.extract.source import DltSource

from dagster_defs.partitions import DAILY
from dagster_defs.progress import step_done
from dagster_defs.retries import permanent_errors_fail_at_once
from dagster_defs.step_process import in_step_process
from destinations.lake import pipeline_for, raw_table_name
from destinations.run_lock import hold_run_lock
from sources.apis import api_endpoint
from sources.registry import SourceSpec

# The daily run starts at 02:00 UTC: a day's data that is not in by 09:00 is late.
FRESHNESS_DEADLINE = dt_time(9, 0)
RAW_FRESHNESS = FreshnessPolicy.cron(
    deadline_cron=f"{FRESHNESS_DEADLINE.minute} {FRESHNESS_DEADLINE.hour} * * *",
    lower_bound_delta=timedelta(hours=9),
)


def raw_asset_key(source: str, table: str) -> AssetKey:
    """The raw table's key; SQLMesh's external model `raw.<source>__<table>` maps to the same."""
    return AssetKey(["raw", raw_table_name(source, table)])


class RawTableTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        resource = data.resource
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=raw_asset_key(resource.source_name, resource.name),
                deps=[],
                group_name=resource.source_name,
                description=f"{resource.source_name} {resource.name}, one date partition a day",
                freshness_policy=RAW_FRESHNESS,
            )
        )


def table_listing(spec: SourceSpec) -> DltSource:
    """The source's tables as a dlt source that never runs: all `dlt_assets` needs to describe them.

    Not `spec.build(...)`: that would build the vendor's client, and with it import its SDK, in
    the code server, which stays resident on the 1 GB VM and never calls an API (a run builds
    the real source). The real source's resources are `spec.resources` (tests/sources).
    """
    tables = [dlt.resource([], name=table, write_disposition="append") for table in spec.resources]
    return DltSource(Schema(spec.name), spec.name, tables)


@dataclass(frozen=True)
class LoadedTables:
    """What the run needs to know of a load done in its step process (plain data: unpickling
    it in the run must not import what the load used)."""

    load_id: str
    lake_url: str
    rows: dict[str, int]
    summary: str
    coverage: str = ""
    backfill_from: str | None = None  # the first day read, when this was a first load
    raw_tables_seconds: float = 0.0


def load_tables(spec: SourceSpec, day: date, tables: tuple[str, ...]) -> LoadedTables:
    """Load `tables` of the source for `day` into the lake and raw tables (in the step process)."""
    # pyarrow, duckdb: the step's, not the run's
    from destinations.load import build_source, load_source

    with api_endpoint(spec) as endpoint:
        built = build_source(spec, day, **endpoint).with_resources(*tables)
        summary = load_source(built, day)
    first = summary.read_from.date().isoformat() if summary.backfill and summary.read_from else None
    return LoadedTables(
        summary.load_id,
        summary.lake_url,
        dict(summary.rows),
        summary.render(),
        summary.coverage(),
        first,
        summary.raw_tables_seconds,
    )


def source_assets(spec: SourceSpec) -> AssetsDefinition:
    """The multi-asset of one source's resources."""

    @dlt_assets(
        dlt_source=table_listing(spec),
        dlt_pipeline=pipeline_for(spec.name, date.today()),
        name=f"load_{spec.name}",
        dagster_dlt_translator=RawTableTranslator(),
        partitions_def=DAILY,
        # one run per day: each day is its own window and its own date partition
        backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=1),
    )
    def load(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        day = date.fromisoformat(context.partition_key)
        tables = tuple(key.path[-1].split("__", 1)[1] for key in context.selected_asset_keys)
        started = time.monotonic()
        with permanent_errors_fail_at_once():
            hold_run_lock()  # the run's, not the step's: held in the run's process
            loaded = in_step_process(load_tables, spec, day, tables)
        context.log.info(loaded.summary)
        seconds = time.monotonic() - started
        rows = sum(loaded.rows.values())
        note = f"; {loaded.coverage}" if loaded.coverage else ""
        step_done(
            "load",
            seconds,
            f"{spec.name} {day}: {rows:,} rows in {seconds:.1f}s{note}",
            source=spec.name,
            day=day.isoformat(),
            rows=rows,
            backfill_from=loaded.backfill_from,
            raw_tables_seconds=loaded.raw_tables_seconds,
        )
        for table in tables:
            yield MaterializeResult(
                asset_key=raw_asset_key(spec.name, table),
                metadata={
                    "rows": loaded.rows.get(table, 0),
                    "load_id": loaded.load_id,
                    "lake": f"{loaded.lake_url}/{spec.name}/{table}/date={day.isoformat()}/",
                },
            )

    return load
