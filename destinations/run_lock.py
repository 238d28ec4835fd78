"""One run at a time per lake and warehouse: a lock file that a second run waits for.

Two runs on the same lake and warehouse collide: DuckDB takes one writer, and two loads of one
day race to replace its files. The daemon launches one run at a time, but a load or a run
started by hand beside it is not the daemon's. So every run (`python -m sources...`,
`python -m dagster_defs`, each run the daemon launches) holds this lock for as long as its
process lives, and a second one waits for it (saying who holds it, every 30 s) up to
`lake.lock_wait_seconds`, then stops with one line naming the holder.

The lock is an advisory `flock` on a file beside the warehouse's state (the DuckDB file, or
SQLMesh's state file with BigQuery, on the VM under /var/dagster): the kernel releases it when
its process dies, so a lock left by a killed run is taken over at once, and the holder's note in
the file (pid, command, start) says whose it was. It covers the runs of one machine, which is
where a deployment runs (one VM); two machines sharing a bucket are not covered.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from destinations.settings import (
    PROJECT_ROOT,
    LakeSettings,
    WarehouseSettings,
    lake_settings,
    warehouse_settings,
)
from sources.errors import OneLineError

log = logging.getLogger(__name__)

REPORT_EVERY_SECONDS = 30.0


class RunLockBusy(OneLineError):
    """Another run held the lock for longer than this one would wait."""

    retryable = True  # the other run ends; a later try gets the lock


def lock_path(lake: LakeSettings, warehouse: WarehouseSettings) -> Path:
    """Beside what two runs must not share: the DuckDB warehouse, SQLMesh's state file with
    BigQuery, else the local lake folder."""
    if warehouse.kind == "duckdb":
        database = warehouse.resolved_duckdb_path()
        return database.with_name(database.name + ".run-lock")
    state = warehouse.sqlmesh_state_file()
    if state is not None:
        return state.with_name(state.name + ".run-lock")
    if lake.is_local:
        return Path(lake.resolved_url().removeprefix("file://")) / ".run-lock"
    return PROJECT_ROOT / ".local" / "run-lock"


@dataclass
class RunLock:
    path: Path
    fd: int

    def release(self) -> None:
        os.ftruncate(self.fd, 0)  # an empty file: released, not left by a killed run
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _holder(fd: int) -> str:
    """Who holds (or last held) the lock, from its note: `pid 123 (python -m ...) since ...`."""
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        note = json.loads(raw)
    except ValueError:
        return "an unknown run"
    where = f"pid {note.get('pid')} on {note.get('host')}"
    return f"{where} ({note.get('command')}) since {note.get('since')}"


def acquire(path: Path, wait_seconds: float, setting: str = "lake.lock_wait_seconds") -> RunLock:
    """Take the lock at `path`, waiting up to `wait_seconds` for the run that holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
    started = time.monotonic()
    reported = 0.0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            waited = time.monotonic() - started
            holder = _holder(fd)
            if waited >= wait_seconds:
                os.close(fd)
                env = setting.upper().replace(".", "__")
                raise RunLockBusy(
                    f"another run holds {path}: {holder}; waited {waited:.0f}s "
                    f"(setting {setting}, env {env})"
                ) from None
            if waited >= reported:
                print(
                    f"waiting for {path}: held by {holder} (up to {wait_seconds:.0f}s)",
                    file=sys.stderr,
                    flush=True,
                )
                reported = waited + REPORT_EVERY_SECONDS
            time.sleep(min(1.0, max(wait_seconds - waited, 0.05)))
    left = os.pread(fd, 4096, 0)
    if left.strip():
        # a note with no lock on it: its run died holding it (a clean release empties it)
        log.warning(
            "taking over %s, left by a run that ended without releasing it: %s", path, _holder(fd)
        )
    note = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join(["python", *sys.argv])[:300],
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(note).encode(), 0)
    return RunLock(path, fd)


_held: dict[Path, RunLock] = {}


def hold_run_lock() -> Path:
    """Hold this platform's run lock until the process ends: taken once per process, by the
    first step of its run (or the CLI), so every later step and run of the process has it."""
    lake = lake_settings()
    path = lock_path(lake, warehouse_settings())
    if path not in _held:
        _held[path] = acquire(path, lake.lock_wait_seconds)
        atexit.register(_held[path].release)
    return path
