"""`python -m sandbox.calendar`: the daily pipeline night after night, each night held to the truth.

On a fresh lake, warehouse and Dagster home (under `--workdir`), night after night: the sandbox's
clock is set to the night's schedule time (`sources.clock.nightly_run_at`, 02:00 UTC the day
after the night's date), the daily job runs as the schedule would run it (`python -m
dagster_defs`, one process, its steps in their own), and then every compared mart is checked
row by row against `sandbox.truth.Truth` at that clock: what the organisation's APIs showed at
that instant. What real months bring is injected on chosen nights:

- missed: the night does not run; the next night catches it up (both dates in one run);
- killed: the run is killed (SIGKILL, the whole process group) once it has written to the lake,
  then run again, as Dagster's retry or an operator would;
- faults: every emulator answers its first API requests with 429 (Retry-After) and 5xx;
- late refunds and edited sheets come with the world itself: refunds of charges weeks old, new
  seats, withdrawals and stock moves between two reads (counted in the table).

Prints one line per night (rows loaded, wall time, peak memory of the run's processes, per mart
rows equal / total) and the totals; exits 1 on any difference, listing the first ones.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil

from sandbox.org import DAY, Organisation, build_org, org_purchase
from sandbox.truth import Rows, Truth, differences, mart_query, truth_rows

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORKDIR = PROJECT_ROOT / ".local" / "calendar"
# A burst of what rate limits and bad gateways look like on the payments APIs: Stripe and
# PayPal both answer under /v1/.
FAULT_BURST = [
    {"path": "/v1/", "status": 429, "retry_after": 1, "count": 2},
    {"path": "/v1/", "status": 503, "count": 1},
]
ROWS_LINE = re.compile(r"^\s+(\S+)\s+([\d,]+) rows$")
LATE_REFUND_DAYS = 14


@dataclass
class Night:
    """One night of the calendar: the dates its run loads (none when missed) and what befalls it."""

    number: int
    day: date
    dates: list[date] = field(default_factory=list)
    killed: bool = False
    faults: bool = False

    @property
    def missed(self) -> bool:
        return not self.dates

    @property
    def clock(self) -> datetime:
        from sources.clock import nightly_run_at

        return nightly_run_at(self.day)


@dataclass
class NightResult:
    night: Night
    rows_loaded: int
    seconds: float
    peak_mb: float
    exit_code: int
    marts: dict[str, tuple[int, int]]  # mart -> (rows equal, rows in mart or truth)
    differences: list[str]
    late_refunds: int
    roster_changes: int


def plan_nights(
    first: date, nights: int, missed: set[int], killed: set[int], faults: set[int]
) -> list[Night]:
    """Night n (1-based) loads `first + n - 1`; a missed night's date is loaded the night after."""
    plan = []
    owed: list[date] = []
    for number in range(1, nights + 1):
        day = first + timedelta(days=number - 1)
        night = Night(number, day, killed=number in killed, faults=number in faults)
        if number in missed and number < nights:
            owed.append(day)
        else:
            night.dates = [*owed, day]
            owed = []
        plan.append(night)
    return plan


def parse_numbers(value: str) -> set[int]:
    """`3,7` -> {3, 7}; empty -> nothing."""
    try:
        return {int(part) for part in value.split(",") if part.strip()}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a list of night numbers like 3,7: {value!r}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.calendar",
        description="Run the daily pipeline night after night on a fresh lake and warehouse, "
        "with the sandbox's clock at each night's 02:00 UTC schedule, and compare the marts with "
        "the organisation's own truth at that instant after every night. Exit status 1 on any "
        "difference.",
        epilog="Example: python -m sandbox.calendar --nights 60 --missed 9,33 --killed 20 "
        "--faults 5,41. Settings (sandbox.seed, sandbox.volume, sandbox.first_day, ...) are read "
        "as by `python -m sources`; the lake, warehouse, dlt and Dagster folders are the "
        "calendar's own, under --workdir, emptied first.",
    )
    parser.add_argument(
        "--nights", type=int, default=60, help="nights to run (default: %(default)s)"
    )
    parser.add_argument(
        "--first-day",
        type=date.fromisoformat,
        help="the first night's date (default: a week before the organisation's first enrolment "
        "season opens, so the nights cross it: new seats, payments, withdrawals)",
    )
    parser.add_argument(
        "--missed",
        type=parse_numbers,
        default=set(),
        help="nights (1-based) that do not run; the next night catches them up (e.g. 9,33)",
    )
    parser.add_argument(
        "--killed",
        type=parse_numbers,
        default=set(),
        help="nights whose run is killed once it has written to the lake, then run again",
    )
    parser.add_argument(
        "--faults",
        type=parse_numbers,
        default=set(),
        help="nights whose emulators first answer with a burst of 429s and a 503",
    )
    parser.add_argument(
        "--sources",
        help="comma-separated sources to load (default: sources.enabled, i.e. all six); the marts "
        "compared are those whose sources are all loaded",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help="where the calendar's lake, warehouse, dlt and Dagster folders go; emptied at the "
        "start (default: .local/calendar)",
    )
    return parser


# which sources each compared mart reads
MART_SOURCES = {
    "revenue_daily": {"stripe", "paypal"},
    "ad_attribution_daily": {"stripe", "google_ads", "facebook_ads", "google_analytics"},
    "inventory_by_item": {"stripe", "paypal", "google_sheets"},
    "enrollment_by_program": {"stripe", "paypal", "google_sheets"},
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from sources.apis import sandbox_options
    from sources.registry import enabled_source_names

    options = sandbox_options()
    org = build_org(options["seed"], options["volume"], options["start"], options["end"])
    first = args.first_day or default_first_night(org)
    if args.nights < 1:
        print("--nights must be at least 1", file=sys.stderr)
        return 2
    if first + timedelta(days=args.nights) > org.end:
        print(
            f"the calendar would run past sandbox.last_day {org.end}: fewer --nights or an "
            "earlier --first-day",
            file=sys.stderr,
        )
        return 2
    sources = (
        [s.strip() for s in args.sources.split(",") if s.strip()]
        if args.sources
        else list(enabled_source_names())
    )
    marts = [name for name, needs in MART_SOURCES.items() if needs <= set(sources)]
    workdir: Path = args.workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)

    nights = plan_nights(first, args.nights, args.missed, args.killed, args.faults)
    print(
        f"calendar: {len(nights)} nights from {first} (clock 02:00 UTC the day after each), "
        f"sources {', '.join(sources)}, marts compared {', '.join(marts)}; workdir {workdir}"
    )
    print(header(marts))
    results = []
    started = time.monotonic()
    held_to: Night | None = None  # the last night that ran: what the marts describe
    for night in nights:
        if not night.missed:
            held_to = night
        result = run_night(night, held_to, org, workdir, sources, marts)
        results.append(result)
        print(line(result, marts), flush=True)
    print(summary(results, marts, time.monotonic() - started))
    wrong = [r for r in results if r.differences or r.exit_code]
    for result in wrong[:5]:
        print(f"night {result.night.number} ({result.night.day}): exit {result.exit_code}")
        for difference in result.differences[:10]:
            print(f"  {difference}")
    return 1 if wrong else 0


def default_first_night(org: Organisation) -> date:
    """A week before the first enrolment season opens, with four weeks of sales behind it."""
    season = min(program.enrolment_opens for program in org.programs)
    return max(season - timedelta(days=7), org.start + timedelta(days=28))


def environment(workdir: Path, night: Night, sources: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LAKE__BUCKET_URL": str(workdir / "lake"),
            "WAREHOUSE__KIND": "duckdb",
            "WAREHOUSE__DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
            "DLT_DATA_DIR": str(workdir / "dlt"),
            "DAGSTER_HOME": str(workdir / "dagster"),
            "SOURCES__USE_SANDBOX": "true",
            "SOURCES__ENABLED": json.dumps(sources),
            "SANDBOX__NOW": night.clock.isoformat(),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
    )
    env.pop("SANDBOX__FAULTS", None)
    if night.faults:
        env["SANDBOX__FAULTS"] = json.dumps(FAULT_BURST)
    return env


def run_night(
    night: Night,
    held_to: Night | None,
    org: Organisation,
    workdir: Path,
    sources: list[str],
    marts: list[str],
) -> NightResult:
    """Run one night (nothing when missed), then compare the marts with the truth at the clock
    of `held_to`, the last night that ran: a missed night leaves the marts as they were."""
    started = time.monotonic()
    rows = peak = 0.0
    exit_code = 0
    if not night.missed:
        env = environment(workdir, night, sources)
        command = [
            sys.executable,
            "-m",
            "dagster_defs",
            "--start",
            night.dates[0].isoformat(),
            "--end",
            night.dates[-1].isoformat(),
            "--quiet",
        ]
        log = workdir / f"night-{night.number:03d}.log"
        if night.killed:
            _, killed_peak = run(command, env, log, kill_when_lake_has=workdir / "lake")
            peak = max(peak, killed_peak)
        exit_code, run_peak = run(command, env, log)
        peak = max(peak, run_peak)
        rows = rows_loaded(log)
    seconds = time.monotonic() - started
    compared: dict[str, tuple[int, int]] = {m: (0, 0) for m in marts}
    found_differences: list[str] = []
    warehouse = workdir / "warehouse.duckdb"
    if held_to is not None and warehouse.exists():
        compared, found_differences = compare_marts(warehouse, org, held_to, marts)
    return NightResult(
        night=night,
        rows_loaded=int(rows),
        seconds=seconds,
        peak_mb=peak,
        exit_code=exit_code,
        marts=compared,
        differences=found_differences,
        late_refunds=late_refunds(org, night),
        roster_changes=roster_changes(org, night),
    )


def compare_marts(
    warehouse: Path, org: Organisation, held_to: Night, marts: list[str]
) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Per mart (rows equal, rows in the mart or the truth), and the differences, against the
    truth at `held_to`'s clock with its date the last day loaded."""
    truth = Truth(org, int(held_to.clock.timestamp()))
    compared: dict[str, tuple[int, int]] = {}
    found_differences: list[str] = []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for mart in marts:
            expected = truth_rows(truth, mart, held_to.day)
            found = mart_rows(connection, mart)
            wrong = differences(found, expected)
            total = len(found.keys() | expected.keys())
            compared[mart] = (total - len(wrong), total)
            found_differences += [f"{mart} {w}" for w in wrong]
    return compared, found_differences


def mart_rows(connection: duckdb.DuckDBPyConnection, mart: str) -> Rows:
    keys, sql = mart_query(mart)
    try:
        found = connection.execute(sql)
    except duckdb.CatalogException:
        return {}  # not built (yet): every truth row is a difference
    return {tuple(row[:keys]): tuple(row[keys:]) for row in found.fetchall()}


def run(
    command: list[str], env: dict[str, str], log: Path, kill_when_lake_has: Path | None = None
) -> tuple[int, float]:
    """Run `command` to its end (or kill it once the lake has a new file); (exit code, peak MB of
    the process and its children together)."""
    before = set(kill_when_lake_has.rglob("*.parquet")) if kill_when_lake_has else set()
    with log.open("a") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes every step with it
        )
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, tree_mb(process.pid))
            if (
                kill_when_lake_has is not None
                and set(kill_when_lake_has.rglob("*.parquet")) - before
            ):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                out.write("\n-- killed by the calendar once the lake had new files --\n")
                break
            time.sleep(0.5)
    return process.returncode, peak


def tree_mb(pid: int) -> float:
    """Memory of a process and its children together: PSS where the system has it (Linux;
    shared pages counted once), else RSS."""
    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            info = process.memory_full_info()
            total += getattr(info, "pss", info.rss)
    return total / 2**20


def rows_loaded(log: Path) -> int:
    """Rows of every raw table the last run of the night loaded, from its summary."""
    text = log.read_text(errors="replace")
    last_run = text.rsplit("-- killed by the calendar", 1)[-1]
    return sum(
        int(match.group(2).replace(",", ""))
        for match in map(ROWS_LINE.match, last_run.splitlines())
        if match
    )


def late_refunds(org: Organisation, night: Night) -> int:
    """Refunds made since the previous night's clock of charges more than two weeks old."""
    end = int(night.clock.timestamp())
    start = end - DAY
    return sum(
        1
        for refund in org.refunds
        if start <= refund.at < end
        and refund.at - org_purchase(org, refund.purchase_id).at > LATE_REFUND_DAYS * DAY
    )


def roster_changes(org: Organisation, night: Night) -> int:
    """Seats taken or given up on the roster since the previous night's read."""
    end = int(night.clock.timestamp())
    start = end - DAY
    return sum(
        (start < e.enrolled_at <= end)
        + (e.withdrawn_at is not None and start < e.withdrawn_at <= end)
        for e in org.enrolments
    )


def header(marts: list[str]) -> str:
    columns = "".join(f" | {mart:>21}" for mart in marts)
    return (
        f"{'night':>5} | {'date':<10} | {'event':<26} | {'rows':>7} | {'wall s':>6} | "
        f"{'peak MB':>7} | {'refunds>14d':>11} | {'seats +/-':>9}{columns}"
    )


def line(result: NightResult, marts: list[str]) -> str:
    night = result.night
    if night.missed:
        event = "missed"
    else:
        events = []
        if len(night.dates) > 1:
            events.append(f"catch-up {len(night.dates)}")
        if night.killed:
            events.append("killed")
        if night.faults:
            events.append("faults")
        event = ", ".join(events) or "-"
        if result.exit_code:
            event += f" EXIT {result.exit_code}"
    cells = "".join(f" | {result.marts[m][0]:>10} / {result.marts[m][1]:<8}" for m in marts)
    return (
        f"{night.number:>5} | {night.day.isoformat():<10} | {event:<26} | "
        f"{result.rows_loaded:>7,} | {result.seconds:>6.1f} | {result.peak_mb:>7.0f} | "
        f"{result.late_refunds:>11} | {result.roster_changes:>9}{cells}"
    )


def summary(results: list[NightResult], marts: list[str], seconds: float) -> str:
    ran = [r for r in results if not r.night.missed]
    walls = [r.seconds for r in ran]
    half = len(walls) // 2
    lines = [
        f"totals: {len(results)} nights ({len(results) - len(ran)} missed), "
        f"{sum(r.rows_loaded for r in results):,} rows loaded, {seconds:.0f} s",
        f"wall per night: mean {sum(walls) / max(len(walls), 1):.1f} s, "
        f"first half {sum(walls[:half]) / max(half, 1):.1f} s, "
        f"second half {sum(walls[half:]) / max(len(walls) - half, 1):.1f} s, "
        f"max {max(walls, default=0):.1f} s; "
        f"peak memory max {max((r.peak_mb for r in results), default=0):.0f} MB",
    ]
    for mart in marts:
        equal = sum(r.marts[mart][0] for r in results)
        total = sum(r.marts[mart][1] for r in results)
        nights_equal = sum(r.marts[mart][0] == r.marts[mart][1] for r in results)
        lines.append(
            f"{mart}: {equal:,} / {total:,} rows equal; every row equal on {nights_equal} of "
            f"{len(results)} nights"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
