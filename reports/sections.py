"""The report's sections: one business question each, its key figures and its chart specs.

Figures are written here, in Python, from exact decimals (the test reads them back by their
`name`, the page's `data-figure`); charts are specs (JSON) that the page draws in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from reports import formatting, queries
from reports.queries import MartData

PROCESSOR_NAMES = {"stripe": "Stripe", "paypal": "PayPal"}
CHANNEL_NAMES = {"google_ads": "Google Ads", "facebook_ads": "Facebook Ads"}


@dataclass(frozen=True)
class Figure:
    """A key figure: `name` is stable (the page's `data-figure`), `text` is for people."""

    name: str
    label: str
    text: str


@dataclass(frozen=True)
class Section:
    """One business question: its figures, charts (specs drawn by the page) and notes."""

    key: str
    title: str
    question: str
    mart: str
    state: queries.MartState
    sources: str
    figures: list[Figure] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def number(value: Decimal | float | int | None) -> float | None:
    """A value for a chart (JSON): charts need no more precision than a float's."""
    return None if value is None else float(value)


def revenue_section(data: MartData) -> Section:
    section = Section(
        key="revenue",
        title="Revenue",
        question="How much money reached our payment processors, day by day?",
        mart=data.mart,
        state=data.state,
        sources="Stripe and PayPal",
    )
    for totals in data.figures:
        currency = totals["currency"]
        upper = currency.upper()
        section.figures.extend(
            [
                Figure(
                    f"net_revenue_{currency}",
                    f"Net revenue ({upper})",
                    formatting.money(totals["net"], currency),
                ),
                Figure(
                    f"gross_revenue_{currency}",
                    f"Sales before refunds and fees ({upper})",
                    formatting.money(totals["gross"], currency),
                ),
                Figure(
                    f"refunds_{currency}",
                    f"Refunded ({upper})",
                    formatting.money(totals["refunds"], currency),
                ),
                Figure(
                    f"fees_{currency}",
                    f"Processor fees ({upper})",
                    formatting.money(totals["fees"], currency),
                ),
                Figure(f"sales_{currency}", f"Sales ({upper})", formatting.count(totals["sales"])),
            ]
        )
        section.charts.append(
            {
                "id": f"revenue-{currency}",
                "kind": "line",
                "title": f"Net revenue per day by processor, in {upper}",
                "x_label": "Day (UTC)",
                "y_label": f"Net revenue ({upper})",
                "format": "money",
                "series": [
                    {
                        "name": PROCESSOR_NAMES.get(processor, processor),
                        "points": [
                            [row["day"].isoformat(), number(row["net"])]
                            for row in data.rows
                            if row["currency"] == currency and row["processor"] == processor
                        ],
                    }
                    for processor in sorted(
                        {row["processor"] for row in data.rows if row["currency"] == currency}
                    )
                ],
            }
        )
    if data.figures:
        first = min(totals["first_day"] for totals in data.figures)
        last = max(totals["last_day"] for totals in data.figures)
        section.figures.append(Figure("revenue_period", "Period", formatting.period(first, last)))
        section.notes.append(
            "Net revenue is sales minus refunds and processor fees, in the currency the money "
            "reached each processor's balance; currencies are never added together."
        )
    return section


def enrollment_section(data: MartData) -> Section:
    section = Section(
        key="enrollment",
        title="Enrolment",
        question="How full are our programs?",
        mart=data.mart,
        state=data.state,
        sources="Google Sheets (the enrolment roster) and the products in Stripe",
    )
    if data.state != "ok":
        return section
    totals = data.figures[0]
    section.figures.extend(
        [
            Figure(
                "overall_fill_rate",
                "Overall fill rate (seats taken / seats offered)",
                formatting.percent(totals["overall_fill_rate"]),
            ),
            Figure("students_enrolled", "Students enrolled", formatting.count(totals["enrolled"])),
            Figure("seats_offered", "Seats offered", formatting.count(totals["capacity"])),
            Figure("full_programs", "Full programs", formatting.count(totals["full_programs"])),
            Figure(
                "enrollment_as_of",
                "As of",
                formatting.period(totals["as_of_date"], totals["as_of_date"]),
            ),
        ]
    )
    charted = [row for row in data.rows if row["fill_rate"] is not None]
    if charted:  # else the note below names every program: none has a capacity
        section.charts.append(
            {
                "id": "fill-rate",
                "kind": "bars",
                "title": "Fill rate by program and term",
                "x_label": "Seats taken, share of capacity",
                "format": "percent",
                "categories": [f"{row['program']} · {row['term']}" for row in charted],
                "series": [
                    {"name": "Fill rate", "values": [number(r["fill_rate"]) for r in charted]}
                ],
                "highlight": [],
            }
        )
    uncapped = [
        f"{row['program']} ({row['term']})" for row in data.rows if row["fill_rate"] is None
    ]
    if uncapped:
        section.notes.append("No capacity recorded, so no fill rate: " + ", ".join(uncapped) + ".")
    return section


def inventory_section(data: MartData) -> Section:
    section = Section(
        key="inventory",
        title="Inventory",
        question="How many days will our stock last at the current rate of sales?",
        mart=data.mart,
        state=data.state,
        sources="Google Sheets (the inventory sheet) and sales in Stripe and PayPal",
    )
    if data.state != "ok":
        return section
    totals = data.figures[0]
    section.figures.extend(
        [
            Figure(
                "items_below_reorder_point",
                "Items below their reorder point",
                formatting.count(totals["below_reorder_point"]),
            ),
            Figure("items_tracked", "Items tracked", formatting.count(totals["items"])),
            Figure("shortest_cover", "Shortest cover", formatting.days(totals["shortest_cover"])),
            Figure(
                "items_without_sales",
                "Items not sold in the last 28 days",
                formatting.count(totals["items_without_sales"]),
            ),
            Figure(
                "inventory_as_of",
                "As of",
                formatting.period(totals["as_of_date"], totals["as_of_date"]),
            ),
        ]
    )
    charted = [row for row in data.rows if row["days_of_cover"] is not None]
    if charted:  # else the note below names every item: none sold
        section.charts.append(
            {
                "id": "days-of-cover",
                "kind": "bars",
                "title": "Days of cover by item (red: at or below its reorder point)",
                "x_label": "Days of cover: units on hand / average daily units sold (28 days)",
                "format": "days",
                "categories": [row["item_name"] or row["sku"] for row in charted],
                "series": [
                    {
                        "name": "Days of cover",
                        "values": [number(r["days_of_cover"]) for r in charted],
                    }
                ],
                "highlight": [bool(row["below_reorder_point"]) for row in charted],
                "highlight_name": "At or below reorder point",
            }
        )
    unsold = [row["item_name"] or row["sku"] for row in data.rows if row["days_of_cover"] is None]
    if unsold:
        section.notes.append(
            "Not sold in the last 28 days (no rate to divide by): " + ", ".join(unsold) + "."
        )
    return section


def ads_section(data: MartData) -> Section:
    section = Section(
        key="ads",
        title="Advertising",
        question="What did each campaign cost, and how much revenue did it bring back (ROAS)?",
        mart=data.mart,
        state=data.state,
        sources="Google Ads, Facebook Ads, Google Analytics, Stripe and PayPal",
    )
    for totals in data.figures:
        currency = totals["currency"]
        upper = currency.upper()
        section.figures.extend(
            [
                Figure(
                    f"total_spend_{currency}",
                    f"Ad spend ({upper})",
                    formatting.money(totals["spend"], currency),
                ),
                Figure(
                    f"attributed_revenue_{currency}",
                    f"Attributed revenue ({upper})",
                    formatting.money(totals["attributed_revenue"], currency),
                ),
                Figure(
                    f"overall_roas_{currency}",
                    f"Return on ad spend ({upper})",
                    formatting.ratio(totals["roas"]),
                ),
                Figure(
                    f"ad_orders_{currency}",
                    # a count: the currency says which campaigns, not the unit
                    f"Orders attributed to campaigns reporting in {upper}",
                    formatting.count(totals["orders"]),
                ),
            ]
        )
        campaigns = [row for row in data.rows if row["currency"] == currency]
        section.charts.append(
            {
                "id": f"ads-{currency}",
                "kind": "bars",
                "title": f"Spend and attributed revenue by campaign, in {upper}, with ROAS",
                "x_label": upper,
                "format": "money",
                "categories": [
                    f"{row['campaign_name'] or row['campaign_id']} "
                    f"({CHANNEL_NAMES.get(row['channel'], row['channel'])})"
                    for row in campaigns
                ],
                "series": [
                    {"name": "Spend", "values": [number(row["spend"]) for row in campaigns]},
                    {
                        "name": "Attributed revenue",
                        "values": [number(row["attributed_revenue"]) for row in campaigns],
                    },
                ],
                "annotations": [f"ROAS {formatting.ratio(row['roas'])}" for row in campaigns],
                "highlight": [],
            }
        )
    if data.figures:
        first = min(totals["first_day"] for totals in data.figures)
        last = max(totals["last_day"] for totals in data.figures)
        section.figures.append(Figure("ads_period", "Period", formatting.period(first, last)))
        section.notes.append(
            "ROAS is attributed revenue divided by spend; n/a where nothing was spent."
        )
    return section


def build_sections(connection: duckdb.DuckDBPyConnection) -> list[Section]:
    """Every section of the report, in reading order, from the marts on `connection`."""
    return [
        revenue_section(queries.read_revenue(connection)),
        enrollment_section(queries.read_enrollment(connection)),
        inventory_section(queries.read_inventory(connection)),
        ads_section(queries.read_ads(connection)),
    ]
