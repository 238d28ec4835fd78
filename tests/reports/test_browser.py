"""The report in a real headless browser: every chart drew a mark per data row, no script or
console error, and the figures on screen equal SQL run on the same marts. Saves a screenshot
to .cache/test-artifacts/report.png."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from reports import write_report
from tests.reports import browser
from tests.reports.browser import render, require_chrome, screenshot
from tests.reports.marts import ALL_MARTS, REVENUE_DAILY, make_warehouse
from tests.reports.page import PageSummary, summarise

ARTIFACTS = PROJECT_ROOT / ".cache" / "test-artifacts"


@pytest.fixture(scope="module")
def chrome() -> str:
    return require_chrome()


def scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row[0]


def money(value: object, currency: str) -> str:
    cents = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{cents:,.2f} {currency.upper()}"


def expected_from_sql(warehouse: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Marks per chart and figure texts, straight from the marts with SQL of the test's own."""
    marks: dict[str, int] = {}
    figures: dict[str, str] = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for currency, points, net, gross in connection.execute(
            "SELECT currency, COUNT(DISTINCT (processor, day)), SUM(net), SUM(gross) "
            "FROM marts.revenue_daily GROUP BY currency"
        ).fetchall():
            marks[f"revenue-{currency}"] = points
            figures[f"net_revenue_{currency}"] = money(net, currency)
            figures[f"gross_revenue_{currency}"] = money(gross, currency)
        marks["fill-rate"] = scalar(
            connection, "SELECT count(fill_rate) FROM marts.enrollment_by_program"
        )
        rate = scalar(
            connection,
            "SELECT SUM(enrolled) / SUM(capacity) FROM marts.enrollment_by_program "
            "WHERE fill_rate IS NOT NULL",
        )
        figures["overall_fill_rate"] = f"{Decimal(str(rate)) * 100:.1f}%"
        marks["days-of-cover"] = scalar(
            connection, "SELECT count(days_of_cover) FROM marts.inventory_by_item"
        )
        figures["items_below_reorder_point"] = str(
            scalar(
                connection, "SELECT count(*) FROM marts.inventory_by_item WHERE below_reorder_point"
            )
        )
        for currency, campaigns, spend, revenue in connection.execute(
            "SELECT reporting_currency, COUNT(DISTINCT (channel, campaign_id)), SUM(spend), "
            "SUM(attributed_revenue) FROM marts.ad_attribution_daily GROUP BY 1"
        ).fetchall():
            marks[f"ads-{currency}"] = 2 * campaigns  # a spend bar and a revenue bar each
            figures[f"total_spend_{currency}"] = money(spend, currency)
            roas = (Decimal(revenue) / Decimal(spend)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            figures[f"overall_roas_{currency}"] = f"{roas}x"
    return marks, figures


def assert_drew_cleanly(page: PageSummary, console: list[str]) -> None:
    assert console == [], "the page wrote to the console:\n" + "\n".join(console)
    assert page.root.get("data-errors") is None, json.loads(page.root["data-errors"] or "[]")
    assert page.root.get("data-charts-drawn") == str(len(page.charts))
    for name, chart in page.charts.items():
        assert chart.svgs == 1, name
        assert chart.marks > 0, f"chart {name} drew no marks"
        assert chart.marks_attribute == str(chart.marks), name


def test_every_chart_draws_one_mark_per_row_and_figures_match_the_marts(
    tmp_path: Path, chrome: str
) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *ALL_MARTS)
    report = write_report(warehouse, tmp_path / "report.html")

    rendered = render(chrome, report)
    page = summarise(rendered.dom)
    assert_drew_cleanly(page, rendered.console)

    marks, figures = expected_from_sql(warehouse)
    assert {name: chart.marks for name, chart in page.charts.items()} == marks
    assert {name: page.figures[name] for name in figures} == figures

    png = screenshot(chrome, report, ARTIFACTS / "report.png")
    print(f"screenshot: {png}")


def test_a_report_with_only_revenue_draws_and_says_what_is_missing(
    tmp_path: Path, chrome: str
) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", REVENUE_DAILY)
    report = write_report(warehouse, tmp_path / "report.html")
    rendered = render(chrome, report)
    page = summarise(rendered.dom)
    assert_drew_cleanly(page, rendered.console)
    assert sorted(page.charts) == ["revenue-eur", "revenue-usd"]
    assert sorted(page.notices) == ["ads", "enrollment", "inventory"]
    assert all(notice.startswith("No data: marts.") for notice in page.notices.values())
    screenshot(chrome, report, ARTIFACTS / "report-revenue-only.png", height=1600)


def test_the_check_catches_a_chart_that_fails_to_draw(tmp_path: Path, chrome: str) -> None:
    """The browser checks can fail: a chart of an unknown kind throws in the page."""
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *ALL_MARTS)
    report = write_report(warehouse, tmp_path / "report.html")
    html = report.read_text()
    report.write_text(html.replace('"kind":"bars"', '"kind":"pie"', 1))

    rendered = render(chrome, report)
    page = summarise(rendered.dom)
    errors = json.loads(page.root.get("data-errors") or "[]")
    assert len(errors) == 1, errors
    assert "is not a function" in errors[0], errors
    assert len(rendered.console) == 1, rendered.console
    assert page.root.get("data-charts-drawn") == str(len(page.charts) - 1)
    assert [name for name, chart in page.charts.items() if chart.marks == 0] == ["fill-rate"]
    with pytest.raises(AssertionError):
        assert_drew_cleanly(page, rendered.console)


def test_without_a_browser_the_test_fails_when_one_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHROME_PATH", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(browser, "PATHS", ())
    monkeypatch.setenv("REPORT_BROWSER_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception, match="REPORT_BROWSER_REQUIRED=1"):
        browser.require_chrome()
    monkeypatch.delenv("REPORT_BROWSER_REQUIRED")
    with pytest.raises(pytest.skip.Exception, match="set CHROME_PATH"):
        browser.require_chrome()
