"""SQLMesh's state file, kept beside the lake: backed up after each run, restored on a new VM.

In production SQLMesh's state (which model versions exist, which intervals are done) is a DuckDB
file on the VM's disk (`warehouse.sqlmesh_state_path`): SQLMesh advises against BigQuery as a
state store, and a Postgres server would not fit the 1 GB VM. The disk goes with the VM, so
after every SQLMesh run the closed file is copied to `<lake>/_sqlmesh/state.duckdb`; a rebuilt
VM, whose disk has no state yet, copies it back before its first run. The bucket keeps earlier
versions (object versioning), so a bad state can be rolled back by hand. Locally the state sits
in the warehouse's own DuckDB file and none of this applies.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

import fsspec

BACKUP_PATH = "_sqlmesh/state.duckdb"


def backup_url(bucket_url: str) -> str:
    return posixpath.join(bucket_url.rstrip("/"), BACKUP_PATH)


def restore_state(state: Path, bucket_url: str) -> bool:
    """Copy the backup to `state` when `state` does not exist and a backup does."""
    if state.exists():
        return False
    filesystem, path = fsspec.core.url_to_fs(backup_url(bucket_url))
    if not filesystem.exists(path):
        return False
    state.parent.mkdir(parents=True, exist_ok=True)
    partial = state.with_name(state.name + ".restoring")
    filesystem.get_file(path, str(partial))
    os.replace(partial, state)  # a crash mid-copy leaves no half file where SQLMesh looks
    return True


def backup_state(state: Path, bucket_url: str) -> str:
    """Copy the state file (closed: no SQLMesh context open on it) to the bucket."""
    url = backup_url(bucket_url)
    filesystem, path = fsspec.core.url_to_fs(url)
    filesystem.makedirs(posixpath.dirname(path), exist_ok=True)
    filesystem.put_file(str(state), path)
    return url
