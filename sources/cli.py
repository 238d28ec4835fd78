"""`python -m sources` and `python -m sources.<name>`: ad hoc loads with progress and a summary.

All sources take the same flags and print the same summary. Errors end a source's run with one
line on stderr (no traceback for a bad key or a missing setting); with several sources, one
failing does not stop the others, and the exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import dlt

from destinations.load import build_source, load_source
from destinations.run_lock import hold_run_lock
from destinations.settings import (
    SettingError,
    keep_state_in_checkout,
    lake_settings,
    warehouse_settings,
)
from sources.apis import api_endpoint, check_settings
from sources.clock import run_now
from sources.errors import one_line
from sources.registry import SourceSpec

EPILOG = """\
settings (dlt config: .dlt/config.toml, .dlt/secrets.toml, or environment variables):
  sources.use_sandbox      true: start each source's emulator from sandbox/ on 127.0.0.1
                           (SOURCES__USE_SANDBOX; the committed local default)
  sources.<name>.*         each source's settings and secrets, e.g.
                           SOURCES__STRIPE__START_DATE{secrets}
  lake.bucket_url          where Parquet goes: a folder or gs://bucket (LAKE__BUCKET_URL)
  lake.lock_wait_seconds   how long to wait for another run on the same lake and warehouse
                           before stopping (LAKE__LOCK_WAIT_SECONDS, default 900)
  warehouse.kind           duckdb | bigquery | none: where raw tables are registered
                           (WAREHOUSE__KIND, WAREHOUSE__DUCKDB_PATH, ...)

Each day is one load per source into <lake>/<source>/<table>/date=YYYY-MM-DD/; loading a day
again replaces that day's files, and the next SQLMesh run restates the models over that day.
Inspect a pipeline afterwards with `DLT_DATA_DIR=.local/dlt uv run dlt pipeline <source> info`
(pipelines live in the checkout's .local/dlt/pipelines, or $DLT_DATA_DIR/pipelines when set).
"""


def _parser(specs: Sequence[SourceSpec], prog: str, one_source: bool) -> argparse.ArgumentParser:
    names = ", ".join(spec.name for spec in specs)
    secrets = "".join(
        f",\n                           {s} (secret)"
        for spec in specs
        for s in spec.secret_settings
    )
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            f"Load {names} into the lake and refresh the raw tables, for one day or a range "
            "of days (UTC). Each day reads what is new or changed since the day before it."
        ),
        epilog=EPILOG.format(secrets=secrets),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--date", type=date.fromisoformat, help="the day of data to load (default: yesterday)"
    )
    parser.add_argument(
        "--start", type=date.fromisoformat, help="first day of a range to load, one load a day"
    )
    parser.add_argument(
        "--end", type=date.fromisoformat, help="last day of the range (default: yesterday)"
    )
    if one_source:
        tables = ", ".join(specs[0].resources)
        parser.add_argument(
            "--resources", help=f"comma-separated tables to load (default: all of {tables})"
        )
    else:
        parser.add_argument(
            "--sources", help=f"comma-separated sources to load (default: all of {names})"
        )
    parser.add_argument("--quiet", action="store_true", help="no progress, summaries only")
    return parser


def run_dates(args: argparse.Namespace, today: date) -> list[date]:
    yesterday = today - timedelta(days=1)
    if args.date:
        return [args.date]
    end = args.end or yesterday
    start = args.start or end
    if start > end:
        raise SettingError(f"--start {start} is after --end {end}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def load_days(
    spec: SourceSpec, days: Sequence[date], resources: Sequence[str], quiet: bool
) -> None:
    """Load `spec` for each day in turn, printing each day's summary; raises on the first error."""
    with api_endpoint(spec) as endpoint:
        where = f"sandbox {endpoint['base_url']}" if endpoint else "the real API"
        _progress(quiet, f"{spec.name}: {len(days)} day(s) from {where}")
        for day in days:
            source = build_source(spec, day, **endpoint)
            if resources:
                source = source.with_resources(*resources)
            summary = load_source(source, day, progress=None if quiet else _progress_collector())
            print(summary.render(), flush=True)


def main(
    specs: Sequence[SourceSpec], argv: Sequence[str] | None = None, every_source: bool = False
) -> int:
    """Run the CLI for one source (`python -m sources.<name>`) or all (`every_source`)."""
    keep_state_in_checkout()
    prog = "python -m sources" if every_source else f"python -m sources.{specs[0].name}"
    parser = _parser(specs, prog, one_source=not every_source)
    args = parser.parse_args(argv)
    if args.date and (args.start or args.end):
        parser.error("--date cannot be combined with --start/--end")
    resources = args.resources.split(",") if getattr(args, "resources", None) else []
    unknown = sorted(set(resources) - set(specs[0].resources))
    chosen = specs
    if getattr(args, "sources", None):
        wanted = args.sources.split(",")
        unknown += sorted(set(wanted) - {spec.name for spec in specs})
        chosen = [spec for spec in specs if spec.name in wanted]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    started = time.monotonic()
    try:
        check_settings(chosen)  # every bad setting is one line before any work starts
        days = run_dates(args, run_now().date())
        lake, warehouse = lake_settings().resolved_url(), warehouse_settings().kind
        hold_run_lock()
    except Exception as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 1
    _progress(args.quiet, f"loading into {lake} (raw tables: {warehouse})")
    failed = []
    for spec in chosen:
        try:
            load_days(spec, days, resources, args.quiet)
        except KeyboardInterrupt:
            print(f"{spec.name}: interrupted; the partial load is not counted", file=sys.stderr)
            return 130
        except Exception as error:
            print(f"error: {one_line(error)}", file=sys.stderr)
            failed.append(spec.name)
    elapsed = time.monotonic() - started
    if failed:
        if len(chosen) > 1:
            print(f"failed: {', '.join(failed)} ({elapsed:.1f}s)", file=sys.stderr)
        return 1
    print(f"done: {', '.join(spec.name for spec in chosen)} in {elapsed:.1f}s", flush=True)
    return 0


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def _progress_collector() -> Any:
    """dlt's own progress: rows and pages per resource every few seconds, on stderr."""
    return dlt.progress.log(log_period=3.0, logger=sys.stderr, dump_system_stats=False)
