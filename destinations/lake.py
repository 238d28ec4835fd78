"""The Parquet lake: dlt's filesystem destination laid out as `<source>/<table>/date=YYYY-MM-DD/`.

We configure dlt's own filesystem destination rather than writing a sink: it keeps the pipeline
state (incremental windows) in the lake beside the data, so a rebuilt machine resumes from the
lake, and it records each completed load in `<source>/_dlt_loads/`, which is how the raw tables
tell a finished load from one killed half-way.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import dlt
from dlt.common.destination import Destination
from dlt.destinations import filesystem

from destinations.settings import lake_settings

# `date` is a hive partition key: it lives in the path only, never as a column in the files
# (BigQuery rejects a key that is both).
LAYOUT = "{table_name}/date={date}/{load_id}.{file_id}.{ext}"
PARTITION_KEY = "date"
LOADS_TABLE = "_dlt_loads"

# The load id in a lake file's name; the raw tables' SQL (DuckDB and BigQuery) uses it too.
LOAD_ID_PATTERN = r"(\d+\.\d+)\.[^./]+\.parquet$"
_LOAD_ID_IN_FILE_NAME = re.compile(LOAD_ID_PATTERN)


def lake_destination(bucket_url: str, run_date: date) -> Destination[Any, Any]:
    """dlt's filesystem destination writing this run's files into partition `date=<run_date>`."""
    return filesystem(
        bucket_url=bucket_url,
        credentials=_emulator_credentials(bucket_url),
        layout=LAYOUT,
        extra_placeholders={PARTITION_KEY: run_date.isoformat()},
        destination_name="lake",
    )


def load_id_of(file_name: str) -> str | None:
    """The dlt load id that wrote a lake file, from its name `<load_id>.<file_id>.parquet`."""
    match = _LOAD_ID_IN_FILE_NAME.search(file_name)
    return match.group(1) if match else None


def raw_table_name(source: str, table: str) -> str:
    """The warehouse name of a lake table, in dataset `raw`: `<source>__<table>`."""
    return f"{source}__{table}"


def source_of(raw_table: str) -> str:
    """The source of a raw table, `raw_table_name`'s first half (`raw.` prefix allowed)."""
    return raw_table.removeprefix("raw.").split("__")[0]


@dataclass(frozen=True)
class LakeFile:
    path: str
    size: int


def partition_dir(dataset_path: str, table: str, run_date: date) -> str:
    return posixpath.join(dataset_path, table, f"{PARTITION_KEY}={run_date.isoformat()}")


def replace_partition(
    fs: Any, dataset_path: str, table: str, run_date: date, load_id: str
) -> tuple[list[LakeFile], int]:
    """Once `load_id` has completed, delete earlier loads' files from one date partition.

    Returns the files `load_id` wrote there and how many older files were removed. Only a table
    that `load_id` wrote is touched: a run of some resources leaves the other tables' partitions
    alone. The raw tables already show only the newest completed load of each partition, so
    this is storage hygiene that also keeps the lake right for tools that do not know that rule.
    """
    directory = partition_dir(dataset_path, table, run_date)
    if not fs.exists(directory):
        return [], 0
    entries = fs.ls(directory, detail=True)
    written = [
        LakeFile(path=entry["name"], size=int(entry.get("size") or 0))
        for entry in entries
        if load_id_of(entry["name"]) == load_id
    ]
    if not written:
        return [], 0
    stale = [entry["name"] for entry in entries if load_id_of(entry["name"]) != load_id]
    for path in stale:
        fs.rm_file(path)
    return written, len(stale)


def empty_partition(fs: Any, dataset_path: str, table: str, run_date: date, load_id: str) -> int:
    """Make `load_id` the date partition's newest load with no rows; returns files removed.

    For a table the load has nothing for but must still restate: the rejected records of a
    date loaded again after its bad record was fixed. Deleting the old files alone could leave
    a table with no files at all, which neither DuckDB's views nor BigQuery's external tables
    read; so the load writes an empty file with the old files' columns, which the raw tables
    read as the date's newest load, then removes the rest.
    """
    import pyarrow.parquet as pq

    directory = partition_dir(dataset_path, table, run_date)
    if not fs.exists(directory):
        return 0
    old = [
        path for path in fs.ls(directory, detail=False) if load_id_of(path) not in (None, load_id)
    ]
    if not old:
        return 0
    with fs.open(old[0], "rb") as file:
        schema = pq.read_schema(file)
    with fs.open(posixpath.join(directory, f"{load_id}.empty.parquet"), "wb") as file:
        pq.write_table(schema.empty_table(), file)
    for path in old:
        fs.rm_file(path)
    return len(old)


def uses_gcs_emulator(bucket_url: str) -> bool:
    """A `gs://` lake served by `gcp-storage-emulator` (tests): STORAGE_EMULATOR_HOST is set."""
    return bucket_url.startswith("gs://") and bool(os.environ.get("STORAGE_EMULATOR_HOST"))


def _emulator_credentials(bucket_url: str) -> Any:
    """Anonymous credentials when a GCS emulator is in use; None lets dlt find the real ones.

    On the VM, google-auth finds the service account through the metadata server. Against
    `gcp-storage-emulator` (tests) there is no account, and dlt insists on one unless handed
    credentials built in code.
    """
    if not uses_gcs_emulator(bucket_url):
        return None
    from dlt.common.configuration.specs import GcpServiceAccountCredentials
    from google.auth.credentials import AnonymousCredentials

    credentials = GcpServiceAccountCredentials()
    credentials.project_id = os.environ.get("GOOGLE_CLOUD_PROJECT", "emulator")
    # dlt's hook for credentials found by google.auth.default(); it has no public setter.
    credentials._set_default_credentials(AnonymousCredentials())
    credentials.resolve()
    return credentials


def pipeline_for(
    source_name: str, run_date: date, pipelines_dir: str | None = None, progress: Any = None
) -> dlt.Pipeline:
    """The source's dlt pipeline writing to the lake partition of `run_date`.

    Named after the source, so `dlt pipeline <source> info` finds it.
    """
    lake_url = lake_settings().resolved_url()
    return dlt.pipeline(
        pipeline_name=source_name,
        destination=lake_destination(lake_url, run_date),
        dataset_name=source_name,
        pipelines_dir=pipelines_dir,  # type: ignore[arg-type]  # None: dlt's default folder
        progress=progress,
    )
