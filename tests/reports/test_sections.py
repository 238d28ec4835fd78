"""The report's figures and chart data, from a small warehouse whose totals are worked by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from reports.sections import Section, build_sections
from tests.reports.marts import ALL_MARTS, INVENTORY_BY_ITEM, REVENUE_DAILY, make_warehouse


@pytest.fixture
def sections(tmp_path: Path) -> Iterator[dict[str, Section]]:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *ALL_MARTS)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield {section.key: section for section in build_sections(connection)}


def figures(section: Section) -> dict[str, str]:
    return {figure.name: figure.text for figure in section.figures}


def test_revenue_figures_are_per_currency_and_never_add_currencies(
    sections: dict[str, Section],
) -> None:
    # usd net: 96.80 + 27.86 + 143.90 + 472.60; eur: 376.50 - 390.00 + 13.50
    assert figures(sections["revenue"]) == {
        "net_revenue_eur": "0.00 EUR",
        "gross_revenue_eur": "390.00 EUR",
        "refunds_eur": "390.00 EUR",
        "fees_eur": "13.50 EUR",
        "sales_eur": "1",
        "net_revenue_usd": "741.16 USD",
        "gross_revenue_usd": "819.00 USD",
        "refunds_usd": "50.00 USD",
        "fees_usd": "27.84 USD",
        "sales_usd": "7",
        "revenue_period": "2026-11-01 to 2026-11-03",
    }


def test_revenue_chart_has_one_point_per_day_and_processor_in_each_currency(
    sections: dict[str, Section],
) -> None:
    charts = {chart["id"]: chart for chart in sections["revenue"].charts}
    assert sorted(charts) == ["revenue-eur", "revenue-usd"]
    usd = {series["name"]: series["points"] for series in charts["revenue-usd"]["series"]}
    # Stripe's two products on 1 Nov are one point: 96.80 + 27.86
    assert usd == {
        "PayPal": [["2026-11-01", 472.6]],
        "Stripe": [["2026-11-01", 124.66], ["2026-11-02", 143.9]],
    }
    eur = charts["revenue-eur"]["series"]
    assert eur == [{"name": "PayPal", "points": [["2026-11-02", 376.5], ["2026-11-03", -376.5]]}]
    assert "EUR" in charts["revenue-eur"]["y_label"]


def test_fill_rate_is_seats_taken_over_seats_offered_where_there_is_a_capacity(
    sections: dict[str, Section],
) -> None:
    enrollment = sections["enrollment"]
    # (30 + 35) / (40 + 35); Career Mentorship has no capacity and is left out of the rate
    assert figures(enrollment) == {
        "overall_fill_rate": "86.7%",
        "students_enrolled": "70",
        "seats_offered": "75",
        "full_programs": "1",
        "enrollment_as_of": "2026-11-03",
    }
    (chart,) = enrollment.charts
    assert chart["categories"] == [
        "Intro to Data Analysis · Fall 2026",
        "SQL for Analysts · Fall 2026",
    ]
    assert chart["series"][0]["values"] == [0.75, 1.0]
    assert enrollment.notes == [
        "No capacity recorded, so no fill rate: Career Mentorship (Fall 2026)."
    ]


def test_days_of_cover_puts_the_shortest_first_and_flags_items_below_reorder_point(
    sections: dict[str, Section],
) -> None:
    inventory = sections["inventory"]
    assert figures(inventory) == {
        "items_below_reorder_point": "1",
        "items_tracked": "3",
        "shortest_cover": "6.0 days",
        "items_without_sales": "1",
        "inventory_as_of": "2026-11-03",
    }
    (chart,) = inventory.charts
    assert chart["categories"] == ["Course Workbook", "Coffee Mug"]
    assert chart["series"][0]["values"] == [6.0, 160.0]
    assert chart["highlight"] == [True, False]
    assert "Desk Whiteboard" in inventory.notes[0]


def test_roas_is_attributed_revenue_over_spend_per_campaign_and_overall(
    sections: dict[str, Section],
) -> None:
    ads = sections["ads"]
    # spend 100 + 50 + 80 + 0, revenue 400 + 0 + 40 + 0, ROAS 440 / 230
    assert figures(ads) == {
        "total_spend_usd": "230.00 USD",
        "attributed_revenue_usd": "440.00 USD",
        "overall_roas_usd": "1.91x",
        "ad_orders_usd": "4",
        "ads_period": "2026-11-01 to 2026-11-02",
    }
    (chart,) = ads.charts
    assert chart["categories"] == [
        "Brand Search (Google Ads)",
        "Shop Retargeting (Facebook Ads)",
        "Term Launch </script> Video (Facebook Ads)",
    ]
    assert [series["values"] for series in chart["series"]] == [
        [150.0, 80.0, 0.0],
        [400.0, 40.0, 0.0],
    ]
    # 400 / 150, 40 / 80, and nothing spent
    assert chart["annotations"] == ["ROAS 2.67x", "ROAS 0.50x", "ROAS n/a"]


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_mart_that_is_missing_or_empty_gives_a_section_without_figures(
    tmp_path: Path, state: str
) -> None:
    marts = [REVENUE_DAILY, INVENTORY_BY_ITEM] if state == "empty" else [REVENUE_DAILY]
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *marts)
    with duckdb.connect(str(warehouse)) as connection:
        if state == "empty":
            connection.execute("DELETE FROM marts.inventory_by_item")
        built = {section.key: section for section in build_sections(connection)}
    assert built["revenue"].state == "ok"
    assert built["inventory"].state == state
    assert built["enrollment"].state == built["ads"].state == "missing"
    for key in ("enrollment", "inventory", "ads"):
        assert (built[key].figures, built[key].charts) == ([], [])


def test_a_section_with_nothing_to_chart_has_no_chart_and_says_why(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *ALL_MARTS)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "UPDATE marts.enrollment_by_program SET capacity = NULL, fill_rate = NULL"
        )
        connection.execute("UPDATE marts.inventory_by_item SET days_of_cover = NULL")
        built = {section.key: section for section in build_sections(connection)}
    assert built["enrollment"].charts == []
    assert figures(built["enrollment"])["overall_fill_rate"] == "n/a"
    assert built["enrollment"].notes[0].startswith("No capacity recorded, so no fill rate: Career")
    assert built["inventory"].charts == []
    assert figures(built["inventory"])["shortest_cover"] == "n/a"
    assert built["inventory"].notes[0].startswith("Not sold in the last 28 days")
