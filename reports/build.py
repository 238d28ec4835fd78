"""Write the report: read the marts from a DuckDB file, render the page, replace the file."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from reports.html import render_page
from reports.sections import build_sections

REPORT_NAME = "report.html"


class ReportError(RuntimeError):
    """The report could not be written; the message says why in one line."""


def default_output(warehouse: Path) -> Path:
    """Beside the warehouse (`.local/report.html` by default), which is git-ignored."""
    return warehouse.parent / REPORT_NAME


def write_report(
    warehouse: Path, output: Path | None = None, generated_at: datetime | None = None
) -> Path:
    """Render the report of `warehouse`'s marts into `output`; return the file written."""
    if not warehouse.is_file():
        raise ReportError(f"no DuckDB warehouse at {warehouse} (run the pipeline first)")
    output = output or default_output(warehouse)
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            sections = build_sections(connection)
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0]
        raise ReportError(f"cannot read the marts in {warehouse}: {first_line}") from error
    page = render_page(sections, warehouse, generated_at or datetime.now(UTC))
    # written beside the target then renamed, so a browser never opens half a report
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, output)
    except OSError as error:
        raise ReportError(f"cannot write {output}: {error}") from error
    finally:
        with contextlib.suppress(OSError):  # nothing to clean up where nothing could be written
            temporary.unlink(missing_ok=True)
    return output
