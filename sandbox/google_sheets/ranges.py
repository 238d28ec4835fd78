"""A1 notation as the Sheets API reads it: `Roster`, `Roster!A1:H`, `'Late Additions'!B2:C9`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


class RangeError(ValueError):
    """A range the API cannot parse (`Unable to parse range: ...`)."""


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def quote_title(title: str) -> str:
    """Sheet titles other than plain words are quoted in A1 ranges, as the API echoes them."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class GridRange:
    """Zero-based, end-exclusive rows and columns of one sheet; None ends mean the grid's end."""

    title: str | None
    first_row: int
    end_row: int | None
    first_column: int
    end_column: int | None


def parse_a1(text: str) -> GridRange:
    title: str | None = None
    cells = text
    if "!" in text:
        title, cells = text.rsplit("!", 1)
    elif not _looks_like_cells(text):
        title, cells = text, ""
    if title is not None:
        if title.startswith("'") and title.endswith("'") and len(title) >= 2:
            title = title[1:-1].replace("''", "'")
        if not title:
            raise RangeError(text)
    if not cells:
        return GridRange(title, 0, None, 0, None)
    start, _, end = cells.partition(":")
    start_match, end_match = _CELL.match(start), _CELL.match(end or start)
    if not start_match or not end_match or not (start_match.group(0) and end_match.group(0)):
        raise RangeError(text)
    first_column = column_index(start_match.group(1)) if start_match.group(1) else 0
    first_row = int(start_match.group(2)) - 1 if start_match.group(2) else 0
    end_column = column_index(end_match.group(1)) + 1 if end_match.group(1) else None
    end_row = int(end_match.group(2)) if end_match.group(2) else None
    if first_row < 0 or (end_row is not None and end_row <= first_row):
        raise RangeError(text)
    if end_column is not None and end_column <= first_column:
        raise RangeError(text)
    return GridRange(title, first_row, end_row, first_column, end_column)


def _looks_like_cells(text: str) -> bool:
    return all(_CELL.match(part) and part for part in text.split(":")) and any(
        ch.isdigit() for ch in text
    )


GRID_COLUMNS_DEFAULT = 26  # a new sheet's columns, A:Z
