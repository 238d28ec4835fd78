"""The demo organisation's spreadsheets: the enrolment roster and the inventory sheet.

Cells hold what a person typed (a number, a date, text) and how the sheet shows it (its
format), so each of the API's render options can be answered. The roster lists `org`
enrolments (the students' emails are the customers' emails that Stripe and PayPal see); the
stock sheet lists the goods with what is on hand at the emulator's clock. Like real sheets
kept by people, they have blank rows and stray notes in unnamed columns; the roster's
`Late Additions` tab also has rows that do not fit (text in a number column, a date that is
not one) for the sources' tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sandbox.org import Enrolment, Organisation, Program, org_purchase, utc_date

ROSTER_SPREADSHEET_ID = "1NwDaRosterEnrolments2026xQ7vKpL3mZt9sHc0bYw"
INVENTORY_SPREADSHEET_ID = "1NwDaInventoryStock2026jR4nWq8cTz2vLm6fXpKeA"
_SERIAL_EPOCH = date(1899, 12, 30)  # Sheets' (and Lotus') day zero


@dataclass(frozen=True, slots=True)
class Cell:
    """`value` as stored (str, int, float; a date as its serial day number), `text` as shown."""

    value: str | int | float
    text: str
    is_date: bool = False


def text(value: str) -> Cell:
    return Cell(value, value)


def number(value: float, decimals: int = 0) -> Cell:
    shown = f"{value:,.{decimals}f}"
    stored: int | float = int(value) if float(value).is_integer() else value
    return Cell(stored, shown)


def day(value: date) -> Cell:
    return Cell((value - _SERIAL_EPOCH).days, value.isoformat(), is_date=True)


Row = list[Cell | None]
_NOTES = ("call back", "paid by employer", "moved from waitlist")


@dataclass
class Sheet:
    title: str
    sheet_id: int
    rows: list[Row]
    frozen_rows: int = 1

    @property
    def row_count(self) -> int:
        return max(1000, len(self.rows) + 100)


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"

    def sheet(self, title: str | None) -> Sheet | None:
        if title is None:
            return self.sheets[0]
        return next((s for s in self.sheets if s.title == title), None)


ROSTER_HEADER = (
    "Student Email",
    "Student Name",
    "Program",
    "Term",
    "Enrolled Date",
    "Status",
    "Paid",
    "Currency",
)
INVENTORY_HEADER = (
    "SKU",
    "Item Name",
    "Barcode",
    "On Hand",
    "Reorder Point",
    "Unit Cost",
    "Updated",
)


def build_workbooks(org: Organisation, now: int) -> dict[str, Spreadsheet]:
    """The spreadsheets as they stand at `now`, by id."""
    rng = random.Random(f"{org.seed}-google_sheets")
    roster = Spreadsheet(ROSTER_SPREADSHEET_ID, f"{org.name} enrolments")
    roster.sheets.append(Sheet("Roster", 0, _roster_rows(org, now, rng)))
    roster.sheets.append(Sheet("Late Additions", 1_204_337_651, _late_additions(org, now)))
    stock = Spreadsheet(INVENTORY_SPREADSHEET_ID, f"{org.name} inventory")
    stock.sheets.append(Sheet("Stock", 0, _stock_rows(org, now, rng)))
    return {roster.spreadsheet_id: roster, stock.spreadsheet_id: stock}


def _enrolment_row(org: Organisation, enrolment: Enrolment, now: int) -> Row:
    customer = org.customer(enrolment.customer_id)
    program = org.item("program", enrolment.program_id)
    assert isinstance(program, Program)
    purchase = org_purchase(org, enrolment.purchase_id)
    withdrawn = enrolment.withdrawn_at is not None and enrolment.withdrawn_at <= now
    return [
        text(customer.email),
        text(customer.name),
        text(program.name),
        text(program.term),
        day(utc_date(enrolment.enrolled_at)),
        text("withdrawn" if withdrawn else "enrolled"),
        number(purchase.amount / 100, 2),
        text(purchase.currency.upper()),
    ]


def _roster_rows(org: Organisation, now: int, rng: random.Random) -> list[Row]:
    # Two unnamed columns after the header hold the odd note someone typed.
    rows: list[Row] = [[text(h) for h in ROSTER_HEADER]]
    for n, enrolment in enumerate(e for e in org.enrolments if e.enrolled_at <= now):
        if n and n % 40 == 0:
            rows.append([])  # a blank line someone left between batches
        row = _enrolment_row(org, enrolment, now)
        if rng.random() < 0.04:
            row += [
                None,
                text(rng.choice(("call back", "paid by employer", "moved from waitlist"))),
            ]
        rows.append(row)
    rows.append([])
    return rows


def _late_additions(org: Organisation, now: int) -> list[Row]:
    """A hand-kept tab: sloppy header spacing, blank rows, and two rows that do not fit."""
    visible = [e for e in org.enrolments if e.enrolled_at <= now]
    header = [text(h) for h in (" student email", "STUDENT NAME", "Program ", *ROSTER_HEADER[3:])]
    rows: list[Row] = [[*header, None, None]]
    for enrolment in visible[-3:]:
        rows.append(_enrolment_row(org, enrolment, now))
    rows.append([])
    if visible:
        stray = _enrolment_row(org, visible[0], now)
        stray[6] = text("n/a")  # text in the Paid column
        rows.append(stray)
        undated = _enrolment_row(org, visible[-1], now)
        undated[4] = text("next week")  # not a date
        rows.append(undated)
        rows.append([None, None, None, None, None, None, None, None, None, text("draft")])
    return rows


def _stock_rows(org: Organisation, now: int, rng: random.Random) -> list[Row]:
    rows: list[Row] = [[text(h) for h in INVENTORY_HEADER]]
    for good in org.goods:
        on_hand = good.initial_stock
        moved = utc_date(good.created_at)
        for purchase in org.purchases:
            if purchase.item_id == good.id and purchase.status == "paid" and purchase.at <= now:
                on_hand -= purchase.quantity
                moved = max(moved, utc_date(purchase.at))
        for restock in org.restocks:
            if restock.good_id == good.id and restock.at <= now:
                on_hand += restock.quantity
                moved = max(moved, utc_date(restock.at))
        # UPC-A codes: most start with 0, which is why the column is plain text.
        barcode = f"0{rng.randrange(10**10):010d}{rng.randrange(10)}"
        rows.append(
            [
                text(good.sku),
                text(good.name),
                text(barcode),
                number(on_hand),
                number(good.reorder_point),
                number(round(good.prices["usd"] * 0.4) / 100, 2),
                day(min(moved, utc_date(now))),
            ]
        )
        if good.sku == "HM-MUG":
            rows.append([])  # a gap before the stationery section
    return rows


def serial_to_date(serial: int) -> date:
    return _SERIAL_EPOCH + timedelta(days=serial)
