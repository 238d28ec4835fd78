"""Make the raw tables follow the lake after a load: DuckDB views locally, BigQuery in prod.

The warehouse's modules (duckdb, the BigQuery client, pyarrow for the placeholders) are
imported only when a load registers tables: a lake-only load (`warehouse.kind = "none"`)
never pays their ~30 MiB and ~0.15 s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dlt.common.schema import Schema

from destinations.lake import raw_table_name
from destinations.settings import WarehouseSettings

if TYPE_CHECKING:
    import pyarrow as pa


def data_tables(schema: Schema) -> dict[str, list[dict[str, Any]]]:
    """The schema's data tables (not dlt's own) with their columns in order."""
    return {
        str(table["name"]): [dict(column) for column in table.get("columns", {}).values()]
        for table in schema.data_tables()
        if table.get("columns")
    }


def register_raw_tables(
    warehouse: WarehouseSettings, lake_url: str, source: str, schema: Schema
) -> list[str]:
    """Create or replace the raw tables of one source; returns their qualified names."""
    tables: Mapping[str, list[dict[str, Any]]] = data_tables(schema)
    if warehouse.kind == "none":
        return []
    if warehouse.kind == "bigquery":
        from destinations import bigquery_ddl

        project = str(warehouse.bigquery_project)
        statements = bigquery_ddl.raw_tables_ddl(
            project, warehouse.raw_dataset, source, tables, lake_url
        )
        bigquery_ddl.apply_ddl(project, warehouse.bigquery_location, statements)
        return [f"{warehouse.raw_dataset}.{raw_table_name(source, table)}" for table in tables]
    if not lake_url.startswith("file://"):
        raise ValueError(
            f"warehouse.kind 'duckdb' reads a local lake only; lake.bucket_url is {lake_url}"
        )
    from destinations import duckdb_views

    database = warehouse.resolved_duckdb_path()
    names = duckdb_views.register_views(
        database, warehouse.raw_dataset, source, tables, lake_url.removeprefix("file://")
    )
    duckdb_views.register_placeholders(database, warehouse.raw_dataset, raw_table_schemas())
    return names


def raw_table_schemas() -> dict[str, pa.Schema]:
    """Every raw table a source can write, by name, with the columns its model gives it."""
    from destinations.external_models import known_raw_tables  # imports every source
    from sources.arrow import arrow_schema

    return {
        raw_table_name(source, table): arrow_schema(model)
        for source, table, model in known_raw_tables()
    }
