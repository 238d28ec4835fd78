"""Raw tables in DuckDB: one view per lake table, showing only rows of completed loads.

A view reads `<lake>/<source>/<table>/date=*/*.parquet` with hive partitioning, keeps the files
whose load id appears in the source's `_dlt_loads` (written by dlt only when a load completes),
and of those only the newest load of each date partition, so a reloaded date replaces the old
one even before its files are cleaned up. `date` comes from the path and `_dlt_load_id` from the
file name; neither is stored inside the files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from destinations.lake import LOAD_ID_PATTERN, LOADS_TABLE, PARTITION_KEY, raw_table_name


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(raw_dataset: str, source: str, table: str, lake_dir: str) -> str:
    """`CREATE OR REPLACE VIEW` for one raw table over a local lake folder."""
    files = f"{lake_dir}/{source}/{table}/{PARTITION_KEY}=*/*.parquet"
    loads = f"{lake_dir}/{source}/{LOADS_TABLE}/*.jsonl"
    name = f"{_quote(raw_dataset)}.{_quote(raw_table_name(source, table))}"
    return f"""CREATE OR REPLACE VIEW {name} AS
WITH files AS (
    SELECT * EXCLUDE (filename),
        regexp_extract(filename, {_literal(LOAD_ID_PATTERN)}, 1) AS _dlt_load_id
    FROM read_parquet({_literal(files)}, hive_partitioning = true, union_by_name = true,
                      filename = true)
),
completed AS (
    SELECT load_id FROM read_json({_literal(loads)}, format = 'newline_delimited',
                                  columns = {{load_id: 'VARCHAR', status: 'BIGINT'}})
    WHERE status = 0
)
SELECT files.* FROM files
WHERE _dlt_load_id IN (SELECT load_id FROM completed)
QUALIFY _dlt_load_id = max(_dlt_load_id) OVER (PARTITION BY {PARTITION_KEY})
"""


def register_views(
    database: Path, raw_dataset: str, source: str, tables: Iterable[str], lake_dir: str
) -> list[str]:
    """Create or replace the raw views of `tables`; returns the qualified view names."""
    database.parent.mkdir(parents=True, exist_ok=True)
    names = []
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(raw_dataset)}")
        for table in tables:
            connection.execute(view_sql(raw_dataset, source, table, lake_dir))
            names.append(f"{raw_dataset}.{raw_table_name(source, table)}")
    return names


def placeholder_sql(raw_dataset: str, raw_table: str, schema: pa.Schema) -> str:
    """`CREATE VIEW IF NOT EXISTS`: an empty view with the raw table's columns and types."""
    relation = duckdb.from_arrow(schema.empty_table())
    columns = [
        f"CAST(NULL AS {column_type}) AS {_quote(column)}"
        for column, column_type in zip(relation.columns, relation.types, strict=True)
    ]
    columns += [f"CAST(NULL AS DATE) AS {PARTITION_KEY}", "CAST(NULL AS VARCHAR) AS _dlt_load_id"]
    name = f"{_quote(raw_dataset)}.{_quote(raw_table)}"
    return f"CREATE VIEW IF NOT EXISTS {name} AS SELECT {', '.join(columns)} WHERE FALSE"


def register_placeholders(
    database: Path, raw_dataset: str, schemas: Mapping[str, pa.Schema]
) -> list[str]:
    """Empty views for the raw tables (by name) that have no view yet; returns the new ones.

    A SQLMesh plan needs every model's inputs to exist; with these, the whole project plans
    after any one source has loaded, and the marts of sources not loaded yet are just empty.
    """
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(raw_dataset)}")
        existing = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [raw_dataset],
            ).fetchall()
        }
        created = []
        for raw_table, schema in schemas.items():
            if raw_table not in existing:
                connection.execute(placeholder_sql(raw_dataset, raw_table, schema))
                created.append(f"{raw_dataset}.{raw_table}")
    return created
