"""Load one dlt source into the lake for one date, then make its raw tables follow.

Shared by `python -m sources.<name>` and the Dagster assets, so both behave the same: the date
partition is replaced, state is restored from the lake when the local pipelines folder is
gone, and a crashed earlier run is never resumed into the wrong partition.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource

from destinations.lake import empty_partition, pipeline_for, replace_partition
from destinations.raw_tables import data_tables, register_raw_tables
from destinations.reloads import record_reload
from destinations.settings import lake_settings, warehouse_settings
from sources import drift
from sources.registry import SourceSpec
from sources.rejects import REJECTED_TABLE
from sources.windows import WINDOWS_KEY

log = logging.getLogger(__name__)


@dataclass
class LoadSummary:
    """What one load did, for the CLI's closing summary and Dagster's metadata."""

    source: str
    run_date: date
    lake_url: str
    load_id: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes_written: int = 0
    replaced_files: int = 0
    raw_tables: list[str] = field(default_factory=list)
    seconds: float = 0.0
    raw_tables_seconds: float = 0.0  # of `seconds`: making the raw tables follow the lake
    # the source time the load read, across its resources, and whether it was a first load
    # (a backfill of the history from the source's start_date)
    read_from: datetime | None = None
    read_to: datetime | None = None
    backfill: bool = False
    # resource -> fields the API sent that neither the model nor the SDK declares -> a record id
    undeclared: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def coverage(self) -> str:
        """`read 2026-07-01 00:00 .. 2026-12-03 02:00 UTC (first load: the history ...)`."""
        if self.read_from is None or self.read_to is None:
            return ""
        span = f"read {self.read_from:%Y-%m-%d %H:%M} .. {self.read_to:%Y-%m-%d %H:%M} UTC"
        if self.backfill:
            span += f" (first load: the history from sources.{self.source}.start_date)"
        return span

    def render(self) -> str:
        if not self.load_id:
            return (
                f"{self.source} {self.run_date.isoformat()}: nothing loaded in "
                f"{self.seconds:.1f}s (every table skipped; the date's partitions are as they were)"
            )
        lines = [
            f"{self.source} {self.run_date.isoformat()}: load {self.load_id} "
            f"in {self.seconds:.1f}s",
        ]
        width = max((len(table) for table in self.rows), default=5)
        for table, count in sorted(self.rows.items()):
            lines.append(f"  {table:<{width}}  {count:>10,} rows")
        lines.append(
            f"  {self.files} files, {self.bytes_written:,} bytes -> "
            f"{self.lake_url}/{self.source}/<table>/date={self.run_date.isoformat()}/"
        )
        if self.coverage():
            lines.append(f"  {self.coverage()}")
        if self.replaced_files:
            lines.append(f"  replaced {self.replaced_files} files of an earlier load of this date")
        if self.raw_tables:
            lines.append(f"  raw tables: {', '.join(self.raw_tables)}")
        for resource, fields in self.undeclared.items():
            lines.append(f"  drift: {drift.describe(self.source, resource, fields)}")
        return "\n".join(lines)


def build_source(spec: SourceSpec, run_date: date, **arguments: Any) -> DltSource:
    """The source of `spec` for `run_date`, its settings read under its own name only.

    dlt looks a source's settings up under the active pipeline's name first
    (`<pipeline>.sources.stripe.api_key`), and the active pipeline is the last one made: in a
    Dagster run, the last source defined. Making the source's own pipeline first means
    `GOOGLE_SHEETS__SOURCES__STRIPE__API_KEY` never reaches Stripe.
    """
    pipeline_for(spec.name, run_date)
    return spec.build(run_date=run_date, **arguments)


def load_source(
    source: DltSource,
    run_date: date,
    *,
    pipelines_dir: str | None = None,
    progress: Any = None,
) -> LoadSummary:
    """Extract, normalise and load `source` into the `date=run_date` partitions of the lake."""
    started = time.monotonic()
    warehouse = warehouse_settings()
    lake_url = lake_settings().resolved_url()
    pipeline = pipeline_for(source.name, run_date, pipelines_dir, progress)
    if pipeline.has_pending_data:
        # A crashed run left packages behind. Resuming them would write into this run's date
        # partition, so drop them and the local state they advanced; the state is restored
        # from the lake, where only completed loads count.
        log.warning(
            "%s: dropping unfinished load packages %s of a crashed run; state is restored "
            "from the lake",
            source.name,
            ", ".join(
                [
                    *pipeline.list_extracted_load_packages(),
                    *pipeline.list_normalized_load_packages(),
                ]
            ),
        )
        pipeline = pipeline.drop()
    try:
        info = pipeline.run(source, loader_file_format="parquet")
        info.raise_on_failed_jobs()
    finally:
        # logged even when the load fails: a renamed field may be why
        undeclared = drift.take(source.name)
    if not info.loads_ids:
        # Every resource chose to yield nothing (a sheet outside its date's nightly run): no
        # package, nothing written, the date's partitions untouched.
        seconds = time.monotonic() - started
        return LoadSummary(source.name, run_date, lake_url, load_id="", seconds=seconds)
    load_id = _only_load_id(info)

    schema = pipeline.schemas[source.name]
    tables = list(data_tables(schema))
    summary = LoadSummary(
        source=source.name,
        run_date=run_date,
        lake_url=lake_url,
        load_id=load_id,
        undeclared=undeclared,
    )
    with pipeline.destination_client() as client:
        fs, dataset_path = client.fs_client, client.dataset_path  # type: ignore[attr-defined]
        for table in tables:
            written, removed = replace_partition(fs, dataset_path, table, run_date, load_id)
            if table == REJECTED_TABLE and not written and _ran_every_resource(source):
                # nothing rejected this time: the date's earlier rejects were fixed at the source
                removed = empty_partition(fs, dataset_path, table, run_date, load_id)
            summary.replaced_files += removed
            summary.files += len(written)
            summary.bytes_written += sum(file.size for file in written)
        if summary.replaced_files:
            # SQLMesh holds this date as done: the models over it must be told to restate it
            record_reload(fs, dataset_path, source.name, run_date, load_id)

    trace = pipeline.last_trace
    row_counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    summary.rows = {table: row_counts.get(table, 0) for table in tables}
    registering = time.monotonic()
    summary.raw_tables = register_raw_tables(warehouse, lake_url, source.name, schema)
    summary.raw_tables_seconds = time.monotonic() - registering
    _add_windows(summary, pipeline.state, source.name, run_date)
    summary.seconds = time.monotonic() - started
    return summary


def _add_windows(summary: LoadSummary, state: Any, source: str, run_date: date) -> None:
    """What the resources read for `run_date`, from the windows they recorded in dlt state."""
    resources = state.get("sources", {}).get(source, {}).get("resources", {})
    windows = [
        resource[WINDOWS_KEY][run_date.isoformat()]
        for resource in resources.values()
        if run_date.isoformat() in resource.get(WINDOWS_KEY, {})
    ]
    if windows:
        summary.read_from = min(datetime.fromisoformat(w["start"]) for w in windows)
        summary.read_to = max(datetime.fromisoformat(w["end"]) for w in windows)
        summary.backfill = any(w.get("first") for w in windows)


def _ran_every_resource(source: DltSource) -> bool:
    """A load of some tables only (`--resources`) says nothing of the others' rejects."""
    return set(source.resources.selected) == set(source.resources)


def _only_load_id(info: LoadInfo) -> str:
    if len(info.loads_ids) != 1:
        raise RuntimeError(f"expected one load package, dlt loaded {info.loads_ids}")
    return info.loads_ids[0]
