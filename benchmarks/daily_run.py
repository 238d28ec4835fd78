"""Time of the daily run as history grows: it must stay flat from 30 to 365 days of data.

Run: `uv run python -m benchmarks.daily_run [--history 30 365]`. For each history length H, in
a fresh lake, warehouse and Dagster home: the sandbox organisation gets H days of history, the
first daily run (`python -m dagster_defs`) backfills them all, and the second, for the next day,
is the one measured: its load steps and its SQLMesh steps, from Dagster's step statistics. The
SQLMesh steps read one new day of raw data however long the history, so their time should not
grow with it. The load steps include starting each emulator, which builds the whole
organisation's history first (a sandbox cost, printed apart). Informational: always exits 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATED_SOURCES = ("stripe", "paypal", "facebook_ads", "google_ads", "google_analytics")
FLAT_TARGET = 1.5  # SQLMesh time at the longest history over the shortest


def run_day(day: date, env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "dagster_defs", "--date", day.isoformat(), "--quiet"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def step_seconds(dagster_home: Path) -> dict[str, float]:
    """Seconds per step of the newest run in `dagster_home`."""
    code = (
        "from dagster import DagsterInstance\n"
        "instance = DagsterInstance.get()\n"
        "run = instance.get_runs(limit=1)[0]\n"
        "for s in instance.get_run_step_stats(run.run_id):\n"
        "    print(s.step_key, (s.end_time or 0) - (s.start_time or 0))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {key: float(seconds) for key, seconds in (line.split() for line in output.splitlines())}


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


def measure(history_days: int, workdir: Path) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    first, last_history, new_day = (
        today - timedelta(days=history_days + 1),
        today - timedelta(days=2),
        today - timedelta(days=1),
    )
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
    backfill = run_day(last_history, env)
    daily = run_day(new_day, env)
    steps = step_seconds(workdir / "dagster")
    return {
        "history": history_days,
        "backfill": backfill,
        "daily": daily,
        "load": sum(s for key, s in steps.items() if not key.startswith("transform_")),
        "sqlmesh": sum(s for key, s in steps.items() if key.startswith("transform_")),
        "staged": staged_rows(workdir / "warehouse.duckdb"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.daily_run", description=__doc__)
    parser.add_argument("--history", type=int, nargs="+", default=[30, 365], metavar="DAYS")
    args = parser.parse_args(argv)

    results = []
    for days in args.history:
        with tempfile.TemporaryDirectory(prefix="daily-run-") as workdir:
            print(f"history {days} days: backfilling, then one daily run ...", flush=True)
            results.append(measure(days, Path(workdir)))

    print()
    print(
        f"{'history':>8} {'staged rows':>12} {'backfill s':>11} {'daily run s':>12} "
        f"{'load steps s':>13} {'sqlmesh steps s':>16}"
    )
    for r in results:
        print(
            f"{r['history']:>8} {r['staged']:>12,} {r['backfill']:>11.1f} {r['daily']:>12.1f} "
            f"{r['load']:>13.1f} {r['sqlmesh']:>16.1f}"
        )
    if len(results) > 1:
        shortest, longest = results[0], results[-1]
        ratio = longest["sqlmesh"] / shortest["sqlmesh"]
        verdict = "flat" if ratio <= FLAT_TARGET else "GROWS"
        print(
            f"\nSQLMesh steps of the daily run, {longest['history']} vs {shortest['history']} "
            f"days of history: {ratio:.2f}x ({verdict}; target <= {FLAT_TARGET}x); "
            f"whole daily run {longest['daily'] / shortest['daily']:.2f}x "
            f"(its load steps include building the sandbox's history)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
