"""The report file: self-contained, every section present, plain words for a missing mart, CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

import reports.__main__ as cli
from reports import ReportError, write_report
from reports.html import script_json
from tests.reports.marts import ALL_MARTS, REVENUE_DAILY, make_warehouse
from tests.reports.page import summarise

GENERATED_AT = datetime(2026, 11, 4, 6, 30, tzinfo=UTC)


def test_the_page_references_nothing_outside_itself(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *ALL_MARTS)
    html = write_report(warehouse, tmp_path / "report.html", GENERATED_AT).read_text()
    page = summarise(html)
    assert page.links, "the section links are hrefs too"
    assert all(link.startswith("#") for link in page.links), page.links
    assert not re.search(r"https?://", html.replace("http://www.w3.org/2000/svg", ""))
    for external in ("<link", "@import", "url("):
        assert external not in html, external
    assert "Generated 2026-11-04 06:30 UTC" in html
    assert sorted(page.sections.items()) == [
        ("ads", "ok"),
        ("enrollment", "ok"),
        ("inventory", "ok"),
        ("revenue", "ok"),
    ]


def test_chart_data_is_embedded_so_that_no_name_can_end_the_script(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *ALL_MARTS)
    html = write_report(warehouse, tmp_path / "report.html").read_text()
    # one campaign is called "Term Launch </script> Video"
    assert html.count("</script>") == 3  # the error recorder, the data, the chart code
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html)
    assert data is not None
    charts = json.loads(data.group(1))
    assert sorted(charts) == ["ads-usd", "days-of-cover", "fill-rate", "revenue-eur", "revenue-usd"]
    assert "Term Launch </script> Video (Facebook Ads)" in charts["ads-usd"]["categories"]
    assert script_json({"a": "<!--"}) == '{"a":"\\u003c!--"}'


def test_figures_are_in_the_page_by_name(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *ALL_MARTS)
    page = summarise(write_report(warehouse, tmp_path / "report.html").read_text())
    assert page.figures["net_revenue_usd"] == "741.16 USD"
    assert page.figures["overall_fill_rate"] == "86.7%"
    assert page.figures["items_below_reorder_point"] == "1"
    assert page.figures["overall_roas_usd"] == "1.91x"


def test_a_missing_mart_gets_a_section_that_says_so(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", REVENUE_DAILY)
    page = summarise(write_report(warehouse, tmp_path / "report.html").read_text())
    assert page.sections == {
        "revenue": "ok",
        "enrollment": "missing",
        "inventory": "missing",
        "ads": "missing",
    }
    assert page.notices["inventory"].startswith(
        "No data: marts.inventory_by_item does not exist in this warehouse."
    )
    assert "sources.enabled" in page.notices["ads"]
    assert "revenue" not in page.notices
    assert sorted(page.charts) == ["revenue-eur", "revenue-usd"]


def test_an_empty_mart_gets_a_section_that_says_so(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", *ALL_MARTS)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("DELETE FROM marts.revenue_daily")
    page = summarise(write_report(warehouse, tmp_path / "report.html").read_text())
    assert page.sections["revenue"] == "empty"
    assert page.notices["revenue"].startswith(
        "No data: marts.revenue_daily exists but holds no rows"
    )
    assert not [name for name in page.figures if "revenue" in name and "attributed" not in name]


def test_a_warehouse_without_marts_still_gives_a_report(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    page = summarise(write_report(warehouse, tmp_path / "report.html").read_text())
    assert set(page.sections.values()) == {"missing"}
    assert page.charts == {}
    assert page.figures == {}


def test_no_warehouse_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"^no DuckDB warehouse at .*missing\.duckdb"):
        write_report(tmp_path / "missing.duckdb")


def test_help_says_where_it_reads_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in (
        "warehouse.duckdb_path",
        "WAREHOUSE__DUCKDB_PATH",
        "report.html",
        "--output",
        "--open",
        "--warehouse",
        "offline",
    ):
        assert words in text, words


def test_cli_writes_the_report_beside_the_warehouse_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", REVENUE_DAILY)
    monkeypatch.setenv("WAREHOUSE__KIND", "duckdb")
    monkeypatch.setenv("WAREHOUSE__DUCKDB_PATH", str(warehouse))
    assert cli.main([]) == 0
    assert capsys.readouterr().out == f"report: {tmp_path / 'report.html'}\n"
    assert summarise((tmp_path / "report.html").read_text()).sections["revenue"] == "ok"

    elsewhere = tmp_path / "out" / "marts.html"
    assert cli.main(["--output", str(elsewhere)]) == 0
    assert elsewhere.is_file()
    assert [path.name for path in tmp_path.glob(".*.tmp")] == []


def test_cli_without_a_duckdb_warehouse_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAREHOUSE__KIND", "duckdb")
    monkeypatch.setenv("WAREHOUSE__DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    assert cli.main([]) == 1
    assert capsys.readouterr().err == (
        f"error: report not written: no DuckDB warehouse at {tmp_path / 'none.duckdb'} "
        "(run the pipeline first)\n"
    )


def test_cli_with_bigquery_as_the_warehouse_asks_for_a_duckdb_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAREHOUSE__KIND", "bigquery")
    monkeypatch.setenv("WAREHOUSE__BIGQUERY_PROJECT", "example-project")
    assert cli.main([]) == 2
    assert capsys.readouterr().err == (
        "error: the report reads a DuckDB warehouse but warehouse.kind is not 'duckdb' "
        "(env WAREHOUSE__KIND); pass --warehouse FILE\n"
    )


def test_an_unwritable_output_is_a_report_error(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", REVENUE_DAILY)
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(ReportError, match=r"^cannot write .*taken/report\.html"):
        write_report(warehouse, tmp_path / "taken" / "report.html")
