"""`python -m dagster_defs`: run the daily pipeline here and now, for yesterday or a range of days.

The same job the daemon runs on schedule (every enabled source into the lake and raw tables,
then SQLMesh), executed in this process against a local Dagster instance, so the runs show up
in `dagster run list` afterwards. Ends with a summary per day: rows per raw table, models
transformed, failures, time, where the data went.
"""

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from destinations.settings import (
    PROJECT_ROOT,
    keep_state_in_checkout,
    lake_settings,
    warehouse_settings,
)
from sources.clock import yesterday

if TYPE_CHECKING:
    from dagster_defs.progress import ProgressPrinter

LOCAL_DAGSTER_HOME = PROJECT_ROOT / ".local" / "dagster"
# A local instance: SQLite under DAGSTER_HOME (Dagster's default), no telemetry.
LOCAL_DAGSTER_YAML = "telemetry:\n  enabled: false\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_defs",
        description=(
            "Run the daily pipeline for one day (default: yesterday, UTC, by the run's clock: "
            "sandbox.now with the sandbox) or a range of days: every enabled source into the "
            "lake and raw tables, then the SQLMesh models."
        ),
        epilog=(
            "Days run from dagster.partitions_start (env DAGSTER__PARTITIONS_START) to "
            "yesterday; today is not a whole day yet. Runs are recorded in $DAGSTER_HOME "
            "(default .local/dagster): list them with `DAGSTER_HOME=$PWD/.local/dagster uv run "
            "dagster run list` (Dagster wants an absolute path) and show one's log with `uv run "
            "python -m dagster_defs.run_logs <run id>`. Settings are those of `python -m "
            "sources --help` (sources.enabled, lake.bucket_url, warehouse.kind, ...)."
        ),
    )
    parser.add_argument("--date", type=date.fromisoformat, help="the day to run (YYYY-MM-DD)")
    parser.add_argument("--start", type=date.fromisoformat, help="first day of a range")
    parser.add_argument("--end", type=date.fromisoformat, help="last day of a range")
    parser.add_argument("--quiet", action="store_true", help="warnings and the summary only")
    parser.add_argument(
        "--verbose", action="store_true", help="Dagster's own log lines too (its event log)"
    )
    return parser.parse_args(argv)


def days_to_run(args: argparse.Namespace) -> list[date]:
    """The days asked for, checked to be whole days a run can be for."""
    from dagster_defs.partitions import check_days

    if args.date:
        start = end = args.date
    else:
        end = args.end or yesterday()
        start = args.start or end
    check_days(start, end)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()  # "done in" counts the start-up too: settings, emulators, Dagster
    args = parse_args(argv)
    keep_state_in_checkout()
    if args.date and (args.start or args.end):
        print("error: --date cannot be combined with --start/--end", file=sys.stderr)
        return 2
    from sources.apis import check_settings, sandbox_apis
    from sources.errors import one_line
    from sources.registry import enabled_source_names

    try:
        check_settings()  # every bad setting is one line before any work starts
        days = days_to_run(args)
    except Exception as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 1
    # the emulators start while Dagster and the definitions are imported
    with sandbox_apis(enabled_source_names()) as apis_ready:
        return run_days(args, days, apis_ready, started)


def run_days(
    args: argparse.Namespace, days: list[date], apis_ready: Callable[[], None], started: float
) -> int:
    """Run the daily job for each of `days` in turn; print each run's outcome and a summary."""
    from sources.errors import one_line

    os.environ.setdefault("DAGSTER_HOME", str(LOCAL_DAGSTER_HOME))
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(LOCAL_DAGSTER_YAML)

    from dagster import DagsterInstance

    from dagster_defs.definitions import defs
    from destinations.run_lock import hold_run_lock

    try:
        hold_run_lock()  # before any work: a run beside another waits here, or stops
    except Exception as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 1

    from dagster_defs.progress import ProgressPrinter
    from dagster_defs.run_logs import log_command

    job = defs.resolve_job_def("daily")
    log_level = "INFO" if args.verbose else "WARNING"
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    progress = ProgressPrinter(quiet=args.quiet).install()
    failed_days = []
    waiting = time.monotonic()
    try:
        apis_ready()
    except Exception as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 1
    runs_started = time.monotonic()
    start_up = runs_started - started
    emulators_wait = runs_started - waiting
    with DagsterInstance.get() as instance:
        for number, day in enumerate(days, start=1):
            if not args.quiet:
                print(
                    f"{day.isoformat()} ({number} of {len(days)}): loading, then SQLMesh",
                    file=sys.stderr,
                    flush=True,
                )
            result = job.execute_in_process(
                instance=instance,
                partition_key=day.isoformat(),
                run_config=run_config,
                raise_on_error=False,
            )
            rows: dict[str, object] = {}
            for event in result.get_asset_materialization_events():
                materialization = event.materialization
                if materialization is None:
                    continue
                metadata = materialization.metadata
                if "rows" in metadata:
                    outcome: object = metadata["rows"].value
                elif "restated" in metadata:
                    outcome = f"restated {metadata['restated'].value}"
                else:
                    outcome = "transformed"
                rows[materialization.asset_key.to_user_string()] = outcome
            failures = [event.step_key for event in result.get_step_failure_events()]
            print(f"{day.isoformat()}: run {result.run_id} {'ok' if result.success else 'FAILED'}")
            for key, value in sorted(rows.items()):
                shown = f"{value:>10,} rows" if isinstance(value, int) else f"{value:>15}"
                print(f"  {key:<48} {shown}")
            for step in failures:
                print(f"  failed: {step} (its log: `uv run {log_command(result.run_id)}`)")
            if not result.success:
                failed_days.append(day)
    runs_seconds = time.monotonic() - runs_started
    covered = days[0].isoformat() if len(days) == 1 else f"{days[0]} .. {days[-1]}"
    print(f"covered: {covered} ({len(days)} day(s), {len(failed_days)} failed)")
    for fact in progress.facts:
        if fact.get("backfill_from"):
            print(
                f"  first load of {fact['source']}: its history from {fact['backfill_from']} "
                f"(sources.{fact['source']}.start_date) into the partition of {fact['day']}"
            )
    time_line = phase_times(progress, start_up, emulators_wait, runs_seconds)
    print(
        f"lake: {lake_settings().resolved_url()}  warehouse: {warehouse_settings().kind} "
        f"({warehouse_settings().resolved_duckdb_path()})  runs: {os.environ['DAGSTER_HOME']}"
    )
    report_failed = False
    if warehouse_settings().kind == "duckdb":
        from reports import default_output, write_report

        warehouse = warehouse_settings().resolved_duckdb_path()
        reporting = time.monotonic()
        try:
            print(f"report: {write_report(warehouse)}")
        except Exception as error:  # the data is in the warehouse; say plainly what is missing
            report_failed = True
            reason = f"{type(error).__name__}: {error}".splitlines()[0]
            print(f"report: {default_output(warehouse)} NOT written ({reason})")
        time_line += f", report {time.monotonic() - reporting:.1f}s"
    print(time_line)
    failed = bool(failed_days) or report_failed
    print(f"{'failed' if failed else 'done'} in {time.monotonic() - started:.1f}s")
    return 1 if failed else 0


def phase_times(
    progress: "ProgressPrinter", start_up: float, emulators_wait: float, runs_seconds: float
) -> str:
    """`time: load 9.0s (stripe 1.6, ...; raw tables 0.8), transform 15.3s, start-up 4.1s
    (emulators 1.2), Dagster 3.2s`: where a run's time went, phase by phase."""
    if not progress.seconds:
        return f"time: no step ran, start-up {start_up:.1f}s"
    parts = []
    for phase, seconds in progress.seconds.items():
        detail = ""
        if phase == "load":
            by_source: dict[str, float] = defaultdict(float)
            for fact in progress.facts:
                if "source" in fact:
                    by_source[str(fact["source"])] += float(str(fact.get("seconds", 0.0)))
            raw = sum(float(str(fact.get("raw_tables_seconds", 0.0))) for fact in progress.facts)
            sources = ", ".join(f"{name} {spent:.1f}" for name, spent in by_source.items())
            detail = f" ({sources}; raw tables {raw:.1f})"
        parts.append(f"{phase} {seconds:.1f}s{detail}")
    parts.append(f"start-up {start_up:.1f}s (emulators {emulators_wait:.1f})")
    # what the runs took beyond their steps: Dagster's own work (events, checks, storage)
    parts.append(f"Dagster {max(0.0, runs_seconds - sum(progress.seconds.values())):.1f}s")
    return "time: " + ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
