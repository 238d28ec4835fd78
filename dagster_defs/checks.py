"""Asset checks on the raw tables: the rows a load reported are in the lake.

Freshness is a `FreshnessPolicy` on each raw asset (lake_assets.py), which the daemon evaluates.
"""

from collections.abc import Sequence

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    asset_check,
)
from fsspec.core import url_to_fs

from destinations.lake import load_id_of


def rows_in_load(directory_url: str, load_id: str) -> tuple[int, int]:
    """Rows and files of one load in a lake folder, from the Parquet footers."""
    import pyarrow.parquet as pq  # the run's (SQLMesh imports it too), never the code server's

    fs, directory = url_to_fs(directory_url)
    if not fs.exists(directory):  # the load wrote nothing for this date (a skipped sheet)
        return 0, 0
    files = [path for path in fs.ls(directory, detail=False) if load_id_of(path) == load_id]
    rows = 0
    for path in files:
        with fs.open(path, "rb") as handle:
            rows += pq.ParquetFile(handle).metadata.num_rows
    return rows, len(files)


def rows_landed_check(key: AssetKey) -> AssetChecksDefinition:
    """The latest load's files hold exactly the rows the load reported."""

    @asset_check(asset=key, name="rows_landed", blocking=False)
    def rows_landed(context: AssetCheckExecutionContext) -> AssetCheckResult:
        event = context.instance.get_latest_materialization_event(key)
        materialization = event.asset_materialization if event else None
        if materialization is None:
            return AssetCheckResult(passed=False, description="never materialized")
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        if not metadata["load_id"]:
            return AssetCheckResult(
                passed=True,
                metadata={"reported_rows": 0, "landed_rows": 0, "files": 0},
                description=f"{materialization.partition}: nothing loaded (skipped), as reported",
            )
        landed, files = rows_in_load(str(metadata["lake"]), str(metadata["load_id"]))
        reported = int(str(metadata["rows"]))
        return AssetCheckResult(
            passed=landed == reported,
            severity=AssetCheckSeverity.ERROR,
            metadata={"reported_rows": reported, "landed_rows": landed, "files": files},
            description=f"{materialization.partition}: {landed} rows in {files} files",
        )

    return rows_landed


def raw_table_checks(keys: Sequence[AssetKey]) -> list[AssetChecksDefinition]:
    return [rows_landed_check(key) for key in keys]
