"""One Dagster asset per SQLMesh model, run after the raw tables they read have loaded.

The model graph is read from the model files (`MODEL (name ...)` and the tables each query
reads) rather than by loading a SQLMesh context at import: the code server stays resident on a
1 GB VM and a context costs it ~80 MB. A test holds this graph against SQLMesh's own.
Staging models are grouped per source, so a source that failed to load holds back only its own
staging models (and the marts), not everyone else's.
"""

import os
import re
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    multi_asset,
)

from dagster_defs.partitions import DAILY
from dagster_defs.progress import step_done
from dagster_defs.restatements import restate_reloaded
from dagster_defs.retries import permanent_errors_fail_at_once
from dagster_defs.sqlmesh_audits import (
    AuditOutcome,
    audit_check_result,
    audit_check_spec,
    audit_models,
    blocking_audits_fail_at_once,
)
from destinations.lake import source_of
from destinations.run_lock import hold_run_lock
from destinations.settings import (
    PROJECT_ROOT,
    WarehouseSettings,
    lake_settings,
    warehouse_settings,
)
from destinations.sqlmesh_state import backup_state, restore_state
from sources.errors import error_chain
from sources.registry import enabled_source_names

if TYPE_CHECKING:
    from sqlmesh import Context

SQLMESH_PROJECT = PROJECT_ROOT / "sqlmesh"
_MODEL_NAME = re.compile(r"MODEL\s*\(\s*name\s+([\w.]+)", re.IGNORECASE)
_READS = re.compile(r"\b(?:FROM|JOIN)\s+((?:raw|staging|marts)\.\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class ModelNode:
    name: str  # schema.table
    reads: tuple[str, ...]

    @property
    def key(self) -> AssetKey:
        return AssetKey(self.name.split("."))

    @property
    def group(self) -> str:
        """`staging_<source>` for staging models, else the schema."""
        schema, table = self.name.split(".")
        if schema == "staging":
            return "staging_" + table.removeprefix("stg_").split("__")[0]
        return schema


def model_graph(models_dir: Path = SQLMESH_PROJECT / "models") -> list[ModelNode]:
    nodes = []
    for path in sorted(models_dir.rglob("*.sql")):
        text = path.read_text()
        match = _MODEL_NAME.search(text)
        if match is None:
            continue
        reads = sorted({name.lower() for name in _READS.findall(text)} - {match.group(1)})
        nodes.append(ModelNode(match.group(1).lower(), tuple(reads)))
    return nodes


@dataclass(frozen=True)
class ModelsRun:
    """What one SQLMesh step did: SQLMesh's run status, the audits, and the days restated per
    model because they were loaded again (ranges of days, first and last)."""

    status: str
    audits: dict[str, list[AuditOutcome]]
    restated: dict[str, list[tuple[date, date]]]

    def restated_text(self, name: str) -> str | None:
        ranges = self.restated.get(name)
        if not ranges:
            return None
        return ", ".join(
            first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
            for first, last in ranges
        )


_context: tuple[tuple[object, ...], "Context"] | None = None


def _run_context(gateway: str) -> "Context":
    """The SQLMesh context of this run's process, loaded once: loading the project (models,
    their schemas, its unit tests' YAML) cost each transform step ~2 s of a ~3 s step.

    It is made again when the settings it was made with may have changed: sqlmesh/config.py
    reads them from the environment (a test's, a `--start .. --end` run's never change).
    Each step closes its connections (`context.close()`), and the next step's first query opens
    them again: a load forked between two steps must not inherit an open DuckDB database.
    """
    global _context
    from sqlmesh import Context  # heavy: imported in the run, never in the code server

    key = (gateway, os.getcwd(), tuple(sorted(os.environ.items())))
    if _context is None or _context[0] != key:
        _context = (key, Context(paths=str(SQLMESH_PROJECT), gateway=gateway))
    return _context[1]


def run_models(names: Sequence[str], day: date) -> ModelsRun:
    """Apply model changes, restate the models over days loaded again since they were built,
    and fill the models' missing intervals up to `day`; audit them."""
    warehouse = warehouse_settings()
    gateway = "bigquery" if warehouse.kind == "bigquery" else "local"
    state_file, lake_url = warehouse.sqlmesh_state_file(), lake_settings().bucket_url
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        restore_state(state_file, lake_url)  # a rebuilt VM starts from the last run's state
    with out_of_memory_named(names, warehouse):
        context = _run_context(gateway)
        try:
            with blocking_audits_fail_at_once(context):
                status, restated = _plan_and_run(context, names, day)
            audits = audit_models(context, names, day)
        finally:
            context.close()
            if state_file is not None and state_file.exists():
                backup_state(state_file, lake_url)
    return ModelsRun(str(status.name), audits, restated)


def _plan_and_run(context: "Context", names: Sequence[str], day: date) -> tuple[Any, Any]:
    """Plan (apply model changes, fill missing intervals) and run the models up to `day`,
    restating the days loaded again since they were built; (SQLMesh's run status, restated)."""
    # Only these models (another source's may not have loaded), and only intervals up to
    # and including `day`: a day is never marked done before its raw partition exists.
    up_to_day = (day + timedelta(days=1)).isoformat()
    # skip_tests: the project's unit tests are about the code, which CI tests before it
    # deploys; run here they would cost every step ~40 MB (pytest) and seconds, for nothing
    context.plan(
        auto_apply=True,
        no_prompts=True,
        skip_tests=True,
        select_models=list(names),
        execution_time=up_to_day,
    )
    graph = model_graph()
    restated = restate_reloaded(
        context,
        names,
        {node.name: node.reads for node in graph},
        [node.name for node in runnable(graph, enabled_source_names())],
        lake_settings().resolved_url(),
    )
    # `end` too: SQLMesh's run otherwise stops at the wall clock, and a run whose clock is
    # ahead of it (a simulated night of sandbox.calendar) would fill nothing
    status = context.run(end=day.isoformat(), execution_time=up_to_day, select_models=list(names))
    if status.is_failure:
        raise RuntimeError(f"sqlmesh run failed for {', '.join(names)}")
    return status, restated


@contextmanager
def out_of_memory_named(names: Sequence[str], warehouse: WarehouseSettings) -> Iterator[None]:
    """Re-raise DuckDB running out of its memory budget, wherever SQLMesh wrapped it, as one
    line naming our settings: DuckDB's own message suggests `SET memory_limit`."""
    try:
        yield
    except Exception as error:
        import duckdb  # loaded already: SQLMesh's DuckDB (warehouse or state) imports it

        cause = next(
            (seen for seen in error_chain(error) if isinstance(seen, duckdb.OutOfMemoryException)),
            None,
        )
        if cause is None:
            raise
        raise RuntimeError(
            f"sqlmesh: DuckDB ran out of memory building {', '.join(names)} within "
            f"warehouse.duckdb_memory_limit = {warehouse.duckdb_memory_limit!r} and "
            f"warehouse.duckdb_threads = {warehouse.duckdb_threads}: raise the limit "
            "(env WAREHOUSE__DUCKDB_MEMORY_LIMIT) or lower the threads"
        ) from cause


def transform_assets(nodes: Sequence[ModelNode], group: str) -> AssetsDefinition:
    specs = [
        AssetSpec(
            key=node.key,
            deps=[AssetKey(name.split(".")) for name in node.reads],
            group_name=group,
            kinds={"sqlmesh"},
            partitions_def=DAILY,
        )
        for node in nodes
    ]

    @multi_asset(
        name=f"transform_{group}",
        specs=specs,
        check_specs=[audit_check_spec(node.key) for node in nodes],
        partitions_def=DAILY,
        backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=1),
    )
    def transform(
        context: AssetExecutionContext,
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        day = date.fromisoformat(context.partition_key)
        started = time.monotonic()
        with permanent_errors_fail_at_once():
            hold_run_lock()
            done = run_models([node.name for node in nodes], day)
        seconds = time.monotonic() - started
        for index, node in enumerate(nodes):
            restated_days = done.restated_text(node.name)
            what = f"restated {restated_days}" if restated_days else "built"
            step_done(
                "transform",
                seconds if index == 0 else 0.0,  # the step's time, counted once
                f"{node.name} {day}: {what} (SQLMesh {done.status.lower()}; "
                f"{group} step {seconds:.1f}s)",
            )
        for node in nodes:
            metadata = {"sqlmesh_run": done.status}
            restated = done.restated_text(node.name)
            if restated:
                metadata["restated"] = restated
                context.log.info(f"{node.name}: restated {restated} (loaded again)")
            yield MaterializeResult(asset_key=node.key, metadata=metadata)
            yield audit_check_result(node.key, done.audits.get(node.name, []))

    return transform


def runnable(nodes: Sequence[ModelNode], sources: Sequence[str]) -> list[ModelNode]:
    """The models whose inputs all come, directly or through other models, from `sources`.

    A model over a source the organisation does not load (`sources.enabled`) would fail to
    build: its raw table never exists.
    """
    kept: dict[str, ModelNode] = {}
    pending = list(nodes)
    while pending:
        ready = [
            node
            for node in pending
            if all(
                read in kept or (read.startswith("raw.") and source_of(read) in sources)
                for read in node.reads
            )
        ]
        if not ready:
            break
        kept.update((node.name, node) for node in ready)
        pending = [node for node in pending if node.name not in kept]
    return [node for node in nodes if node.name in kept]


def sqlmesh_assets() -> list[AssetsDefinition]:
    groups: dict[str, list[ModelNode]] = defaultdict(list)
    for node in runnable(model_graph(), enabled_source_names()):
        groups[node.group].append(node)
    return [transform_assets(nodes, group) for group, nodes in sorted(groups.items())]
