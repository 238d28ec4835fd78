"""Days loaded again, kept in the lake until every model over them has been restated.

SQLMesh fills only intervals it has not processed: a day loaded again (a record fixed at the
source, a backfill, a killed run retried) would change the raw tables and nothing after them.
So a load that replaces an earlier load of its date leaves a note beside the source's tables,
`<lake>/<source>/_reloads/<date>.json`; the next SQLMesh step over that source (the same run's,
or the next night's after a load by hand) restates its models for that day and records that it
did; once every model over the source has, the note goes. The note lives in the lake, not in a
machine's folder, because the load and the transform may run on different machines or runs.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

RELOADS_DIR = "_reloads"


def _fs(lake_url: str) -> tuple[Any, str]:
    """The lake's filesystem and root path; anonymous against a GCS emulator (tests)."""
    from fsspec.core import url_to_fs

    from destinations.lake import uses_gcs_emulator

    fs, root = url_to_fs(lake_url, **({"token": "anon"} if uses_gcs_emulator(lake_url) else {}))
    return fs, root


@dataclass
class Reload:
    """One day of one source loaded again, and the models restated for it so far."""

    source: str
    day: date
    load_id: str
    restated: set[str] = field(default_factory=set)


def note_path(root: str, source: str, day: date) -> str:
    return posixpath.join(root, source, RELOADS_DIR, f"{day.isoformat()}.json")


def record_reload(fs: Any, dataset_path: str, source: str, day: date, load_id: str) -> None:
    """Note that `load_id` replaced an earlier load of `day` (`dataset_path` is the source's
    folder in the lake, as dlt's filesystem client names it). A note already there starts over:
    every model must see the newest load."""
    root = posixpath.dirname(dataset_path.rstrip("/"))
    note = {"source": source, "day": day.isoformat(), "load_id": load_id, "restated": []}
    fs.makedirs(posixpath.join(root, source, RELOADS_DIR), exist_ok=True)
    fs.pipe_file(note_path(root, source, day), json.dumps(note).encode())


def pending_reloads(lake_url: str, sources: Iterable[str]) -> list[Reload]:
    fs, root = _fs(lake_url)
    found = []
    for source in sorted(set(sources)):
        directory = posixpath.join(root, source, RELOADS_DIR)
        if not fs.exists(directory):
            continue
        for path in sorted(fs.ls(directory, detail=False)):
            if not path.endswith(".json"):
                continue
            note = json.loads(fs.cat_file(path))
            found.append(
                Reload(
                    source=note["source"],
                    day=date.fromisoformat(note["day"]),
                    load_id=note["load_id"],
                    restated=set(note["restated"]),
                )
            )
    return found


def settle(lake_url: str, reload: Reload, waiting_for: set[str]) -> None:
    """Save which models `reload` has been restated for; drop the note once none is waiting.

    A note that a later load replaced meanwhile (another load id) is left alone: it is news.
    """
    fs, root = _fs(lake_url)
    path = note_path(root, reload.source, reload.day)
    if not fs.exists(path) or json.loads(fs.cat_file(path))["load_id"] != reload.load_id:
        return
    if not waiting_for - reload.restated:
        fs.rm_file(path)
        return
    note = {
        "source": reload.source,
        "day": reload.day.isoformat(),
        "load_id": reload.load_id,
        "restated": sorted(reload.restated),
    }
    fs.pipe_file(path, json.dumps(note).encode())
