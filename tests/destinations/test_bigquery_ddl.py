"""The BigQuery raw-table DDL: valid BigQuery SQL, the right URIs, types from the dlt schema."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
import sqlglot
from dlt.common.libs.pyarrow import serialize_type
from sqlglot import exp

from destinations.bigquery_ddl import (
    UnsupportedColumnError,
    column_type,
    external_table_ddl,
    raw_tables_ddl,
    view_ddl,
)

LAKE = "gs://acme-lake"

COLUMNS = [
    {"name": "id", "data_type": "text", "nullable": False},
    {"name": "amount", "data_type": "bigint"},
    {"name": "fee_rate", "data_type": "decimal", "precision": 12, "scale": 4},
    {"name": "created", "data_type": "timestamp"},
    {"name": "day", "data_type": "date"},
    {"name": "paid", "data_type": "bool"},
    {"name": "exchange_rate", "data_type": "double"},
    {
        "name": "billing",
        "data_type": "json",
        "x-nested-type": serialize_type(
            pa.struct([("email", pa.string()), ("tags", pa.list_(pa.string()))])
        ),
    },
]

# sqlglot 30 does not know BigQuery's `WITH PARTITION COLUMNS` clause and would fall back to an
# opaque Command; we check that clause by its grammar and parse everything around it for real.
PARTITION_CLAUSE = re.compile(r"\nWITH PARTITION COLUMNS \((?P<columns>[^)]*)\)\n")


def parse_external_table(ddl: str) -> tuple[exp.Create, str]:
    match = PARTITION_CLAUSE.search(ddl)
    assert match, "hive partitioning clause missing"
    rest = ddl[: match.start()] + "\n" + ddl[match.end() :]
    parsed = sqlglot.parse_one(rest, read="bigquery")
    assert isinstance(parsed, exp.Create), f"not parsed as CREATE: {type(parsed).__name__}"
    return parsed, match.group("columns")


def options(create: exp.Create) -> dict[str, object]:
    found: dict[str, object] = {}
    for prop in create.args["properties"].expressions:
        if isinstance(prop, exp.FileFormatProperty):
            found["format"] = prop.this.name
        elif type(prop) is exp.Property:
            value = prop.args["value"]
            if isinstance(value, exp.Array):
                found[prop.name] = [item.name for item in value.expressions]
            else:
                found[prop.name] = value.name
    return found


def test_external_table_is_hive_partitioned_parquet_under_the_table_prefix() -> None:
    ddl = external_table_ddl("proj", "raw", "stripe", "charges", COLUMNS, LAKE)
    create, partition_columns = parse_external_table(ddl)
    assert partition_columns == "date DATE"
    assert create.args["kind"] == "TABLE"
    assert create.this.this.sql(dialect="bigquery") == "`proj.raw.stripe__charges__files`"
    opts = options(create)
    assert opts["format"] == "PARQUET"
    assert opts["uris"] == [f"{LAKE}/stripe/charges/*"]
    assert opts["hive_partition_uri_prefix"] == f"{LAKE}/stripe/charges"


def test_external_table_columns_follow_the_dlt_schema_and_omit_the_partition_key() -> None:
    ddl = external_table_ddl("proj", "raw", "stripe", "charges", COLUMNS, LAKE)
    create, _ = parse_external_table(ddl)
    columns = {
        column.name: column.args["kind"].sql(dialect="bigquery")
        for column in create.this.expressions
    }
    assert columns == {
        "id": "STRING",
        "amount": "INT64",
        "fee_rate": "NUMERIC(12, 4)",
        "created": "TIMESTAMP",
        "day": "DATE",
        "paid": "BOOL",
        "exchange_rate": "FLOAT64",
        "billing": "STRUCT<`email` STRING, `tags` ARRAY<STRING>>",
    }
    assert "date" not in columns


def test_view_keeps_completed_loads_and_the_newest_load_per_date() -> None:
    view = sqlglot.parse_one(view_ddl("proj", "raw", "stripe", "charges"), read="bigquery")
    assert isinstance(view, exp.Create)
    assert view.args["kind"] == "VIEW"
    tables = {table.sql(dialect="bigquery") for table in view.find_all(exp.Table)}
    assert "`proj.raw.stripe__charges__files` AS t" in tables
    assert "`proj.raw.stripe___dlt_loads__files`" in tables
    sql = view.sql(dialect="bigquery")
    assert "status = 0" in sql
    assert "QUALIFY" in sql
    assert "PARTITION BY date" in sql


def test_loads_table_reads_dlt_completion_records() -> None:
    statements = raw_tables_ddl("proj", "raw", "stripe", {"charges": COLUMNS}, LAKE)
    loads = sqlglot.parse_one(statements[0], read="bigquery")
    assert isinstance(loads, exp.Create)
    opts = options(loads)
    assert opts["format"] == "NEWLINE_DELIMITED_JSON"
    assert opts["uris"] == [f"{LAKE}/stripe/_dlt_loads/*.jsonl"]
    # loads table first, then per table the external table before the view that reads it
    assert [s.split("`")[1].split(".")[-1] for s in statements] == [
        "stripe___dlt_loads__files",
        "stripe__charges__files",
        "stripe__charges",
    ]


@pytest.mark.parametrize(
    ("precision", "scale", "expected"),
    [(18, 2, "NUMERIC(18, 2)"), (38, 9, "NUMERIC(38, 9)"), (40, 10, "BIGNUMERIC(40, 10)")],
)
def test_decimal_maps_to_the_narrowest_bigquery_numeric(
    precision: int, scale: int, expected: str
) -> None:
    column = {"name": "x", "data_type": "decimal", "precision": precision, "scale": scale}
    assert column_type("t", column) == expected


def test_unknown_dlt_type_names_table_and_column() -> None:
    with pytest.raises(UnsupportedColumnError, match=r"charges\.blob: dlt type 'wei'"):
        column_type("charges", {"name": "blob", "data_type": "wei"})
