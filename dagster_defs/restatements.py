"""Restate the models over days that were loaded again (destinations/reloads.py).

SQLMesh restates what it is told to: the models of one SQLMesh step that read (directly or
through other models) a source with a day loaded again, for that day, if they had already
processed it (a day they have not processed, the step's own run fills). Contiguous days go in one
restatement. SQLMesh rebuilds an INCREMENTAL_BY_UNIQUE_KEY model whole whatever the range (a
key's newest version may be in any day, so only a replay in order is right); time-range models
restate just the days; FULL models are rebuilt at the newest time they were built for, so a
snapshot mart never goes back to an older day's sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from destinations.lake import source_of
from destinations.reloads import pending_reloads, settle
from sources.clock import day_start


def sources_upstream(reads: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """Each model's sources: those whose raw tables it reads, directly or through models."""
    found: dict[str, set[str]] = {}

    def visit(name: str) -> set[str]:
        if name not in found:
            found[name] = set()
            for read in reads.get(name, ()):
                if read.startswith("raw."):
                    found[name].add(source_of(read))
                else:
                    found[name] |= visit(read)
        return found[name]

    for name in reads:
        visit(name)
    return found


def _model_name(snapshot_name: str) -> str:
    """`"catalog"."staging"."stg_x"` -> `staging.stg_x`."""
    return ".".join(part.strip('"`') for part in snapshot_name.split(".")[-2:])


def processed_intervals(context: Any) -> dict[str, list[tuple[int, int]]]:
    """Each production model's processed intervals, in epoch milliseconds [start, end)."""
    environment = context.state_reader.get_environment("prod")
    if environment is None:
        return {}
    snapshots = context.state_reader.get_snapshots(environment.snapshots)
    return {_model_name(snapshot.name): list(snapshot.intervals) for snapshot in snapshots.values()}


def _ms(day: date) -> int:
    return int(day_start(day).timestamp() * 1000)


def _contiguous(days: Sequence[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def restate_reloaded(
    context: Any,
    names: Sequence[str],
    reads: dict[str, tuple[str, ...]],
    runnable_names: Sequence[str],
    lake_url: str,
) -> dict[str, list[tuple[date, date]]]:
    """Restate `names` for the days loaded again since they processed them; returns, per model
    restated, the ranges of days. `reads` is the whole model graph (model -> what it reads),
    `runnable_names` the models the daily job builds: a note goes once all of those over its
    source have been restated."""
    sources = sources_upstream(reads)
    reloads = pending_reloads(lake_url, {source for name in names for source in sources[name]})
    if not reloads:
        return {}
    intervals = processed_intervals(context)

    def processed(name: str, day: date) -> bool:
        start = _ms(day)
        return any(begin <= start < end for begin, end in intervals.get(name, []))

    days_of: dict[str, list[date]] = {}
    for reload in reloads:
        for name in names:
            waiting = reload.source in sources[name] and name not in reload.restated
            if waiting and processed(name, reload.day):
                days_of.setdefault(name, []).append(reload.day)
    restated: dict[str, list[tuple[date, date]]] = {}
    for first, last in _contiguous([day for days in days_of.values() for day in days]):
        models = sorted(
            name for name, days in days_of.items() if any(first <= d <= last for d in days)
        )
        newest = max(end for name in models for _, end in intervals[name])
        context.plan(
            restate_models=models,
            backfill_models=models,  # the downstream steps restate theirs themselves
            start=first.isoformat(),
            end=last.isoformat(),
            execution_time=datetime.fromtimestamp(newest / 1000, UTC).isoformat(),
            auto_apply=True,
            no_prompts=True,
            skip_tests=True,
        )
        for name in models:
            restated.setdefault(name, []).append((first, last))
    for reload in reloads:
        reload.restated |= {name for name in names if reload.source in sources[name]}
        settle(lake_url, reload, {n for n in runnable_names if reload.source in sources[n]})
    return restated
