"""The Google Sheets source with the real `gspread` client against the sandbox, into a lake."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import gspread
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from destinations.load import LoadSummary, load_source
from sandbox.process import run_emulator
from sources.clock import nightly_run_at
from sources.errors import one_line
from sources.google_sheets import google_sheets_source
from sources.google_sheets.cells import snake_case
from sources.google_sheets.client import build_client
from sources.google_sheets.settings import DEMO_SHEETS
from tests.conftest import PlatformPaths

pytestmark = pytest.mark.slow

TODAY = datetime.now(UTC).date()
ORG_START = TODAY - timedelta(days=90)
ORG_END = TODAY - timedelta(days=1)
RUN_DAY = TODAY - timedelta(days=1)
ROSTER_ID = DEMO_SHEETS[0]["spreadsheet_id"]
INVENTORY_ID = DEMO_SHEETS[1]["spreadsheet_id"]
LATE = {
    "table": "late_enrolments",
    "spreadsheet_id": ROSTER_ID,
    "range": "'Late Additions'",
    "model": "enrolment",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with run_emulator(
        "google_sheets", seed=11, start=ORG_START.isoformat(), end=ORG_END.isoformat()
    ) as emulator:
        yield emulator


@pytest.fixture
def sheets_api(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Every load reads at RUN_DAY's nightly run, whatever the wall clock: a run that crossed
    # midnight after RUN_DAY was fixed would otherwise be a catch-up, which reads no sheet.
    nightly = nightly_run_at(RUN_DAY)
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    monkeypatch.setenv("SANDBOX__NOW", nightly.isoformat())
    sandbox.set_clock(int(nightly.timestamp()))
    sandbox.clear_faults()
    sandbox.clear_requests()
    yield sandbox
    sandbox.clear_faults()
    sandbox.use_wall_clock()


def load(emulator: Any, sheets: list[dict[str, str]] | None = None) -> LoadSummary:
    source = google_sheets_source(
        sheets=sheets or list(DEMO_SHEETS), base_url=emulator.base_url, run_date=RUN_DAY
    )
    return load_source(source, RUN_DAY)


def raw(paths: PlatformPaths, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def cells(emulator: Any, spreadsheet_id: str, a1: str) -> list[list[str]]:
    """What gspread reads, as the sheet shows it: the ground truth."""
    book = build_client(emulator.base_url).open_by_key(spreadsheet_id)
    answer = book.values_get(a1, params={"valueRenderOption": "FORMATTED_VALUE"})
    return [[str(c) for c in row] for row in answer.get("values", [])]


def test_each_sheet_loads_every_row_into_typed_snake_case_columns(
    sheets_api: Any, platform_env: PlatformPaths
) -> None:
    summary = load(sheets_api)

    roster = cells(sheets_api, ROSTER_ID, "Roster")
    header = [snake_case(h) for h in roster[0]]
    assert header == [
        "student_email",
        "student_name",
        "program",
        "term",
        "enrolled_date",
        "status",
        "paid",
        "currency",
    ]
    data = [(number, row) for number, row in enumerate(roster[1:], start=2) if row]
    assert len(data) < len(roster) - 1  # the roster has blank rows, which are skipped
    loaded = raw(
        platform_env,
        f"SELECT row_number, {', '.join(header)} FROM raw.google_sheets__enrolments "
        "ORDER BY row_number",
    )
    assert [row[0] for row in loaded] == [number for number, _ in data]
    for (_number, sheet_row), row in zip(data, loaded, strict=True):
        assert row[1] == sheet_row[0].lower()
        assert row[2] == sheet_row[1]
        assert row[5] == date.fromisoformat(sheet_row[4])
        assert row[7] == Decimal(sheet_row[6].replace(",", ""))
        assert row[8] == sheet_row[7].lower()
    assert summary.rows["enrolments"] == len(data)
    types = dict(
        raw(
            platform_env,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'google_sheets__enrolments'",
        )
    )
    assert types["enrolled_date"] == "DATE"
    assert types["paid"] == "DECIMAL(14,2)"
    # a note typed in an unnamed column after the header never becomes a column
    assert any(len(row) > len(header) for row in roster)
    assert set(types) == {*header, "row_number", "snapshot_at", "date", "_dlt_load_id"}
    assert "rejected_records" not in summary.rows  # nothing rejected


def test_inventory_keeps_leading_zeros_and_types_numbers(
    sheets_api: Any, platform_env: PlatformPaths
) -> None:
    load(sheets_api)

    stock = cells(sheets_api, INVENTORY_ID, "Stock")
    expected = sorted(
        (row[0], row[2], int(row[3].replace(",", "")), Decimal(row[5])) for row in stock[1:] if row
    )
    loaded = raw(
        platform_env,
        "SELECT sku, barcode, on_hand, unit_cost FROM raw.google_sheets__inventory ORDER BY sku",
    )
    assert loaded == expected
    assert any(barcode.startswith("0") for _, barcode, _, _ in loaded)
    # which is what gspread's own records helper would have lost:
    records = build_client(sheets_api.base_url).open_by_key(INVENTORY_ID).sheet1.get_all_records()
    assert not str(records[0]["Barcode"]).startswith("0")


def test_a_row_that_does_not_fit_is_rejected_with_sheet_row_and_column(
    sheets_api: Any, platform_env: PlatformPaths
) -> None:
    summary = load(sheets_api, [*DEMO_SHEETS, LATE])

    late = cells(sheets_api, ROSTER_ID, "'Late Additions'")
    rejected = raw(
        platform_env,
        "SELECT resource, record_id, error, record_json FROM raw.google_sheets__rejected_records "
        "ORDER BY record_id",
    )
    bad_paid = next(n for n, row in enumerate(late, start=1) if "n/a" in row)
    bad_date = next(n for n, row in enumerate(late, start=1) if "next week" in row)
    assert [(r[0], r[1]) for r in rejected] == [
        ("late_enrolments", f"'Late Additions'!A{bad_paid}:H{bad_paid}"),
        ("late_enrolments", f"'Late Additions'!A{bad_date}:H{bad_date}"),
    ]
    assert rejected[0][2] == "paid: Input should be a valid decimal (got 'n/a')"
    assert rejected[1][2].startswith("enrolled_date: ")
    assert '"paid": "n/a"' in rejected[0][3]
    # the good rows around them load, with the sloppy header (' student email', 'STUDENT NAME')
    good = raw(
        platform_env,
        "SELECT row_number, student_email FROM raw.google_sheets__late_enrolments ORDER BY 1",
    )
    assert [row[0] for row in good] == [2, 3, 4]
    assert all("@" in row[1] for row in good)
    assert summary.rows["late_enrolments"] == 3
    # the roster itself still loaded in the same run
    assert summary.rows["enrolments"] > 100


def test_only_a_dates_nightly_run_reads_the_sheets_and_stamps_its_clock(
    sheets_api: Any,
    platform_env: PlatformPaths,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    nightly = nightly_run_at(RUN_DAY)  # the fixture's clock
    first = load(sheets_api)
    stamped = raw(platform_env, "SELECT DISTINCT snapshot_at FROM raw.google_sheets__inventory")
    assert stamped == [(nightly,)]  # the moment it was read: the run's clock, not the wall's

    # two days later (a catch-up, a backfill) the sheet shows a later present: not that date's
    later = nightly + timedelta(days=2)
    monkeypatch.setenv("SANDBOX__NOW", later.isoformat())
    sheets_api.set_clock(int(later.timestamp()))
    sheets_api.clear_requests()
    with caplog.at_level(logging.WARNING):
        skipped = load(sheets_api)
    assert skipped.load_id == ""
    assert skipped.rows == {}
    assert "nothing loaded" in skipped.render()
    assert not [r for r in sheets_api.requests() if "/values" in r["path"]]  # not even read
    assert f"google_sheets.inventory: not read for {RUN_DAY}" in caplog.text
    kept = raw(
        platform_env,
        "SELECT DISTINCT snapshot_at, _dlt_load_id FROM raw.google_sheets__inventory",
    )
    assert kept == [(nightly, first.load_id)]  # the date keeps the snapshot read in its night


def test_rate_limits_and_server_errors_are_retried(
    sheets_api: Any, platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sources.google_sheets.client.RETRY_INITIAL_WAIT_SECONDS", 0.05)
    values_path = f"/v4/spreadsheets/{INVENTORY_ID}/values/"
    sheets_api.set_faults(path=values_path, status=429, count=2)
    sheets_api.set_faults(path=f"/v4/spreadsheets/{ROSTER_ID}", status=503, count=1)

    summary = load(sheets_api)

    statuses = [(r["path"], r["status"]) for r in sheets_api.requests()]
    assert statuses.count((f"{values_path}Stock", 429)) == 2
    assert (f"/v4/spreadsheets/{ROSTER_ID}", 503) in statuses
    assert summary.rows["inventory"] == len(
        [row for row in cells(sheets_api, INVENTORY_ID, "Stock")[1:] if row]
    )
    assert summary.rows["enrolments"] > 100


def test_an_unknown_spreadsheet_stops_with_one_line_naming_the_setting(
    sheets_api: Any, platform_env: PlatformPaths
) -> None:
    wrong = {**DEMO_SHEETS[1], "spreadsheet_id": "1DoesNotExist"}
    with pytest.raises(PipelineStepFailed) as stopped:
        load(sheets_api, [wrong])
    assert one_line(stopped.value) == (
        "google_sheets.inventory: spreadsheet 1DoesNotExist was not found, or is not shared "
        "with the service account: check setting sources.google_sheets.sheets "
        "(env SOURCES__GOOGLE_SHEETS__SHEETS)"
    )

    missing_tab = {**DEMO_SHEETS[1], "range": "Stok"}
    with pytest.raises(PipelineStepFailed) as no_tab:
        load(sheets_api, [missing_tab])
    assert one_line(no_tab.value).startswith(
        "google_sheets.inventory: range 'Stok' is not in spreadsheet"
    )


def test_a_sheet_without_a_column_the_model_needs_stops_with_one_line(
    sheets_api: Any, platform_env: PlatformPaths
) -> None:
    wrong_model = {**DEMO_SHEETS[1], "model": "enrolment"}
    with pytest.raises(PipelineStepFailed) as stopped:
        load(sheets_api, [wrong_model])
    line = one_line(stopped.value)
    assert line.startswith("google_sheets.inventory: Stock has no column currency, enrolled_date")
    assert "\n" not in line


def test_gspread_requests_are_the_documented_read_calls(sheets_api: Any) -> None:
    client = build_client(sheets_api.base_url)
    book = client.open_by_key(ROSTER_ID)
    batch = book.values_batch_get(["Roster!A1:B3", "'Late Additions'!A1:A2"])
    assert [r["range"] for r in batch["valueRanges"]] == [
        "Roster!A1:B3",
        "'Late Additions'!A1:A2",
    ]
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key("1Nope")
    paths = {r["path"] for r in sheets_api.requests()}
    assert paths == {
        f"/v4/spreadsheets/{ROSTER_ID}",
        f"/v4/spreadsheets/{ROSTER_ID}/values:batchGet",
        "/v4/spreadsheets/1Nope",
    }
