"""Google Sheets constants: APIs, read options, retries and the demo organisation's sheets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sources.errors import SourceError

SOURCE = "google_sheets"
SHEETS_API = "https://sheets.googleapis.com"
DRIVE_API = "https://www.googleapis.com"  # gspread's Drive calls; none of ours use it
SCOPES = ("https://www.googleapis.com/auth/spreadsheets.readonly",)
SHEETS_SETTING = "sources.google_sheets.sheets (env SOURCES__GOOGLE_SHEETS__SHEETS)"

# Cells are read as the sheet shows them: text exactly as typed (leading zeros kept, whatever
# the cell's type or number format) and numbers and dates as displayed, which the models parse.
READ_PARAMS = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
RETRY_ATTEMPTS = 6  # 429 and 5xx, with exponential backoff as Google's Sheets guide advises
RETRY_INITIAL_WAIT_SECONDS = 1.0
RETRY_MAX_WAIT_SECONDS = 64.0
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Languages whose locales write 1.234,5: their displayed numbers cannot be read as 1,234.5.
DECIMAL_COMMA_LANGUAGES = frozenset(
    "bg cs da de el es et fi fr hr hu id it lt lv nb nl no pl pt ro ru sk sl sr sv tr uk vi".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class SheetSpec:
    """One configured sheet: the table it loads into, where it is, and the model of its rows."""

    table: str
    spreadsheet_id: str
    range: str
    model: str

    @classmethod
    def from_setting(cls, item: Any) -> SheetSpec:
        if not isinstance(item, Mapping):
            raise SourceError(
                SOURCE,
                f"setting {SHEETS_SETTING}: each sheet must be a table with table, "
                f"spreadsheet_id, range and model, got {item!r}",
            )
        missing = [
            key for key in ("table", "spreadsheet_id", "range", "model") if not item.get(key)
        ]
        if missing:
            raise SourceError(
                SOURCE, f"setting {SHEETS_SETTING}: a sheet lacks {', '.join(missing)}: {item!r}"
            )
        table = str(item["table"])
        if not table.isidentifier() or table != table.lower():
            raise SourceError(
                SOURCE,
                f"setting {SHEETS_SETTING}: table {table!r} must be a lower-case table name",
            )
        return cls(table, str(item["spreadsheet_id"]), str(item["range"]), str(item["model"]))


def sheet_specs(setting: Sequence[Any]) -> tuple[SheetSpec, ...]:
    if isinstance(setting, str | bytes) or not isinstance(setting, Sequence) or not setting:
        raise SourceError(SOURCE, f"setting {SHEETS_SETTING} must be a non-empty list of sheets")
    specs = tuple(SheetSpec.from_setting(item) for item in setting)
    tables = [spec.table for spec in specs]
    repeated = sorted({t for t in tables if tables.count(t) > 1})
    if repeated:
        raise SourceError(SOURCE, f"setting {SHEETS_SETTING}: tables repeat: {repeated}")
    return specs


# The demo organisation's spreadsheets, as the sandbox serves them; production lists its own
# in the `sheets` setting, in this shape.
DEMO_SHEETS: tuple[dict[str, str], ...] = (
    {
        "table": "enrolments",
        "spreadsheet_id": "1NwDaRosterEnrolments2026xQ7vKpL3mZt9sHc0bYw",
        "range": "Roster",
        "model": "enrolment",
    },
    {
        "table": "inventory",
        "spreadsheet_id": "1NwDaInventoryStock2026jR4nWq8cTz2vLm6fXpKeA",
        "range": "Stock",
        "model": "inventory_item",
    },
)
