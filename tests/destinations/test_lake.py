"""The lake and its DuckDB raw views: date partitions replaced, only completed loads visible."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from destinations.load import load_source
from destinations.settings import PROJECT_ROOT
from tests.conftest import PlatformPaths

DAY_1 = date(2026, 11, 1)
DAY_2 = date(2026, 11, 2)


def orders_source(rows: list[tuple[str, int]]) -> dlt.sources.DltSource:
    """A two-table source: `orders` with the given rows, `notes` always empty."""

    @dlt.resource(name="orders", primary_key="id")
    def orders() -> Iterator[pa.Table]:
        yield pa.table(
            {
                "id": pa.array([row[0] for row in rows], pa.string()),
                "amount": pa.array([row[1] for row in rows], pa.int64()),
            }
        )

    @dlt.resource(name="notes")
    def notes() -> Iterator[pa.Table]:
        yield pa.table({"text": pa.array([], pa.string())})

    @dlt.source(name="shop")
    def shop() -> list[dlt.sources.DltResource]:
        return [orders, notes]

    return shop()


def raw_rows(warehouse: Path, table: str = "shop__orders") -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            f"SELECT id, amount, date FROM raw.{table} ORDER BY date, id"
        ).fetchall()


def partition_files(lake: Path, day: date, table: str = "orders") -> list[Path]:
    return sorted((lake / "shop" / table / f"date={day.isoformat()}").glob("*.parquet"))


def test_load_writes_hive_partition_without_date_column(platform_env: PlatformPaths) -> None:
    summary = load_source(orders_source([("a", 1), ("b", 2)]), DAY_1)
    files = partition_files(platform_env.lake, DAY_1)
    assert len(files) == 1
    assert files[0].name.startswith(summary.load_id + ".")
    assert pq.read_schema(files[0]).names == ["id", "amount"]
    assert summary.rows == {"orders": 2, "notes": 0}
    assert summary.raw_tables == ["raw.shop__orders", "raw.shop__notes"]
    assert raw_rows(platform_env.warehouse) == [("a", 1, DAY_1), ("b", 2, DAY_1)]


def test_same_date_loaded_twice_replaces_only_that_date(platform_env: PlatformPaths) -> None:
    load_source(orders_source([("a", 1)]), DAY_1)
    load_source(orders_source([("x", 9)]), DAY_2)
    second = load_source(orders_source([("a", 5), ("c", 3)]), DAY_1)

    assert second.replaced_files == 2  # the earlier orders and notes files of DAY_1
    assert [f.name.split(".")[0:2] for f in partition_files(platform_env.lake, DAY_1)] == [
        second.load_id.split(".")
    ]
    assert len(partition_files(platform_env.lake, DAY_2)) == 1
    assert raw_rows(platform_env.warehouse) == [
        ("a", 5, DAY_1),
        ("c", 3, DAY_1),
        ("x", 9, DAY_2),
    ]


def test_reload_with_no_rows_empties_the_date(platform_env: PlatformPaths) -> None:
    load_source(orders_source([("a", 1)]), DAY_1)
    load_source(orders_source([]), DAY_1)
    assert raw_rows(platform_env.warehouse) == []


KILLED_LOAD = """
import os, sys
from datetime import date
from dlt.destinations.impl.filesystem.filesystem import FilesystemClient
from destinations.load import load_source
from tests.destinations.test_lake import orders_source

# The process dies after the data files are written, before dlt records the load as complete.
FilesystemClient.complete_load = lambda self, load_id: os._exit(9)
load_source(orders_source([("a", 2), ("b", 2)]), date.fromisoformat(sys.argv[1]))
"""


def test_load_killed_before_completion_is_not_visible_and_rerun_is_clean(
    platform_env: PlatformPaths,
) -> None:
    load_source(orders_source([("a", 1)]), DAY_1)

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_LOAD, DAY_1.isoformat()],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == 9, killed.stderr
    assert len(partition_files(platform_env.lake, DAY_1)) == 2  # the dead load's file is there
    assert raw_rows(platform_env.warehouse) == [("a", 1, DAY_1)]  # but it is not counted

    rerun = load_source(orders_source([("a", 2), ("b", 2)]), DAY_1)
    assert raw_rows(platform_env.warehouse) == [("a", 2, DAY_1), ("b", 2, DAY_1)]
    files = partition_files(platform_env.lake, DAY_1)
    assert [file.name.startswith(rerun.load_id + ".") for file in files] == [True]
