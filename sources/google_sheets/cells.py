"""From a sheet's displayed cells to records: header names, row numbers, blank rows and columns.

The first row of the range is the header. Its names become snake_case field names; columns
with a blank header (trailing columns people type notes in) are left out, as are columns the
model does not declare. Rows blank in every kept column are skipped. Each record carries its
row number and an `id` naming its cells in A1 notation (`Roster!A17:H17`), so a rejected row
can be found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from sources.errors import SourceError
from sources.google_sheets.settings import SHEETS_SETTING, SOURCE, SheetSpec

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_WORD = re.compile(r"[^0-9a-zA-Z]+")
_A1_START = re.compile(r"^(?P<title>.+)!(?P<column>[A-Z]+)(?P<row>\d+)(?::[A-Z]*\d*)?$")


def snake_case(header: str) -> str:
    """`Enrolled Date` -> `enrolled_date`, `unitCost ($)` -> `unit_cost`, `SKU` -> `sku`."""
    return _NOT_WORD.sub("_", _WORD_BOUNDARY.sub("_", header.strip())).strip("_").lower()


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


@dataclass(frozen=True)
class Origin:
    """Where the range's first cell is: its sheet (as A1 writes it), column and row."""

    sheet: str
    first_column: int
    first_row: int


def origin(a1_range: str) -> Origin:
    """Where the API's answered range (`'Late Additions'!A1:Z1000`) starts."""
    match = _A1_START.match(a1_range)
    if not match:
        return Origin(a1_range.split("!")[0], 0, 1)
    return Origin(match["title"], _column_index(match["column"]), int(match["row"]))


def records(
    spec: SheetSpec,
    model: type[BaseModel],
    a1_range: str,
    rows: list[list[str]],
    snapshot_at: datetime,
) -> Iterator[dict[str, Any]]:
    """The data rows of a sheet as records keyed by field name, blank rows skipped."""
    if not rows:
        return
    start = origin(a1_range)
    columns = _columns(spec, model, start.sheet, rows[0])
    width = max(columns) + 1 if columns else 0
    first = column_letters(start.first_column)
    last = column_letters(start.first_column + max(width - 1, 0))
    for offset, row in enumerate(rows[1:], start=1):
        record: dict[str, Any] = {
            name: row[index] if index < len(row) else "" for index, name in columns.items()
        }
        if not any(str(value).strip() for value in record.values()):
            continue  # blank, or only a note in a column the model does not keep
        number = start.first_row + offset
        record["row_number"] = number
        record["snapshot_at"] = snapshot_at
        record["id"] = f"{start.sheet}!{first}{number}:{last}{number}"
        yield record


def _columns(
    spec: SheetSpec, model: type[BaseModel], sheet: str, header: list[str]
) -> dict[int, str]:
    """Position -> field name of the header's columns the model declares."""
    wanted = set(model.model_fields) - {"row_number", "snapshot_at"}
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = snake_case(cell)
        if not name or name not in wanted:
            continue  # a blank header (notes) or a column the model does not keep
        if name in columns.values():
            raise SourceError(
                SOURCE,
                f"{sheet} has two columns named {name!r} (header {cell.strip()!r} in column "
                f"{column_letters(index)}): rename one",
                spec.table,
            )
        columns[index] = name
    missing = sorted(
        name
        for name, field in model.model_fields.items()
        if name in wanted and name not in columns.values() and field.is_required()
    )
    if missing:
        found = ", ".join(snake_case(c) for c in header if snake_case(c)) or "none"
        raise SourceError(
            SOURCE,
            f"{sheet} has no column {', '.join(missing)} that model {spec.model} needs "
            f"(its header row gives: {found}); check the sheet or setting {SHEETS_SETTING}",
            spec.table,
        )
    return columns
