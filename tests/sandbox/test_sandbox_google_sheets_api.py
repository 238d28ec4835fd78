"""The Sheets emulator held against the v4 discovery document and the demo organisation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.google_sheets.ranges import RangeError, parse_a1
from sandbox.google_sheets.server import SheetsEmulator, serve_in_thread
from sandbox.google_sheets.workbook import (
    INVENTORY_SPREADSHEET_ID,
    ROSTER_SPREADSHEET_ID,
    serial_to_date,
)
from sandbox.org import utc_date
from sources.google_sheets.settings import DEMO_SHEETS

ORG_START = date(2026, 7, 1)
ORG_END = date(2026, 10, 31)
# Schemas and parameters copied from google-api-python-client's sheets.v4.json (Apache-2.0).
DISCOVERY = json.loads(
    Path(__file__).with_name("google_sheets_v4_discovery_subset.json").read_text()
)


@pytest.fixture(scope="module")
def emulator() -> SheetsEmulator:
    return SheetsEmulator(seed=7, start=ORG_START, end=ORG_END)


@pytest.fixture(scope="module")
def base_url(emulator: SheetsEmulator) -> Iterator[str]:
    with serve_in_thread(emulator) as server:
        yield server.base_url


def get(base_url: str, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{base_url}/v4/spreadsheets/{path}", params=params, timeout=10)


def assert_shaped(value: Any, schema_name: str) -> None:
    """Every key is one the discovery document's schema declares, recursively."""
    schema = DISCOVERY["schemas"][schema_name]["properties"]
    assert isinstance(value, dict)
    for key, item in value.items():
        assert key in schema, f"{schema_name}.{key} is not in the discovery document"
        declared = schema[key]
        if "$ref" in declared and declared["$ref"] in DISCOVERY["schemas"]:
            assert_shaped(item, declared["$ref"])
        elif declared.get("type") == "array":
            assert isinstance(item, list)
            ref = declared.get("items", {}).get("$ref")
            if ref in DISCOVERY["schemas"]:
                for element in item:
                    assert_shaped(element, ref)
        elif declared.get("type") == "integer":
            assert isinstance(item, int)
        elif declared.get("type") == "string":
            assert isinstance(item, str)


def test_responses_have_the_discovery_documents_shapes(base_url: str) -> None:
    assert_shaped(
        get(base_url, ROSTER_SPREADSHEET_ID, includeGridData="false").json(), "Spreadsheet"
    )
    assert_shaped(get(base_url, f"{ROSTER_SPREADSHEET_ID}/values/Roster").json(), "ValueRange")
    batch = get(
        base_url, f"{INVENTORY_SPREADSHEET_ID}/values:batchGet", ranges=["Stock!A1:C2", "Stock!D:D"]
    ).json()
    assert_shaped(batch, "BatchGetValuesResponse")
    assert [r["range"] for r in batch["valueRanges"]] == ["Stock!A1:C2", "Stock!D1:D1000"]
    enums = DISCOVERY["methods"]["spreadsheets.values.get"]["parameters"]
    assert set(enums["valueRenderOption"]["enum"]) == {
        "FORMATTED_VALUE",
        "UNFORMATTED_VALUE",
        "FORMULA",
    }


def test_render_options_give_displayed_text_or_stored_numbers_and_dates(base_url: str) -> None:
    path = f"{INVENTORY_SPREADSHEET_ID}/values/Stock!A2:G2"
    shown = get(base_url, path).json()["values"][0]
    stored = get(base_url, path, valueRenderOption="UNFORMATTED_VALUE").json()["values"][0]
    as_text = get(
        base_url,
        path,
        valueRenderOption="UNFORMATTED_VALUE",
        dateTimeRenderOption="FORMATTED_STRING",
    ).json()["values"][0]
    assert all(isinstance(cell, str) for cell in shown)
    assert shown[2] == stored[2]
    assert shown[2].startswith("0")
    assert isinstance(stored[3], int)
    assert isinstance(stored[6], int)
    assert (
        serial_to_date(stored[6]) == date.fromisoformat(shown[6]) == date.fromisoformat(as_text[6])
    )
    columns = get(base_url, path, majorDimension="COLUMNS").json()
    assert columns["majorDimension"] == "COLUMNS"
    assert columns["values"][0] == [shown[0]]
    bad = get(base_url, path, valueRenderOption="PRETTY")
    assert bad.status_code == 400
    assert bad.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_the_roster_lists_the_orgs_enrolments_by_customer_email(
    base_url: str, emulator: SheetsEmulator
) -> None:
    rows = get(base_url, f"{ROSTER_SPREADSHEET_ID}/values/Roster").json()["values"]
    listed = sorted((row[0], row[4]) for row in rows[1:] if row)
    org = emulator.org
    expected = sorted(
        (org.customer(e.customer_id).email, utc_date(e.enrolled_at).isoformat())
        for e in org.enrolments
    )
    assert listed == expected
    assert [] in rows[1:]  # blank rows, as people leave them
    assert any(len(row) > 8 and row[8] == "" for row in rows)  # notes in an unnamed column


def test_unknown_ids_and_ranges_are_google_errors(base_url: str) -> None:
    missing = get(base_url, "1Nope")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }
    bad_range = get(base_url, f"{ROSTER_SPREADSHEET_ID}/values/Nope!A1")
    assert bad_range.status_code == 400
    assert bad_range.json()["error"]["message"] == "Unable to parse range: Nope!A1"


def test_a1_ranges_parse_like_the_api() -> None:
    assert parse_a1("Roster").title == "Roster"
    grid = parse_a1("'Late Additions'!B2:C")
    assert (grid.title, grid.first_row, grid.first_column, grid.end_column) == (
        "Late Additions",
        1,
        1,
        3,
    )
    assert parse_a1("A1:B2").title is None
    with pytest.raises(RangeError):
        parse_a1("Roster!B2:A1")


def test_the_sources_demo_sheets_point_at_the_emulators_spreadsheets() -> None:
    assert [s["spreadsheet_id"] for s in DEMO_SHEETS] == [
        ROSTER_SPREADSHEET_ID,
        INVENTORY_SPREADSHEET_ID,
    ]
