"""`python -m sources.<name>`: load one source ad hoc, with progress and a closing summary.

Every source's `__main__` calls `main()` here, so all six take the same flags and print the same
summary. Errors end the run with one line on stderr and exit code 1; no traceback for a bad key
or a missing setting.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.extract.source import DltSource

from destinations.load import load_source
from destinations.settings import SettingError, lake_settings, warehouse_settings
from sources.apis import api_endpoint
from sources.errors import SourceError

EPILOG = """\
settings (dlt config: .dlt/config.toml, .dlt/secrets.toml, or environment variables):
  sources.use_sandbox        true: start the {name} emulator from sandbox/ on 127.0.0.1
                             (SOURCES__USE_SANDBOX; the committed local default)
  sources.{name}.*           the source's own settings and secrets, e.g.
                             SOURCES__{upper}__START_DATE{secret_hint}
  lake.bucket_url            where Parquet goes: a folder or gs://bucket (LAKE__BUCKET_URL)
  warehouse.kind             duckdb | bigquery | none: where raw tables are registered
                             (WAREHOUSE__KIND, WAREHOUSE__DUCKDB_PATH, ...)

Each date is one load into <lake>/{name}/<table>/date=YYYY-MM-DD/. Loading a date again
replaces that date's files. Inspect the pipeline afterwards with `dlt pipeline {name} info`
(pipelines live in ~/.dlt/pipelines unless DLT_DATA_DIR says otherwise).
"""


def _parse_args(
    name: str, resources: Sequence[str], secret_hint: str, argv: Sequence[str] | None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m sources.{name}",
        description=(
            f"Load {name} into the lake and refresh its raw tables, for one day or a range of "
            "days (UTC). Each day reads what is new or changed since the day before it."
        ),
        epilog=EPILOG.format(name=name, upper=name.upper(), secret_hint=secret_hint),
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
    parser.add_argument(
        "--resources",
        help=f"comma-separated tables to load (default: all of {', '.join(resources)})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress, summary only")
    args = parser.parse_args(argv)
    if args.date and (args.start or args.end):
        parser.error("--date cannot be combined with --start/--end")
    if args.resources:
        unknown = sorted(set(args.resources.split(",")) - set(resources))
        if unknown:
            parser.error(f"unknown resources: {', '.join(unknown)}")
    return args


def run_dates(args: argparse.Namespace, today: date) -> list[date]:
    yesterday = today - timedelta(days=1)
    if args.date:
        return [args.date]
    end = args.end or yesterday
    start = args.start or end
    if start > end:
        raise SettingError(f"--start {start} is after --end {end}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def missing_setting_message(error: ConfigFieldMissingException) -> str:
    """`missing setting sources.stripe.api_key (env SOURCES__STRIPE__API_KEY)` for each field."""
    names = []
    for field, traces in error.traces.items():
        # dlt also looks under `sources.stripe.stripe` (module, then source name); name the
        # place people write it, with the repeated section folded
        sections = max((_fold_repeats(trace.sections) for trace in traces), key=len, default=[])
        key = ".".join([*sections, field])
        names.append(f"{key} (env {key.upper().replace('.', '__')})")
    return "missing setting " + ", ".join(names)


def _fold_repeats(sections: Sequence[str]) -> list[str]:
    folded: list[str] = []
    for section in sections:
        if not folded or folded[-1] != section:
            folded.append(section)
    return folded


def one_line(error: BaseException) -> str:
    """The innermost error we wrote ourselves, else the error's first line."""
    seen = error
    while seen is not None:
        if isinstance(seen, SourceError | SettingError):
            return str(seen)
        if isinstance(seen, ConfigFieldMissingException):
            return missing_setting_message(seen)
        seen = getattr(seen, "exception", None) or seen.__cause__ or seen.__context__
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def main(
    name: str,
    build_source: Callable[..., DltSource],
    resources: Sequence[str],
    argv: Sequence[str] | None = None,
    secret_hint: str = "",
) -> int:
    args = _parse_args(name, resources, secret_hint, argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    started = time.monotonic()
    try:
        dates = run_dates(args, date.today())
        lake_url, warehouse = lake_settings().resolved_url(), warehouse_settings().kind
        with api_endpoint(name) as endpoint:
            where = "sandbox " + endpoint["base_url"] if endpoint else "the real API"
            _progress(
                args, f"{name}: {len(dates)} day(s) from {where} into {lake_url} ({warehouse})"
            )
            for day in dates:
                source = build_source(run_date=day, **endpoint)
                if args.resources:
                    source = source.with_resources(*args.resources.split(","))
                progress = None if args.quiet else _progress_collector()
                summary = load_source(source, day, progress=progress)
                print(summary.render(), flush=True)
    except KeyboardInterrupt:
        print(f"{name}: interrupted; the partial load is not counted", file=sys.stderr)
        return 130
    except Exception as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 1
    print(f"{name}: done in {time.monotonic() - started:.1f}s", flush=True)
    return 0


def _progress(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


def _progress_collector() -> Any:
    """dlt's own progress: rows and pages per resource every few seconds, on stderr."""
    return dlt.progress.log(log_period=3.0, logger=sys.stderr, dump_system_stats=False)
