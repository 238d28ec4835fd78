"""`python -m reports`: write the HTML report of the marts in the local DuckDB warehouse."""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path

from destinations.settings import SettingError, warehouse_settings
from reports.build import REPORT_NAME, ReportError, default_output, write_report


def parse_args(argv: list[str] | None, warehouse: Path | None) -> argparse.Namespace:
    where = str(warehouse) if warehouse else "warehouse.duckdb_path"
    output = str(default_output(warehouse)) if warehouse else f"{REPORT_NAME} beside the warehouse"
    parser = argparse.ArgumentParser(
        prog="python -m reports",
        description=(
            "Write one self-contained HTML report of the marts (revenue, enrolment, inventory, "
            "advertising): key figures and charts, CSS, scripts and data inline, so it opens "
            "offline by double-click, with no server. A mart that is missing or empty gets a "
            "section that says so."
        ),
        epilog=(
            f"Reads the marts schema of the DuckDB file of warehouse.duckdb_path (env "
            f"WAREHOUSE__DUCKDB_PATH; now {where}), read-only. Writes {output} "
            "unless --output says otherwise. `./run pipeline` writes it after every local run."
        ),
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=warehouse,
        help=f"the DuckDB file to read (default {where})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"the HTML file to write (default {output})",
    )
    parser.add_argument("--open", action="store_true", help="open the report in the web browser")
    return parser.parse_args(argv)


def configured_warehouse() -> Path | None:
    """The DuckDB file of the settings, or None when the warehouse is not DuckDB."""
    settings = warehouse_settings()
    return settings.resolved_duckdb_path() if settings.kind == "duckdb" else None


def main(argv: list[str] | None = None) -> int:
    try:
        warehouse = configured_warehouse()
    except SettingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args = parse_args(argv, warehouse)
    if args.warehouse is None:
        print(
            "error: the report reads a DuckDB warehouse but warehouse.kind is not 'duckdb' "
            "(env WAREHOUSE__KIND); pass --warehouse FILE",
            file=sys.stderr,
        )
        return 2
    try:
        written = write_report(args.warehouse, args.output or default_output(args.warehouse))
    except ReportError as error:
        print(f"error: report not written: {error}", file=sys.stderr)
        return 1
    print(f"report: {written}")
    if args.open:
        webbrowser.open(written.resolve().as_uri())
    return 0


if __name__ == "__main__":
    sys.exit(main())
