"""Raw tables never loaded exist in DuckDB as empty views with their external model's columns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from destinations.duckdb_views import register_placeholders, register_views
from destinations.external_models import external_models
from destinations.raw_tables import raw_table_schemas


def test_placeholders_have_every_external_model_and_its_columns(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    created = register_placeholders(database, "raw", raw_table_schemas())

    expected = {model["name"]: list(model["columns"]) for model in external_models()}
    assert sorted(created) == sorted(expected)
    with duckdb.connect(str(database), read_only=True) as connection:
        for name, columns in expected.items():
            described = connection.execute(f"DESCRIBE {name}").fetchall()
            assert [row[0] for row in described] == columns, name
            assert connection.execute(f"SELECT count(*) FROM {name}").fetchone() == (0,)


def test_a_loaded_table_replaces_its_placeholder_and_is_never_replaced_by_one(
    tmp_path: Path,
) -> None:
    database, lake = tmp_path / "warehouse.duckdb", tmp_path / "lake"
    schemas = {"demo__things": pa.schema([("id", pa.string())])}
    assert register_placeholders(database, "raw", schemas) == ["raw.demo__things"]

    load_id = "1764050000.123456"
    partition = lake / "demo" / "things" / "date=2026-11-24"
    partition.mkdir(parents=True)
    pq.write_table(pa.table({"id": ["a", "b"]}), partition / f"{load_id}.abc.parquet")
    loads = lake / "demo" / "_dlt_loads"
    loads.mkdir(parents=True)
    (loads / f"{load_id}.jsonl").write_text(f'{{"load_id": "{load_id}", "status": 0}}\n')
    register_views(database, "raw", "demo", ["things"], str(lake))

    assert register_placeholders(database, "raw", schemas) == []
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute("SELECT id FROM raw.demo__things ORDER BY id").fetchall()
    assert rows == [("a",), ("b",)]
