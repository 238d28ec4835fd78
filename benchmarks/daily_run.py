"""Time of the daily run, phase by phase: the first run (the whole history), then normal nights.

Run: `uv run python -m benchmarks.daily_run [--history 30 365] [--nights 2]`. For each history
length H, in a fresh lake, warehouse and Dagster home: the sandbox organisation gets H days of
history, the first daily run (`python -m dagster_defs`) backfills them all, and then `--nights`
normal nights follow, one day each. For every run it prints the wall time and the phases of the
run's own summary: start-up (of which waiting for the emulators), each source's load, the raw
tables, SQLMesh, Dagster's own work between steps, and the report. Goals, alone on the machine:
a normal night <= 30 s with SQLMesh <= 15 s, the first run <= 60 s; and SQLMesh's time should not
grow with the history (it reads one new day). Informational: always exits 0.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sources.registry import SOURCE_NAMES

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATED_SOURCES = ("stripe", "paypal", "facebook_ads", "google_ads", "google_analytics")
FLAT_TARGET = 1.5  # SQLMesh time at the longest history over the shortest
NIGHT_GOAL, SQLMESH_GOAL, FIRST_GOAL = 30.0, 15.0, 60.0  # seconds


def run_day(day: date, env: dict[str, str]) -> tuple[float, str]:
    """(wall seconds, the run's `time:` line) of `python -m dagster_defs --date day`."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "dagster_defs", "--date", day.isoformat(), "--quiet"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("time: ")), "")
    return seconds, line


def phases(time_line: str) -> dict[str, float]:
    """`time: load 9.0s (stripe 1.6, paypal 0.9; raw tables 0.8), transform 15.3s, start-up
    4.1s (emulators 1.2), Dagster 3.2s, report 0.4s` as {"load": 9.0, "stripe": 1.6, ...}."""
    found: dict[str, float] = {}
    for name, seconds in re.findall(r"([A-Za-z_][\w -]*?) (\d+\.\d+)s?(?=[,;)]|$| \()", time_line):
        found[name.strip().removeprefix("time: ")] = float(seconds)
    return found


def staged_rows(warehouse: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'staging'"
        ).fetchall()
        total = 0
        for (name,) in tables:
            row = connection.execute(f'SELECT count(*) FROM staging."{name}"').fetchone()
            total += int(row[0]) if row else 0
        return total


def measure(history_days: int, nights: int, workdir: Path) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    # the first run loads the history up to `first_night`; the nights follow, to yesterday
    first = today - timedelta(days=history_days + nights + 1)
    first_night = today - timedelta(days=nights + 1)
    night_days = [today - timedelta(days=n) for n in range(nights, 0, -1)]
    env = {
        **os.environ,
        "SOURCES__USE_SANDBOX": "true",
        # the organisation's history begins with the benchmark's first day; the world's last
        # day stays where the settings put it
        "SANDBOX__FIRST_DAY": first.isoformat(),
        "DAGSTER_HOME": str(workdir / "dagster"),
        "DAGSTER__PARTITIONS_START": first.isoformat(),
        "LAKE__BUCKET_URL": f"file://{workdir / 'lake'}",
        "WAREHOUSE__KIND": "duckdb",
        "WAREHOUSE__DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
        "DLT_DATA_DIR": str(workdir / "dlt"),
        **{f"SOURCES__{name.upper()}__START_DATE": first.isoformat() for name in DATED_SOURCES},
    }
    runs = []
    for number, day in enumerate([first_night, *night_days]):
        seconds, line = run_day(day, env)
        runs.append(
            {"run": "first" if number == 0 else f"night {number}", "wall": seconds, **phases(line)}
        )
        print(f"  {runs[-1]['run']} ({day}): {seconds:.1f}s; {line}", flush=True)
    return {
        "history": history_days,
        "runs": runs,
        "staged": staged_rows(workdir / "warehouse.duckdb"),
    }


SHORT = {
    "facebook_ads": "fb_ads",
    "google_ads": "g_ads",
    "google_analytics": "ga4",
    "google_sheets": "sheets",
}
COLUMNS = (
    ("wall", "wall"),
    ("start-up", "start"),
    ("emulators", "emul"),
    *((name, SHORT.get(name, name)) for name in SOURCE_NAMES),
    ("raw tables", "raw"),
    ("transform", "SQLMesh"),
    ("Dagster", "Dagster"),
    ("report", "report"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.daily_run", description=__doc__)
    parser.add_argument("--history", type=int, nargs="+", default=[30, 365], metavar="DAYS")
    parser.add_argument("--nights", type=int, default=2, help="normal nights after the first run")
    args = parser.parse_args(argv)

    results = []
    for days in args.history:
        with tempfile.TemporaryDirectory(prefix="daily-run-") as workdir:
            print(f"history {days} days: the first run, then {args.nights} nights ...", flush=True)
            results.append(measure(days, args.nights, Path(workdir)))

    print()
    header = f"{'history':>7} {'run':>8} " + " ".join(f"{label:>7}" for _, label in COLUMNS)
    print(header + "   (seconds)")
    for result in results:
        for run in result["runs"]:
            cells = " ".join(
                f"{run[key]:>7.1f}" if key in run else f"{'-':>7}" for key, _ in COLUMNS
            )
            print(f"{result['history']:>7} {run['run']:>8} {cells}")
    normal = [run for result in results for run in result["runs"][1:]]
    firsts = [result["runs"][0] for result in results]
    if normal:
        worst = max(run["wall"] for run in normal)
        sqlmesh = max(run.get("transform", 0.0) for run in normal)
        print(
            f"\nnormal night: wall <= {worst:.1f}s (goal <= {NIGHT_GOAL:g}), SQLMesh <= "
            f"{sqlmesh:.1f}s (goal <= {SQLMESH_GOAL:g}); first run <= "
            f"{max(run['wall'] for run in firsts):.1f}s (goal <= {FIRST_GOAL:g})"
        )
    if len(results) > 1 and normal:
        shortest, longest = results[0]["runs"][1:], results[-1]["runs"][1:]
        ratio = max(r.get("transform", 0.0) for r in longest) / max(
            max(r.get("transform", 0.0) for r in shortest), 0.1
        )
        verdict = "flat" if ratio <= FLAT_TARGET else "GROWS"
        print(
            f"SQLMesh of a normal night, {results[-1]['history']} vs {results[0]['history']} "
            f"days of history: {ratio:.2f}x ({verdict}; target <= {FLAT_TARGET}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
