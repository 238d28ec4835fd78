"""The Sheets emulator's HTTP server: the v4 read endpoints gspread calls, plus `/_sandbox`.

`GET /v4/spreadsheets/{id}` (spreadsheet and sheet properties, no grid data),
`GET /v4/spreadsheets/{id}/values/{range}` and `GET /v4/spreadsheets/{id}/values:batchGet`,
with `valueRenderOption`, `dateTimeRenderOption` and `majorDimension` as the v4 discovery
document defines them; shapes follow its `Spreadsheet`, `ValueRange` and
`BatchGetValuesResponse` schemas, errors Google's JSON errors. Any bearer token is accepted.
"""

from __future__ import annotations

import re
import threading
from contextlib import AbstractContextManager
from datetime import date
from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote

from sandbox.control import Clock, FaultBook, RequestLog
from sandbox.google_sheets.ranges import (
    GRID_COLUMNS_DEFAULT,
    RangeError,
    column_letters,
    parse_a1,
    quote_title,
)
from sandbox.google_sheets.workbook import Cell, Spreadsheet, build_workbooks
from sandbox.http import Answer, EmulatorHandler, EmulatorServer, serving
from sandbox.org import FIRST_DAY, LAST_DAY, build_org

_SPREADSHEET = re.compile(r"^/v4/spreadsheets/([^/:]+)$")
_VALUES = re.compile(r"^/v4/spreadsheets/([^/:]+)/values/(.+)$")
_BATCH = re.compile(r"^/v4/spreadsheets/([^/:]+)/values:batchGet$")
VALUE_RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_TIME_RENDER_OPTIONS = ("SERIAL_NUMBER", "FORMATTED_STRING")
MAJOR_DIMENSIONS = ("DIMENSION_UNSPECIFIED", "ROWS", "COLUMNS")


class SheetsError(Exception):
    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


_NOT_FOUND = SheetsError(404, "NOT_FOUND", "Requested entity was not found.")
_FAULTS: dict[int, tuple[str, str]] = {
    429: (
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
        "per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
    ),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
}


class SheetsEmulator:
    """The organisation's spreadsheets as they stand at the clock, with faults and a log."""

    def __init__(
        self,
        *,
        seed: int = 7,
        volume: float = 1.0,
        start: date = FIRST_DAY,
        end: date = LAST_DAY,
        now: int | None = None,
    ) -> None:
        self.org = build_org(seed=seed, volume=volume, start=start, end=end)
        self.clock = Clock.of(self.org, now)
        self.faults = FaultBook()
        self.requests = RequestLog()
        self._built: tuple[int, dict[str, Spreadsheet]] | None = None
        self._lock = threading.Lock()

    def workbooks(self) -> dict[str, Spreadsheet]:
        with self._lock:
            now = self.clock.now
            if self._built is None or self._built[0] != now:
                self._built = (now, build_workbooks(self.org, now))
            return self._built[1]

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        found = self.workbooks().get(spreadsheet_id)
        if found is None:
            raise _NOT_FOUND
        return found

    def get(self, spreadsheet_id: str) -> dict[str, Any]:
        book = self.spreadsheet(spreadsheet_id)
        return {
            "spreadsheetId": book.spreadsheet_id,
            "properties": {
                "title": book.title,
                "locale": book.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": book.time_zone,
            },
            "sheets": [
                {
                    "properties": {
                        "sheetId": sheet.sheet_id,
                        "title": sheet.title,
                        "index": index,
                        "sheetType": "GRID",
                        "gridProperties": {
                            "rowCount": sheet.row_count,
                            "columnCount": GRID_COLUMNS_DEFAULT,
                            "frozenRowCount": sheet.frozen_rows,
                        },
                    }
                }
                for index, sheet in enumerate(book.sheets)
            ],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit",
        }

    def values(self, spreadsheet_id: str, a1: str, query: dict[str, list[str]]) -> dict[str, Any]:
        book = self.spreadsheet(spreadsheet_id)
        value_option = _option(
            query, "valueRenderOption", VALUE_RENDER_OPTIONS, "value_render_option"
        )
        date_option = _option(
            query, "dateTimeRenderOption", DATE_TIME_RENDER_OPTIONS, "date_time_render_option"
        )
        major = _option(query, "majorDimension", MAJOR_DIMENSIONS, "major_dimension")
        try:
            grid = parse_a1(a1)
        except RangeError:
            raise SheetsError(400, "INVALID_ARGUMENT", f"Unable to parse range: {a1}") from None
        sheet = book.sheet(grid.title)
        if sheet is None:
            raise SheetsError(400, "INVALID_ARGUMENT", f"Unable to parse range: {a1}")
        end_row = grid.end_row or sheet.row_count
        end_column = grid.end_column or GRID_COLUMNS_DEFAULT
        rows = [
            [
                _render(cell, value_option, date_option)
                for cell in row[grid.first_column : end_column]
            ]
            for row in sheet.rows[grid.first_row : end_row]
        ]
        rows = [_trim(row) for row in rows]
        while rows and not rows[-1]:
            rows.pop()
        if major == "COLUMNS":
            width = max((len(row) for row in rows), default=0)
            rows = _trim_rows(
                [[row[i] if i < len(row) else "" for row in rows] for i in range(width)]
            )
        echoed = (
            f"{quote_title(sheet.title)}!{column_letters(grid.first_column)}{grid.first_row + 1}"
            f":{column_letters(end_column - 1)}{end_row}"
        )
        value_range: dict[str, Any] = {
            "range": echoed,
            "majorDimension": "COLUMNS" if major == "COLUMNS" else "ROWS",
        }
        if rows:
            value_range["values"] = rows
        return value_range


def _option(query: dict[str, list[str]], name: str, allowed: tuple[str, ...], field: str) -> str:
    value = (query.get(name) or [allowed[0]])[-1]
    if value not in allowed:
        raise SheetsError(
            400,
            "INVALID_ARGUMENT",
            f"Invalid value at '{field}' (type.googleapis.com/google.apps.sheets.v4."
            f'{name[0].upper() + name[1:]}), "{value}"',
        )
    return value


def _render(cell: Cell | None, value_option: str, date_option: str) -> Any:
    if cell is None:
        return ""
    if value_option == "FORMATTED_VALUE":
        return cell.text
    if cell.is_date and date_option == "FORMATTED_STRING":
        return cell.text
    return cell.value


def _trim(row: list[Any]) -> list[Any]:
    # The API leaves out a row's trailing empty cells (and so a blank row is []).
    while row and row[-1] == "":
        row.pop()
    return row


def _trim_rows(rows: list[list[Any]]) -> list[list[Any]]:
    return [_trim(row) for row in rows]


class _Handler(EmulatorHandler[SheetsEmulator]):
    server_version = "ESF"
    sys_version = ""
    content_type = "application/json; charset=UTF-8"

    def answer(self, method: str, url: SplitResult, raw_body: bytes) -> Answer:
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            status, payload = 200, self._api(method, url.path, query)
        except SheetsError as exc:
            status, payload = exc.code, exc.body()
        except Exception as exc:  # answer like the API, never hang up
            status, payload = 500, SheetsError(500, "INTERNAL", f"Emulator error: {exc!r}").body()
        logged = {k: v[0] if len(v) == 1 and k != "ranges" else v for k, v in query.items()}
        return Answer(status, payload, logged=logged, logged_path=unquote(url.path))

    def _api(self, method: str, path: str, query: dict[str, list[str]]) -> Any:
        emulator = self.server.emulator
        if method != "GET":
            raise SheetsError(405, "UNIMPLEMENTED", "The sandbox serves read requests only.")
        fault = emulator.faults.strike(unquote(path), True)
        if fault is not None and fault.status is not None:
            status, message = _FAULTS.get(fault.status, ("UNKNOWN", "Injected failure"))
            raise SheetsError(fault.status, status, message)
        if match := _BATCH.match(path):
            ranges = query.get("ranges") or []
            return {
                "spreadsheetId": match.group(1),
                "valueRanges": [emulator.values(match.group(1), r, query) for r in ranges],
            }
        if match := _VALUES.match(path):
            return emulator.values(match.group(1), unquote(match.group(2)), query)
        if match := _SPREADSHEET.match(path):
            return emulator.get(match.group(1))
        raise SheetsError(404, "NOT_FOUND", f"Method not found: GET {path}")


def make_server(
    emulator: SheetsEmulator, host: str = "127.0.0.1", port: int = 0
) -> EmulatorServer[SheetsEmulator]:
    return EmulatorServer((host, port), emulator, _Handler)


def serve_in_thread(
    emulator: SheetsEmulator, host: str = "127.0.0.1"
) -> AbstractContextManager[EmulatorServer[SheetsEmulator]]:
    """Serve on a background thread for in-process tests; yields the server (`.base_url`)."""
    return serving(make_server(emulator, host, 0), "sheets-sandbox")
