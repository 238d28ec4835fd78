"""The lake on GCS (through gcp-storage-emulator): partitions, replacement, state in the bucket."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dlt
import pyarrow.parquet as pq
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from destinations.load import load_source
from tests.destinations.test_lake import orders_source
from tests.gcs_emulator import OFFLINE_GOOGLE_AUTH, gcs_emulator

BUCKET = "acme-lake"
DAY_1 = date(2026, 11, 1)


@pytest.fixture
def gcs_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[storage.Bucket]:
    with gcs_emulator(tmp_path / "gcs", BUCKET) as address:
        for name, value in OFFLINE_GOOGLE_AUTH.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", address)
        monkeypatch.setenv("LAKE__BUCKET_URL", f"gs://{BUCKET}")
        monkeypatch.setenv("WAREHOUSE__KIND", "none")  # no BigQuery offline; DDL is tested apart
        monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
        client = storage.Client(project="emulator", credentials=AnonymousCredentials())
        yield client.bucket(BUCKET)


def blob_names(bucket: storage.Bucket, prefix: str) -> list[str]:
    return sorted(blob.name for blob in bucket.list_blobs(prefix=prefix))


def test_gcs_lake_gets_date_partitions_and_a_reload_replaces_them(gcs_lake: storage.Bucket) -> None:
    first = load_source(orders_source([("a", 1), ("b", 2)]), DAY_1)
    second = load_source(orders_source([("a", 3)]), DAY_1)

    names = blob_names(gcs_lake, "shop/orders/")
    assert names == [
        n for n in names if n.startswith(f"shop/orders/date={DAY_1}/{second.load_id}.")
    ]
    assert len(names) == 1
    assert first.load_id != second.load_id
    table = pq.read_table(io.BytesIO(gcs_lake.blob(names[0]).download_as_bytes()))
    assert table.column_names == ["id", "amount"]
    assert table.to_pylist() == [{"id": "a", "amount": 3}]
    assert second.files == 2  # orders and the empty notes
    assert second.bytes_written > 0
    # dlt's completion records and state live in the bucket beside the data
    assert len(blob_names(gcs_lake, "shop/_dlt_loads/")) == 2
    assert blob_names(gcs_lake, "shop/_dlt_pipeline_state/")


def test_state_is_restored_from_the_bucket_when_the_pipelines_folder_is_lost(
    gcs_lake: storage.Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @dlt.source(name="shop")
    def counting() -> Iterator[dlt.sources.DltResource]:
        @dlt.resource(name="runs")
        def runs() -> Iterator[dict[str, int]]:
            state = dlt.current.resource_state()
            state["count"] = state.get("count", 0) + 1
            yield {"run": state["count"]}

        yield runs

    load_source(counting(), DAY_1)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "fresh-machine"))
    load_source(counting(), date(2026, 11, 2))
    pipeline = dlt.pipeline("shop", pipelines_dir=str(tmp_path / "fresh-machine" / "pipelines"))
    assert pipeline.state["sources"]["shop"]["resources"]["runs"]["count"] == 2
