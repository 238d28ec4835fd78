"""The columns of each sheet: one Pydantic model per kind of sheet, picked by name in config.

Columns are declared here, never inferred from the cells, so a stray value in a sheet never
changes a column's type: it fails validation and its row goes to `rejected_records`. Field
names are the sheet's header names in snake_case (`Enrolled Date` -> `enrolled_date`). Cells
arrive as the sheet displays them (text); the field types below parse them: blank cells are
missing values, numbers may carry thousands separators or a currency sign, dates are ISO
(`2026-09-01`) or US style (`9/1/2026`). Every row also has `row_number` (its row in the
sheet) and `snapshot_at` (when it was read: each run reads the whole sheet).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

_CURRENCY_SIGNS = re.compile(r"^[\s$€£]+|[\s$€£]+$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _blank_is_missing(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _displayed_number(value: Any) -> Any:
    """`1,290.00`, `$14.50`, `-3` -> text a Decimal or int parses; anything else unchanged."""
    value = _blank_is_missing(value)
    if isinstance(value, str):
        cleaned = _CURRENCY_SIGNS.sub("", value).replace(",", "")
        if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", cleaned):
            return cleaned
    return value


def _displayed_date(value: Any) -> Any:
    value = _blank_is_missing(value)
    if isinstance(value, str):
        match = _US_DATE.match(value.strip())
        if match:
            month, day, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return value.strip()
    return value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _has_at(value: str) -> str:
    if "@" not in value.strip("@"):
        raise ValueError("not an email address")
    return value


Text = Annotated[
    str, BeforeValidator(_blank_is_missing), StringConstraints(strip_whitespace=True, min_length=1)
]
Email = Annotated[str, BeforeValidator(_lower), AfterValidator(_has_at)]
SheetInt = Annotated[int, BeforeValidator(_displayed_number)]
SheetDate = Annotated[date, BeforeValidator(_displayed_date)]
Money = Annotated[
    Decimal, BeforeValidator(_displayed_number), Field(max_digits=14, decimal_places=2)
]


class SheetRow(BaseModel):
    """What every sheet row has besides its own columns."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    row_number: int = Field(description="The row's number in the sheet (the header is above it)")
    snapshot_at: datetime = Field(description="When the sheet was read (UTC)")


class Enrolment(SheetRow):
    """A seat on a program, as the enrolment roster records it."""

    student_email: Email = Field(description="The student's email, lower-cased")
    student_name: Text
    program: Text
    term: Text
    enrolled_date: SheetDate
    status: Annotated[Literal["enrolled", "withdrawn"], BeforeValidator(_lower)]
    paid: Money = Field(description="Amount paid, in `currency`")
    currency: Annotated[str, BeforeValidator(_lower), StringConstraints(pattern=r"^[a-z]{3}$")]


class InventoryItem(SheetRow):
    """A good kept in stock, as the inventory sheet records it."""

    sku: Text
    item_name: Text
    barcode: Text | None = Field(None, description="UPC/EAN as text: leading zeros kept")
    on_hand: SheetInt
    reorder_point: SheetInt
    unit_cost: Money = Field(description="What one unit costs the organisation, USD")
    updated: SheetDate


# `model` in setting `sources.google_sheets.sheets` names one of these.
MODELS: dict[str, type[SheetRow]] = {
    "enrolment": Enrolment,
    "inventory_item": InventoryItem,
}
# A row's `id` names its cells in rejected_records (`Roster!A17:H17`), so no model may have one.
assert all("id" not in model.model_fields for model in MODELS.values())
