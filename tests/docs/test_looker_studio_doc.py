"""The Looker Studio guide (docs/looker_studio.md) and the marts agree, column for column.

Pins, for every SQLMesh model in the `marts` schema:

- the guide has exactly one section (a `## ` heading naming `marts.<name>`), and no section names
  a mart that does not exist;
- the section's field table lists every column of the mart and nothing else, each once, with a
  Looker type that fits the column's type and a role that fits its aggregation: the marts expose
  exactly the columns the report pages use, and a column added, dropped or renamed in a model
  fails here until the guide says how Looker Studio shows it;
- the section's date range dimension is the model's time column (incremental marts) or names
  the snapshot date (full marts), and its calculated fields sum columns of the mart.

The field tables are parsed strictly (a row whose first cell is not a column name in backticks
fails), and every mart must have fields, so the test cannot pass on a table it failed to read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pytest
from sqlglot import exp

from destinations.settings import PROJECT_ROOT
from sqlmesh import Context
from tests.conftest import PlatformPaths

DOC = PROJECT_ROOT / "docs" / "looker_studio.md"
SQLMESH = PROJECT_ROOT / "sqlmesh"

HEADING = re.compile(r"^## (?!#)(?P<title>.*)$", re.MULTILINE)
MART_IN_HEADING = re.compile(r"`marts\.(?P<name>[a-z0-9_]+)`")
TABLE_HEADER = re.compile(r"^\|\s*column\s*\|\s*Looker type\s*\|\s*role\s*\|\s*aggregation\s*\|$")
SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+$")
FIELD_NAME = re.compile(r"^`(?P<name>[a-z0-9_]+)`$")
DATE_RANGE = re.compile(r"^\*\*Date range dimension:\*\*")
BACKTICKED = re.compile(r"`([a-z0-9_]+)`")
SUMMED = re.compile(r"\bSUM\((?P<name>[a-z0-9_]+)\)")

ROLES = {"dimension", "metric"}
NO_AGGREGATION = "\u2013"  # the en dash the doc writes for "no aggregation"
NOT_AGGREGATED = {NO_AGGREGATION, "None"}
AGGREGATIONS = {"Sum", "Average", "Min", "Max", "Count", "Count Distinct"}


@dataclass(frozen=True)
class Mart:
    name: str
    columns: dict[str, exp.DataType]
    time_column: str | None


@dataclass(frozen=True)
class Field:
    column: str
    looker_type: str
    role: str
    aggregation: str


@functools.cache
def load_marts() -> tuple[Mart, ...]:
    """The marts as SQLMesh reads them (loaded once: they do not depend on the test's paths)."""
    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        return tuple(
            Mart(
                name=model.view_name,
                columns=dict(model.columns_to_types or {}),
                time_column=model.time_column.column.name if model.time_column else None,
            )
            for model in context.models.values()
            if model.kind.is_materialized and model.schema_name == "marts"
        )
    finally:
        context.close()


@pytest.fixture
def marts(platform_env: PlatformPaths) -> dict[str, Mart]:
    loaded = {mart.name: mart for mart in load_marts()}
    assert loaded, "SQLMesh found no marts"
    return loaded


def mart_sections(text: str) -> dict[str, list[str]]:
    """Mart name -> the lines of the `## ` section whose heading names `marts.<name>`."""
    headings = list(HEADING.finditer(text))
    sections: dict[str, list[str]] = {}
    for index, heading in enumerate(headings):
        named = MART_IN_HEADING.findall(heading["title"])
        if not named:
            continue
        assert len(named) == 1, f"one mart per section: {heading['title']!r}"
        assert named[0] not in sections, f"two sections name marts.{named[0]}"
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        sections[named[0]] = text[heading.end() : end].splitlines()
    return sections


def field_table(lines: list[str]) -> list[Field]:
    """The rows of the section's field table; any row that does not parse fails."""
    starts = [i for i, line in enumerate(lines) if TABLE_HEADER.match(line.strip())]
    assert len(starts) == 1, f"expected one field table, found {len(starts)}"
    fields: list[Field] = []
    for line in lines[starts[0] + 1 :]:
        line = line.strip()
        if not line.startswith("|"):
            break
        if SEPARATOR.match(line):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == 4, f"a field row has 4 cells: {line!r}"
        name = FIELD_NAME.match(cells[0])
        assert name, f"the first cell must be a column name in backticks: {line!r}"
        fields.append(Field(name["name"], cells[1], cells[2], cells[3]))
    return fields


def date_range_paragraph(lines: list[str]) -> str:
    """The paragraph that starts with **Date range dimension:**."""
    starts = [i for i, line in enumerate(lines) if DATE_RANGE.match(line)]
    assert len(starts) == 1, f"expected one date range line, found {len(starts)}"
    paragraph: list[str] = []
    for line in lines[starts[0] :]:
        if not line.strip():
            break
        paragraph.append(line)
    return " ".join(paragraph)


def looker_types(data_type: exp.DataType) -> set[str] | None:
    """The Looker Studio types a column of this type may be shown as (None: any Currency too)."""
    if data_type.is_type(exp.DataType.Type.DATE):
        return {"Date"}
    if data_type.is_type(*exp.DataType.TEMPORAL_TYPES):
        return {"Date & Time"}
    if data_type.is_type(exp.DataType.Type.BOOLEAN):
        return {"Boolean"}
    if data_type.is_type(*exp.DataType.TEXT_TYPES):
        return {"Text"}
    if data_type.is_type(*exp.DataType.NUMERIC_TYPES):
        return None
    raise AssertionError(f"no Looker type known for {data_type.sql()}")


@pytest.fixture(scope="module")
def sections() -> dict[str, list[str]]:
    return mart_sections(DOC.read_text(encoding="utf-8"))


def section(sections: dict[str, list[str]], name: str) -> list[str]:
    assert name in sections, f"docs/looker_studio.md has no section for marts.{name}"
    return sections[name]


def test_parser_reads_a_field_table_and_refuses_a_row_it_cannot_read() -> None:
    text = "\n".join(
        [
            "## Example: `marts.example`",
            "",
            "| column | Looker type | role | aggregation |",
            "|---|---|---|---|",
            f"| `day` | Date | dimension | {NO_AGGREGATION} |",
            "| `amount` | Number | metric | Sum |",
            "",
            "## Other",
        ]
    )
    [(name, lines)] = mart_sections(text).items()
    assert name == "example"
    assert [f.column for f in field_table(lines)] == ["day", "amount"]

    broken = text.replace("| `amount` |", "| amount |")
    with pytest.raises(AssertionError, match="column name in backticks"):
        field_table(mart_sections(broken)["example"])


def test_every_mart_has_one_section_and_every_section_a_mart(
    marts: dict[str, Mart], sections: dict[str, list[str]]
) -> None:
    missing = sorted(set(marts) - set(sections))
    unknown = sorted(set(sections) - set(marts))
    assert not missing, f"docs/looker_studio.md has no section for marts {missing}"
    assert not unknown, f"docs/looker_studio.md has sections for marts that do not exist {unknown}"


def test_field_tables_list_exactly_the_columns_of_their_mart(
    marts: dict[str, Mart], sections: dict[str, list[str]]
) -> None:
    for name, mart in marts.items():
        fields = field_table(section(sections, name))
        assert fields, f"marts.{name}: the field table has no rows"
        listed = [field.column for field in fields]
        twice = sorted({column for column in listed if listed.count(column) > 1})
        assert not twice, f"marts.{name}: listed more than once: {twice}"
        unknown = sorted(set(listed) - set(mart.columns))
        assert not unknown, f"marts.{name} has no columns {unknown}; remove them from the doc"
        missing = [column for column in mart.columns if column not in listed]
        assert not missing, f"marts.{name}: add {missing} to its field table in the doc"


def test_field_types_and_roles_fit_the_columns(
    marts: dict[str, Mart], sections: dict[str, list[str]]
) -> None:
    for name, mart in marts.items():
        for field in field_table(section(sections, name)):
            if field.column not in mart.columns:
                continue  # reported by test_field_tables_list_exactly_the_columns_of_their_mart
            where = f"marts.{name}.{field.column}"
            allowed = looker_types(mart.columns[field.column])
            if allowed is None:
                numeric = field.looker_type in {"Number", "Percent"}
                assert numeric or field.looker_type.startswith("Currency ("), where
            else:
                assert field.looker_type in allowed, f"{where}: {field.looker_type} not {allowed}"
            assert field.role in ROLES, where
            if field.role == "metric":
                assert field.aggregation in AGGREGATIONS, f"{where}: a metric needs an aggregation"
            else:
                assert field.aggregation in NOT_AGGREGATED, f"{where}: a dimension has none"


def test_date_range_dimension_is_the_time_column_or_the_snapshot_date(
    marts: dict[str, Mart], sections: dict[str, list[str]]
) -> None:
    for name, mart in marts.items():
        paragraph = date_range_paragraph(section(sections, name))
        named = BACKTICKED.findall(paragraph)
        unknown = sorted(set(named) - set(mart.columns))
        assert not unknown, f"marts.{name}: the date range line names {unknown}"
        if mart.time_column:
            assert named[:1] == [mart.time_column], f"marts.{name}: use {mart.time_column}"
        else:
            assert "snapshot" in paragraph, f"marts.{name}: say it is a snapshot"
            assert named, f"marts.{name}: name the snapshot's date column"
            temporal = exp.DataType.TEMPORAL_TYPES
            assert all(mart.columns[c].is_type(*temporal) for c in named), name


def test_calculated_fields_sum_columns_of_their_mart(
    marts: dict[str, Mart], sections: dict[str, list[str]]
) -> None:
    summed_anywhere = 0
    for name, mart in marts.items():
        summed = SUMMED.findall("\n".join(section(sections, name)))
        summed_anywhere += len(summed)
        unknown = sorted(set(summed) - set(mart.columns))
        assert not unknown, f"marts.{name}: calculated fields sum unknown columns {unknown}"
    assert summed_anywhere, "no SUM(<column>) found: the calculated fields were not read"
