"""Raw tables in BigQuery: an external table over each lake table's Parquet files, and a view.

`raw.<source>__<table>__files` is a hive-partitioned external table over every file of the table;
`raw.<source>___dlt_loads__files` is an external table over dlt's completion records; the view
`raw.<source>__<table>` keeps rows of completed loads only, and of those the newest load of
each date partition, exactly as the DuckDB views do, so SQLMesh reads the same thing on both.
Column types come from the dlt schema, nested ones from the Arrow type dlt keeps beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
from dlt.common.libs.pyarrow import deserialize_type

from destinations.lake import LOAD_ID_PATTERN, LOADS_TABLE, PARTITION_KEY, raw_table_name

_SCALAR_TYPES: Mapping[str, str] = {
    "text": "STRING",
    "bigint": "INT64",
    "double": "FLOAT64",
    "bool": "BOOL",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "time": "TIME",
    "binary": "BYTES",
}


class UnsupportedColumnError(TypeError):
    """A dlt column has no BigQuery external-table type; the message names table and column."""


def arrow_to_bigquery(arrow_type: pa.DataType) -> str:
    if pa.types.is_struct(arrow_type):
        fields = ", ".join(
            f"`{field.name}` {arrow_to_bigquery(field.type)}" for field in arrow_type
        )
        return f"STRUCT<{fields}>"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return f"ARRAY<{arrow_to_bigquery(arrow_type.value_type)}>"
    if pa.types.is_decimal(arrow_type):
        return _decimal_type(arrow_type.precision, arrow_type.scale)
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "STRING"
    if pa.types.is_integer(arrow_type):
        return "INT64"
    if pa.types.is_floating(arrow_type):
        return "FLOAT64"
    if pa.types.is_boolean(arrow_type):
        return "BOOL"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pa.types.is_date(arrow_type):
        return "DATE"
    raise TypeError(f"no BigQuery type for Arrow type {arrow_type}")


def _decimal_type(precision: int, scale: int) -> str:
    # NUMERIC holds 38 digits with at most 9 after the point; anything wider needs BIGNUMERIC.
    if scale <= 9 and precision - scale <= 29:
        return f"NUMERIC({precision}, {scale})"
    return f"BIGNUMERIC({precision}, {scale})"


def column_type(table: str, column: Mapping[str, Any]) -> str:
    """BigQuery type of one dlt schema column."""
    data_type = column.get("data_type")
    try:
        if data_type == "decimal":
            return _decimal_type(column.get("precision") or 38, column.get("scale") or 9)
        if data_type == "json" and column.get("x-nested-type"):
            return arrow_to_bigquery(deserialize_type(column["x-nested-type"]))
        return _SCALAR_TYPES[str(data_type)]
    except (KeyError, TypeError) as error:
        raise UnsupportedColumnError(
            f"{table}.{column.get('name')}: dlt type {data_type!r} has no BigQuery type ({error})"
        ) from error


def _table_ref(project: str, dataset: str, name: str) -> str:
    return f"`{project}.{dataset}.{name}`"


def external_table_ddl(
    project: str,
    raw_dataset: str,
    source: str,
    table: str,
    columns: Iterable[Mapping[str, Any]],
    lake_url: str,
) -> str:
    """`CREATE OR REPLACE EXTERNAL TABLE` over one table's files, hive-partitioned by date."""
    prefix = f"{lake_url}/{source}/{table}"
    # No NOT NULL: BigQuery takes nullability of external Parquet data from the files.
    column_lines = ",\n    ".join(
        f"`{column['name']}` {column_type(table, column)}" for column in columns
    )
    name = _table_ref(project, raw_dataset, raw_table_name(source, table) + "__files")
    return f"""CREATE OR REPLACE EXTERNAL TABLE {name} (
    {column_lines}
)
WITH PARTITION COLUMNS ({PARTITION_KEY} DATE)
OPTIONS (
    format = 'PARQUET',
    uris = ['{prefix}/*'],
    hive_partition_uri_prefix = '{prefix}',
    require_hive_partition_filter = false
)"""


def loads_table_ddl(project: str, raw_dataset: str, source: str, lake_url: str) -> str:
    """External table over dlt's `_dlt_loads` records (one JSON line per completed load)."""
    name = _table_ref(project, raw_dataset, f"{source}__{LOADS_TABLE}__files")
    return f"""CREATE OR REPLACE EXTERNAL TABLE {name} (
    `load_id` STRING,
    `schema_name` STRING,
    `status` INT64,
    `inserted_at` TIMESTAMP,
    `schema_version_hash` STRING
)
OPTIONS (
    format = 'NEWLINE_DELIMITED_JSON',
    uris = ['{lake_url}/{source}/{LOADS_TABLE}/*.jsonl']
)"""


def view_ddl(project: str, raw_dataset: str, source: str, table: str) -> str:
    """The raw view: rows of completed loads, newest load per date partition."""
    files = _table_ref(project, raw_dataset, raw_table_name(source, table) + "__files")
    loads = _table_ref(project, raw_dataset, f"{source}__{LOADS_TABLE}__files")
    name = _table_ref(project, raw_dataset, raw_table_name(source, table))
    return f"""CREATE OR REPLACE VIEW {name} AS
WITH files AS (
    SELECT t.*, REGEXP_EXTRACT(t._FILE_NAME, r'{LOAD_ID_PATTERN}') AS _dlt_load_id
    FROM {files} AS t
)
SELECT * FROM files
WHERE _dlt_load_id IN (SELECT load_id FROM {loads} WHERE status = 0)
QUALIFY _dlt_load_id = MAX(_dlt_load_id) OVER (PARTITION BY {PARTITION_KEY})"""


def raw_tables_ddl(
    project: str,
    raw_dataset: str,
    source: str,
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    lake_url: str,
) -> list[str]:
    """Every statement that makes the raw tables of `source` follow the lake, in order."""
    statements = [loads_table_ddl(project, raw_dataset, source, lake_url)]
    for table, columns in tables.items():
        statements.append(
            external_table_ddl(project, raw_dataset, source, table, columns, lake_url)
        )
        statements.append(view_ddl(project, raw_dataset, source, table))
    return statements


def apply_ddl(project: str, location: str, statements: Iterable[str]) -> None:
    """Run the statements through google-cloud-bigquery, one query job each, in order."""
    from google.cloud import bigquery

    client = bigquery.Client(project=project, location=location)
    for statement in statements:
        client.query(statement).result()
